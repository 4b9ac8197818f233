/** Auto-layout with dagre: left-to-right layers following the links, using each node's measured size. */
import dagre from "@dagrejs/dagre";
import type { FlowEdge, FlowNode } from "./flow-types";

export function layoutPositions(
  nodes: readonly FlowNode[],
  edges: readonly FlowEdge[],
): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 80, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const petals = nodes.filter((n) => n.type === "petal");
  for (const n of petals) {
    g.setNode(n.id, {
      width: n.measured?.width ?? n.width ?? 240,
      height: n.measured?.height ?? n.height ?? 160,
    });
  }
  for (const e of edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of petals) {
    const p = g.node(n.id);
    // dagre gives centres; React Flow positions are top-left corners.
    if (p) out.set(n.id, { x: Math.round(p.x - p.width / 2), y: Math.round(p.y - p.height / 2) });
  }
  return out;
}
