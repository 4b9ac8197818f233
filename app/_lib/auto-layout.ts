/**
 * Auto-layout with dagre: left-to-right layers following the links, using each node's measured size.
 * Two things dagre does not know are kept: the order of the nodes within a layer (it reorders rows to
 * cross fewer links, which scrambled the forward-process rows t = 0, 250, 500 …), and group frames,
 * which move and resize around the nodes they held instead of staying behind empty.
 */
import dagre from "@dagrejs/dagre";
import { estimatedSize } from "@/app/_components/canvas/estimated-layout";
import type { FlowEdge, FlowNode } from "./flow-types";

type Point = { x: number; y: number };
/** A new top-left corner, and for a frame its new size. */
export type Placement = Point & { width?: number; height?: number };
const FRAME_PAD = { x: 20, top: 50, bottom: 20 };

function size(n: FlowNode) {
  // A node never drawn (off screen since the graph opened) has no measured size: its declaration's.
  const est = n.type === "petal" ? estimatedSize(n.data.type) : null;
  return {
    width: n.measured?.width ?? n.width ?? est?.width ?? 240,
    height: n.measured?.height ?? n.height ?? est?.height ?? 160,
  };
}

export function layoutPositions(
  nodes: readonly FlowNode[],
  edges: readonly FlowEdge[],
): Map<string, Placement> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 80, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const movable = nodes.filter((n) => n.type !== "frame");
  // Top to bottom, so that dagre's first ordering is the user's.
  const sorted = [...movable].sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x);
  for (const n of sorted) g.setNode(n.id, size(n));
  for (const e of edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, Placement>();
  // dagre gives centres; React Flow positions are top-left corners.
  const laid = sorted.map((n) => {
    const p = g.node(n.id);
    return { n, cx: p.x, x: Math.round(p.x - p.width / 2), y: Math.round(p.y - p.height / 2), h: p.height };
  });
  // Within each layer (same centre x), give the rows back in the user's top-to-bottom order, packed in the
  // vertical span dagre chose.
  const layers = new Map<number, typeof laid>();
  for (const l of laid) layers.set(l.cx, [...(layers.get(l.cx) ?? []), l]);
  for (const layer of layers.values()) {
    const top = Math.min(...layer.map((l) => l.y));
    let y = top;
    for (const l of [...layer].sort((a, b) => a.n.position.y - b.n.position.y)) {
      out.set(l.n.id, { x: l.x, y });
      y += l.h + 40;
    }
  }
  // Frames: around the new positions of the nodes they contained.
  for (const f of nodes) {
    if (f.type !== "frame") continue;
    const fs = size(f);
    const inside = movable.filter((n) => {
      const { x, y } = n.position;
      return (
        x >= f.position.x &&
        y >= f.position.y &&
        x <= f.position.x + fs.width &&
        y <= f.position.y + fs.height
      );
    });
    if (inside.length === 0) continue;
    const boxes = inside.map((n) => ({ ...out.get(n.id)!, ...size(n) }));
    const x0 = Math.min(...boxes.map((b) => b.x)) - FRAME_PAD.x;
    const y0 = Math.min(...boxes.map((b) => b.y)) - FRAME_PAD.top;
    out.set(f.id, {
      x: x0,
      y: y0,
      width: Math.max(...boxes.map((b) => b.x + b.width)) + FRAME_PAD.x - x0,
      height: Math.max(...boxes.map((b) => b.y + b.height)) + FRAME_PAD.bottom - y0,
    });
  }
  return out;
}
