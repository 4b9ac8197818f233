"use client";
/**
 * "New" menu: an empty graph or one of the default workflows, opened on the canvas (a graph enters
 * the library when it is first saved).
 */
import { useModelList } from "@/app/_lib/api-hooks";
import { offeredTemplates } from "@/app/_lib/templates";
import { ToolbarMenu } from "./ToolbarMenu";

export function TemplateMenu({ onPick }: { onPick(template: string | null): void }) {
  const models = useModelList();
  // SDXL, Turbo and inpainting-model templates appear once such a model is installed.
  const templates = offeredTemplates(models.data?.filter((m) => m.usable).map((m) => m.family ?? ""));
  return (
    <ToolbarMenu
      label="New ▾"
      title="Start a new graph: empty or from a template (it enters the library when you save it)"
      menuLabel="New graph"
      items={[
        { key: "empty", label: "Empty graph", onSelect: () => onPick(null) },
        ...templates.map((t) => ({
          key: t.id,
          label: `From template: ${t.title}`,
          title: t.description,
          onSelect: () => onPick(t.id),
        })),
      ]}
    />
  );
}
