/**
 * Level of detail by zoom. Below FAR_OUT_ZOOM a node's widgets and plots are unreadable (a 12 px label
 * is under 4 px), so nodes draw a placeholder of about the same height instead: a 500-node graph then
 * costs the browser its headers and ports, not thousands of inputs. Zooming in past the line
 * re-renders the nodes on screen with their widgets (near, the canvas renders only visible nodes);
 * zooming out past it mounts every node, light (far out, all stay mounted: see FlowCanvas).
 */
import { useStore } from "@xyflow/react";
import type { NodeDefinition, WidgetSpec } from "@/core/node/define";

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

/** The height of one widget row when drawn (px). */
export function rowHeight(spec: WidgetSpec): number {
  return ROW_HEIGHT[spec.kind] ?? DEFAULT_ROW_HEIGHT;
}

/** The height a node's widget rows take when drawn (px), for the far-out placeholder. */
export function widgetsHeight(def: NodeDefinition): number {
  let h = 8; // the container's padding
  for (const spec of Object.values(def.widgets)) h += rowHeight(spec);
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
  return fitBox({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, screen, { padding, minZoom, maxZoom });
}

/** The zoom at which a node's 12 px text is still read as about 10 px: graphs open no further out. */
export const READABLE_ZOOM = 0.8;
/** Screen pixels between the screen's edge and a graph's start when the graph does not fit. */
const START_MARGIN = 24;

/**
 * Fits a box (flow coordinates) on the screen, zoom clamped to [minZoom, maxZoom]. Along an axis where
 * the box fits at that zoom it is centred; where it does not (a large graph at a readable zoom), the
 * box's start — its top-left, where the loaders of a left-to-right graph sit — is shown instead.
 */
export function fitBox(
  box: { x: number; y: number; width: number; height: number },
  screen: { width: number; height: number },
  opts: { padding: number; minZoom: number; maxZoom: number },
): Viewport {
  const w = Math.max(box.width, 1);
  const h = Math.max(box.height, 1);
  const fit = Math.min(screen.width / (w * (1 + opts.padding)), screen.height / (h * (1 + opts.padding)));
  const zoom = Math.min(opts.maxZoom, Math.max(opts.minZoom, fit));
  const place = (start: number, length: number, room: number) =>
    length * zoom <= room ? room / 2 - (start + length / 2) * zoom : START_MARGIN - start * zoom;
  return { x: place(box.x, w, screen.width), y: place(box.y, h, screen.height), zoom };
}
