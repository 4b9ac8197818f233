"use client";
/**
 * After a ComfyUI / AUTOMATIC1111 import: what did not come over, one line per problem naming the
 * ComfyUI node (id, type, field), with a button that centres the canvas on where it shows (the Petalflow
 * node, or the note left in place of a node that was left out). The same problems are on the nodes.
 */
import { useReactFlow } from "@xyflow/react";
import { useCallback, useRef } from "react";
import { useEditorContext } from "@/app/_lib/editor-context";
import { importSourceLabel, type ImportReport as Report } from "@/app/_lib/import-report";

export function ImportReport({ report, onDismiss }: { report: Report; onDismiss(): void }) {
  const { store } = useEditorContext();
  const rf = useReactFlow();
  const ref = useRef<HTMLElement>(null);
  const show = useCallback(
    (id: string) => {
      const n = rf.getNode(id);
      if (!n) return;
      const w = n.measured?.width ?? n.width ?? 240;
      const h = n.measured?.height ?? n.height ?? 160;
      // Centred in the part of the canvas right of this report, so the report does not cover it.
      const canvas = document.querySelector(".pf-canvas")?.getBoundingClientRect();
      const mine = ref.current?.getBoundingClientRect();
      const shift = canvas && mine ? (mine.right - canvas.left) / 2 : 0;
      const zoom = Math.max(rf.getZoom(), 0.9);
      void rf.setCenter(n.position.x + w / 2 - shift / zoom, n.position.y + h / 2, { zoom, duration: 200 });
      store.onNodesChange(
        store.getState().nodes.map((x) => ({ type: "select" as const, id: x.id, selected: x.id === id })),
      );
    },
    [rf, store],
  );
  const errors = report.problems.filter((p) => p.severity === "error").length;
  return (
    <section ref={ref} className="pf-import-report" aria-label="Import problems" data-testid="import-report">
      <header>
        <h2>
          {importSourceLabel(report.source)}: {report.problems.length} thing
          {report.problems.length === 1 ? "" : "s"} to check
          {errors ? ` (${errors} not brought over)` : ""}
        </h2>
        <button
          type="button"
          className="pf-icon-button"
          aria-label="Dismiss the import report"
          title="Dismiss (the problems stay on their nodes until you edit them)"
          onClick={onDismiss}
        >
          ×
        </button>
      </header>
      <ul>
        {report.problems.map((p, i) => {
          const target = p.at ? ("note" in p.at ? p.at.note : p.at.node) : null;
          const where = `${p.node === "parameters" ? "parameters" : `node ${p.node}`} (${p.type})${p.field ? ` · ${p.field}` : ""}`;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: the list is fixed for the report's life
            <li key={i} data-severity={p.severity} data-testid="import-problem" data-comfy-node={p.node}>
              {target ? (
                <button
                  type="button"
                  className="pf-link-button"
                  title="Show it on the canvas"
                  onClick={() => show(target)}
                >
                  {where}
                </button>
              ) : (
                <strong>{where}</strong>
              )}
              : {p.message}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
