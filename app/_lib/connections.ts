/**
 * May this link be drawn? The canvas asks while a link is dragged (to colour the target) and again
 * when it is dropped (to refuse it with a reason). Socket compatibility is `canConnect`, the same rule
 * the server's validator applies; the canvas adds the graph-shape rules (no self links, no cycles).
 */

import { inputPortType } from "@/core/graph/validate";
import type { NodeDefinition } from "@/core/node/define";
import { canConnect, type SocketType } from "@/core/node/sockets";
import { registry } from "@/nodes/registry";
import type { FlowEdge, FlowNode } from "./flow-types";

export interface LinkRequest {
  source: string;
  sourceHandle: string | null;
  target: string;
  targetHandle: string | null;
}

export type LinkCheck = { ok: true; socket: SocketType } | { ok: false; reason: string };

export function definitionOf(node: FlowNode | undefined): NodeDefinition | undefined {
  return node?.type === "petal" ? registry.get(node.data.type) : undefined;
}

export function checkLink(
  link: LinkRequest,
  nodeById: (id: string) => FlowNode | undefined,
  edges: readonly FlowEdge[],
): LinkCheck {
  const from = definitionOf(nodeById(link.source));
  const to = definitionOf(nodeById(link.target));
  if (!from || !to) return { ok: false, reason: "Links join two known nodes" };
  if (link.source === link.target) return { ok: false, reason: "A node cannot feed itself" };
  const out = link.sourceHandle ? from.outputs[link.sourceHandle] : undefined;
  if (!out) return { ok: false, reason: `${from.title} has no output "${link.sourceHandle}"` };
  const inType = link.targetHandle ? inputPortType(to, link.targetHandle) : null;
  if (!inType) return { ok: false, reason: `${to.title} has no input "${link.targetHandle}"` };
  const compat = canConnect(out.type, inType);
  if (!compat.ok)
    return { ok: false, reason: `${compat.reason} (${from.title} → ${to.title}.${link.targetHandle})` };
  if (reaches(link.target, link.source, edges))
    return { ok: false, reason: `Linking ${from.title} → ${to.title} would make a cycle` };
  return { ok: true, socket: out.type };
}

/** Is `to` reachable from `from` along the links? (A new link to → from would then close a cycle.) */
function reaches(from: string, to: string, edges: readonly FlowEdge[]): boolean {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

/** The first input of `def` (sockets, then linkable widgets) that accepts `type`. */
export function firstCompatibleInput(def: NodeDefinition, type: SocketType): string | null {
  for (const name of [...Object.keys(def.inputs), ...Object.keys(def.widgets)]) {
    const t = inputPortType(def, name);
    if (t && canConnect(type, t).ok) return name;
  }
  return null;
}

/** The first output of `def` that may feed an input of `type`. */
export function firstCompatibleOutput(def: NodeDefinition, type: SocketType): string | null {
  for (const [name, spec] of Object.entries(def.outputs)) if (canConnect(spec.type, type).ok) return name;
  return null;
}
