/**
 * Level of detail by zoom. Below FAR_OUT_ZOOM a node's widgets and plots are unreadable (a 12 px label
 * is under 4 px), so nodes draw a placeholder of about the same height instead: a 500-node graph then
 * costs the browser its headers and ports, not thousands of inputs. Zooming in past the line
 * re-renders the nodes on screen with their widgets (near, the canvas renders only visible nodes);
 * zooming out past it mounts every node, light (far out, all stay mounted: see FlowCanvas).
 */
import { useStore } from "@xyflow/react";
import type { NodeDefinition, WidgetSpec } from "@/nodes/define";

export const FAR_OUT_ZOOM = 0.35;

const selectFarOut = (s: { transform: [number, number, number] }) => s.transform[2] < FAR_OUT_ZOOM;

/** True while the canvas is zoomed out past FAR_OUT_ZOOM. */
export function useFarOut(): boolean {
  return useStore(selectFarOut);
}

/**
 * Heights (px) of a widget row and of the schedule plot as globals.css lays them out (measured within
 * 4 px; an image row grows once it shows a picture).
 */
const ROW_HEIGHT: Partial<Record<WidgetSpec["kind"], number>> = { text: 78, image: 47 };
const DEFAULT_ROW_HEIGHT = 26;
export const PLOT_HEIGHT = 150;

/** The height a node's widget rows take when drawn (px), for the far-out placeholder. */
export function widgetsHeight(def: NodeDefinition): number {
  let h = 8; // the container's padding
  for (const spec of Object.values(def.widgets)) h += ROW_HEIGHT[spec.kind] ?? DEFAULT_ROW_HEIGHT;
  return h;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/**
 * A viewport that shows every node, computed from positions alone (sizes estimated) before anything
 * is drawn. React Flow's own fitView waits for the nodes to be measured, that is, for a first render
 * at zoom 1 — with every widget of a large graph laid out. Opening at about the fitted zoom instead
 * lets that first render use the far-out placeholders; fitView then corrects it with real sizes.
 */
export function estimatedFit(
  positions: readonly { x: number; y: number }[],
  screen: { width: number; height: number },
  opts: {
    nodeSize?: { width: number; height: number };
    padding?: number;
    minZoom?: number;
    maxZoom?: number;
  } = {},
): Viewport {
  const size = opts.nodeSize ?? { width: 250, height: 260 };
  const padding = opts.padding ?? 0.15;
  const minZoom = opts.minZoom ?? 0.1;
  const maxZoom = opts.maxZoom ?? 1;
  if (positions.length === 0 || screen.width <= 0 || screen.height <= 0) return { x: 0, y: 0, zoom: 1 };
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const p of positions) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x + size.width);
    y1 = Math.max(y1, p.y + size.height);
  }
  const w = x1 - x0;
  const h = y1 - y0;
  const zoom = Math.min(
    maxZoom,
    Math.max(minZoom, Math.min(screen.width / (w * (1 + padding)), screen.height / (h * (1 + padding)))),
  );
  return { x: screen.width / 2 - (x0 + w / 2) * zoom, y: screen.height / 2 - (y0 + h / 2) * zoom, zoom };
}
