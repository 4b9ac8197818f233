"use client";
import { useModelList } from "@/app/_lib/api-hooks";
/** On an empty canvas: the templates, one click away (no menu to open), and how to add a node. */
import { useEditor } from "@/app/_lib/editor-context";
import { offeredTemplates } from "@/app/_lib/templates";

const selectEmpty = (s: { nodes: unknown[] }) => s.nodes.length === 0;

export function TemplatePicker({ onPick }: { onPick(template: string): void }) {
  const empty = useEditor(selectEmpty);
  const models = useModelList();
  if (!empty) return null;
  // SDXL, Turbo and inpainting-model templates appear once such a model is installed.
  const templates = offeredTemplates(models.data?.filter((m) => m.usable).map((m) => m.family ?? ""));
  return (
    <section className="pf-template-picker" aria-label="Start from a template" data-testid="template-picker">
      <h2>Start from a template</h2>
      <ul>
        {templates.map((t) => (
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
