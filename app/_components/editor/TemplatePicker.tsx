"use client";
/** On an empty canvas: the templates, one click away (no menu to open), and how to add a node. */
import { useEditor } from "@/app/_lib/editor-context";
import { TEMPLATES } from "@/app/_lib/templates";

const selectEmpty = (s: { nodes: unknown[] }) => s.nodes.length === 0;

export function TemplatePicker({ onPick }: { onPick(template: string): void }) {
  const empty = useEditor(selectEmpty);
  if (!empty) return null;
  return (
    <section className="pf-template-picker" aria-label="Start from a template" data-testid="template-picker">
      <h2>Start from a template</h2>
      <ul>
        {TEMPLATES.map((t) => (
          <li key={t.id}>
            <button type="button" className="pf-button" title={t.description} onClick={() => onPick(t.id)}>
              {t.title}
            </button>
          </li>
        ))}
      </ul>
      <p className="pf-muted">or double-click the canvas (or press /) to add a node</p>
    </section>
  );
}
