/**
 * Cache affinity: which worker's output cache probably holds the unchanged part of a graph. Each node
 * gets a key from its type, version, parameters (editor-only widgets left out, as the executor's cache
 * signature does) and its inputs' keys, so a node's key changes exactly when something upstream of it
 * changed. The server remembers the keys of the last runs each worker executed and prefers the worker
 * sharing the most keys with a new run: a seed-only rerun shares everything but Noise and what follows.
 */
import { createHash } from "node:crypto";
import { registry } from "../../nodes/registry";

type DocNode = {
  id: string;
  type: string;
  version?: number;
  mode?: string;
  params?: Record<string, unknown>;
};
type DocEdge = { from: { node: string; port: string }; to: { node: string; port: string } };

/** The keys of a document's cacheable nodes (output nodes, whose work is always redone, left out). */
export function graphKeys(document: unknown): string[] {
  const doc = document as { nodes?: DocNode[]; edges?: DocEdge[] };
  if (!Array.isArray(doc?.nodes) || !Array.isArray(doc.edges)) return [];
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
  const incoming = new Map<string, DocEdge[]>();
  for (const e of doc.edges) incoming.set(e.to.node, [...(incoming.get(e.to.node) ?? []), e]);
  const keys = new Map<string, string>();
  const visiting = new Set<string>();
  const keyOf = (id: string): string => {
    const known = keys.get(id);
    if (known) return known;
    if (visiting.has(id)) return "cycle";
    visiting.add(id);
    const n = nodes.get(id);
    const def = n ? registry.get(n.type) : undefined;
    const params: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(n?.params ?? {}))
      if (!def?.widgets[name]?.editorOnly) params[name] = v;
    const inputs = (incoming.get(id) ?? [])
      .map((e) => `${e.to.port}<${keyOf(e.from.node)}#${e.from.port}`)
      .sort();
    const key = createHash("sha256")
      .update(JSON.stringify([n?.type, n?.version, n?.mode, sortKeys(params), inputs]))
      .digest("hex")
      .slice(0, 32);
    visiting.delete(id);
    keys.set(id, key);
    return key;
  };
  const out: string[] = [];
  for (const n of doc.nodes) {
    const def = registry.get(n.type);
    if (!def || def.isOutput || def.alwaysRun) continue;
    out.push(keyOf(n.id));
  }
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** Remembers the keys each worker computed recently (a bounded number of runs per worker). */
export class AffinityMap {
  readonly #held = new Map<string, string[][]>();

  constructor(private readonly runsPerWorker = 16) {}

  record(workerId: string, keys: string[]): void {
    const runs = this.#held.get(workerId) ?? [];
    runs.unshift(keys);
    runs.length = Math.min(runs.length, this.runsPerWorker);
    this.#held.set(workerId, runs);
  }

  forget(workerId: string): void {
    this.#held.delete(workerId);
  }

  /** The candidate sharing the most keys with `keys` (ties: the first), or null when none shares any. */
  best(keys: readonly string[], candidates: readonly string[]): string | null {
    let best: string | null = null;
    let bestScore = 0;
    for (const id of candidates) {
      const held = new Set((this.#held.get(id) ?? []).flat());
      const score = keys.filter((k) => held.has(k)).length;
      if (score > bestScore) {
        best = id;
        bestScore = score;
      }
    }
    return best;
  }
}
