"use client";
/** The node palette: every node type grouped by category. Click to add at the view's centre, or drag onto the canvas. */
import { CATEGORY_LABELS, categoryColor } from "@/app/_lib/categories";
import type { NodeDefinition } from "@/core/node/define";
import { NODE_DEFINITIONS } from "@/nodes/registry";
import { PALETTE_MIME } from "./FlowCanvas";
import { useNodeFits } from "./use-node-fits";

const GROUPS: [string, NodeDefinition[]][] = (() => {
  const byCat = new Map<string, NodeDefinition[]>();
  for (const def of NODE_DEFINITIONS) byCat.set(def.category, [...(byCat.get(def.category) ?? []), def]);
  return [...byCat.entries()];
})();

export function NodePalette({ onAdd }: { onAdd(type: string): void }) {
  // Nodes made for the graph's model family are marked; those it cannot run are muted, with why.
  const fits = useNodeFits();
  return (
    <nav className="pf-palette" aria-label="Node palette" data-testid="node-palette">
      {GROUPS.map(([cat, defs]) => (
        <details key={cat} open>
          <summary className="pf-palette__cat">
            <span className="pf-search__dot" style={{ background: categoryColor(cat) }} />
            {CATEGORY_LABELS[cat] ?? cat}
          </summary>
          <ul>
            {defs.map((def) => (
              <li key={def.id}>
                <button
                  type="button"
                  className="pf-palette__item"
                  data-fit={fits.get(def.id)?.fit}
                  title={
                    fits.has(def.id) ? `${def.description}\n(${fits.get(def.id)?.reason})` : def.description
                  }
                  draggable
                  onDragStart={(e) => {
                    e.dataTransfer.setData(PALETTE_MIME, def.id);
                    e.dataTransfer.effectAllowed = "copy";
                  }}
                  onClick={() => onAdd(def.id)}
                >
                  {def.title}
                  {fits.get(def.id)?.fit === "suggested" && (
                    <span className="pf-palette__fit" aria-hidden="true">
                      {" ★"}
                    </span>
                  )}
                </button>
              </li>
            ))}
          </ul>
        </details>
      ))}
    </nav>
  );
}
