/**
 * Sizes and handle positions of nodes not yet drawn, estimated from their declarations. React Flow
 * mounts every node it has not measured, on screen or not, to learn its size and handles, and then
 * unmounts those off screen: opening a 500-node graph built 500 nodes with all their widgets and threw
 * 480 away (≈ 3 s of a 5 s open). A node given a `measured` size and `handles` counts as measured:
 * only the nodes on screen mount, and React Flow measures them for real as they do (their own
 * ResizeObserver). The estimates only place links whose far end is off screen; globals.css
 * lays the node out (checked against the browser's layout: port handles exact, widget handles and
 * heights within a few px).
 */
import { type NodeHandle, Position } from "@xyflow/react";
import type { FlowNode, PetalNode } from "@/app/_lib/flow-types";
import type { NodeDefinition } from "@/core/node/define";
import { registry } from "@/nodes/registry";
import { PLOT_HEIGHT, rowHeight } from "./zoom";

const NODE_WIDTH = 250;
/** Top of the first port row (the header and the ports' padding) and each row's height (px). */
const PORTS_TOP = 31.8;
const PORT_ROW = 20.8;
/** A port handle (12 px) and a widget's input handle (9 px), as globals.css draws them. */
const PORT_HANDLE = 12;
const WIDGET_HANDLE = 9;

interface Layout {
  width: number;
  height: number;
  handles: NodeHandle[];
}

function layoutOf(def: NodeDefinition): Layout {
  const inputs = Object.keys(def.inputs);
  const outputs = Object.keys(def.outputs);
  const rows = Math.max(inputs.length, outputs.length);
  const handles: NodeHandle[] = [];
  const portY = (i: number) => PORTS_TOP + i * PORT_ROW + (PORT_ROW - PORT_HANDLE) / 2;
  inputs.forEach((id, i) => {
    handles.push({ id, type: "target", position: Position.Left, x: -7, y: portY(i), width: 12, height: 12 });
  });
  outputs.forEach((id, i) => {
    handles.push({
      id,
      type: "source",
      position: Position.Right,
      x: NODE_WIDTH - 5,
      y: portY(i),
      width: 12,
      height: 12,
    });
  });
  // The widgets' block: a 1 px border and 2 px padding above its rows, 6 px below.
  let y = PORTS_TOP + rows * PORT_ROW + 4;
  const widgets = Object.entries(def.widgets);
  if (widgets.length > 0) {
    y += 3;
    for (const [id, spec] of widgets) {
      const h = rowHeight(spec);
      if (spec.linkable)
        handles.push({
          id,
          type: "target",
          position: Position.Left,
          x: -3.5,
          y: y + (h - WIDGET_HANDLE) / 2,
          width: WIDGET_HANDLE,
          height: WIDGET_HANDLE,
        });
      y += h;
    }
    y += 6;
  }
  if (def.ui?.extras?.includes("schedule-plot")) y += PLOT_HEIGHT;
  // Half a pixel off the browser's whole-pixel sizes: React Flow reports a node's real size when it is
  // drawn only if it differs from the one it had (so the store always learns it).
  return { width: NODE_WIDTH, height: Math.round(y + 1) + 0.5, handles };
}

const layouts = new Map<string, Layout>();
function layoutFor(type: string): Layout | null {
  let l = layouts.get(type);
  if (!l) {
    const def = registry.get(type);
    if (!def) return null;
    l = layoutOf(def);
    layouts.set(type, l);
  }
  return l;
}

/** A node type's estimated size when drawn (px), or null for a type this server lacks. */
export function estimatedSize(type: string): { width: number; height: number } | null {
  const l = layoutFor(type);
  return l && { width: l.width, height: l.height };
}

/**
 * Remembers, per canvas, which nodes React Flow has measured: a node it measured once and that comes
 * back unmeasured (the document reloaded) is left to React Flow to measure again, as before, so a node
 * on screen never keeps estimated handles.
 */
export class NodeEstimates {
  #measured = new Set<string>();
  #cache = new WeakMap<FlowNode, FlowNode>();

  /** `nodes` with the estimates added to the petal nodes never measured (the same objects otherwise). */
  apply(nodes: FlowNode[]): FlowNode[] {
    let changed = false;
    const out = nodes.map((n) => {
      if (n.measured?.width !== undefined) {
        this.#measured.add(n.id);
        return n;
      }
      if (n.type !== "petal" || this.#measured.has(n.id)) return n;
      let e = this.#cache.get(n);
      if (!e) {
        const l = layoutFor((n as PetalNode).data.type);
        if (!l) return n;
        // Given as measured: React Flow's fitView waits until every node has a measured size.
        e = { ...n, measured: { width: l.width, height: l.height }, handles: l.handles } as FlowNode;
        this.#cache.set(n, e);
      }
      changed = true;
      return e;
    });
    return changed ? out : nodes;
  }
}
