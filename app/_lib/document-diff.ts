/** What changed between two versions of a graph, in words a person checks: nodes, parameters, links. */

import type { GraphDocument } from "@/core/graph/document";
import { registry } from "@/nodes/registry";

export type DiffLine =
  | { kind: "node-added" | "node-removed"; node: string }
  | { kind: "param"; node: string; param: string; before: unknown; after: unknown }
  | { kind: "mode"; node: string; before: string; after: string }
  | { kind: "links"; added: number; removed: number }
  | { kind: "name"; before: string; after: string };

function nodeLabel(n: GraphDocument["nodes"][number]): string {
  return `${n.title || registry.get(n.type)?.title || n.type} (${n.id})`;
}

const show = (v: unknown) => (v === undefined ? "—" : typeof v === "string" ? JSON.stringify(v) : String(v));

export { show as showDiffValue };

export function diffDocuments(before: GraphDocument, after: GraphDocument): DiffLine[] {
  const out: DiffLine[] = [];
  if (before.name !== after.name) out.push({ kind: "name", before: before.name, after: after.name });
  const a = new Map(before.nodes.map((n) => [n.id, n]));
  const b = new Map(after.nodes.map((n) => [n.id, n]));
  for (const [id, n] of a) if (!b.has(id)) out.push({ kind: "node-removed", node: nodeLabel(n) });
  for (const [id, n] of b) if (!a.has(id)) out.push({ kind: "node-added", node: nodeLabel(n) });
  for (const [id, nb] of b) {
    const na = a.get(id);
    if (!na) continue;
    const keys = new Set([...Object.keys(na.params), ...Object.keys(nb.params)]);
    for (const k of [...keys].sort()) {
      if (JSON.stringify(na.params[k]) !== JSON.stringify(nb.params[k]))
        out.push({ kind: "param", node: nodeLabel(nb), param: k, before: na.params[k], after: nb.params[k] });
    }
    if ((na.mode ?? "normal") !== (nb.mode ?? "normal"))
      out.push({
        kind: "mode",
        node: nodeLabel(nb),
        before: na.mode ?? "normal",
        after: nb.mode ?? "normal",
      });
  }
  const key = (e: GraphDocument["edges"][number]) =>
    `${e.from.node}.${e.from.port}>${e.to.node}.${e.to.port}`;
  const ea = new Set(before.edges.map(key));
  const eb = new Set(after.edges.map(key));
  const added = [...eb].filter((k) => !ea.has(k)).length;
  const removed = [...ea].filter((k) => !eb.has(k)).length;
  if (added || removed) out.push({ kind: "links", added, removed });
  return out;
}
