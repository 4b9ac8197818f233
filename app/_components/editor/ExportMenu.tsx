"use client";
/** "Export" menu: the graph as Petalflow JSON, as a ComfyUI workflow (the UI format, with layout) or as a ComfyUI API prompt. */
import { ToolbarMenu } from "./ToolbarMenu";

export type ExportFormat = "petalflow" | "comfy-workflow" | "comfy-api";

const ITEMS: { format: ExportFormat; label: string; title: string }[] = [
  { format: "petalflow", label: "Petalflow JSON", title: "The graph document, as Petalflow opens it" },
  {
    format: "comfy-workflow",
    label: "ComfyUI workflow",
    title: "ComfyUI's UI format (nodes, links, positions): drop it on ComfyUI's canvas",
  },
  {
    format: "comfy-api",
    label: "ComfyUI API prompt",
    title: "ComfyUI's API format, for POST /prompt and scripts",
  },
];

export function ExportMenu({ onExport }: { onExport(format: ExportFormat): void }) {
  return (
    <ToolbarMenu
      label="Export ▾"
      title="Download the graph: Petalflow JSON, or ComfyUI's workflow or API format"
      menuLabel="Export"
      items={ITEMS.map((item) => ({ ...item, key: item.format, onSelect: () => onExport(item.format) }))}
    />
  );
}
