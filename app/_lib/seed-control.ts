/**
 * "Control after run" in the editor, as ComfyUI's control_after_generate: the run uses the seed shown;
 * once the server has ACCEPTED it, the editor moves each seed on (fixed / increment / decrement /
 * randomize) for the next run. If every run so queued then fails, the seeds go back, so a failed run
 * leaves the seed it failed with. Moving a seed on is not a user edit: it never undoes, and "Unsaved
 * changes" ignores the seeds the editor moves by itself (see `comparableJson`).
 */

import { canonicalJson, type GraphDocument } from "../../core/graph/document";
import { advanceSeeds, randomSeed } from "../../core/graph/overrides";
import { parseSeed, seedToJson, type WidgetSpec } from "../../core/node/define";
import { registry } from "../../nodes/registry";

export interface SeedMove {
  nodeId: string;
  key: string;
  /** The value the run used (what was shown when it was queued). */
  before: unknown;
  /** The value shown for the next run. */
  value: unknown;
}

/**
 * The seed moves for `times` runs queued from `sent`, for seed widgets still showing what was sent
 * (a seed the user edited while the request was in flight is left alone).
 */
export function seedsAfterRun(
  sent: GraphDocument,
  current: GraphDocument,
  times: number,
  random: () => bigint = randomSeed,
): SeedMove[] {
  let next = sent;
  for (let i = 0; i < times; i++) next = advanceSeeds(next, registry, random);
  const nextById = new Map(next.nodes.map((n) => [n.id, n]));
  const now = new Map(current.nodes.map((n) => [n.id, n]));
  const moves: SeedMove[] = [];
  for (const node of sent.nodes) {
    const def = registry.get(node.type);
    const after = nextById.get(node.id);
    const shown = now.get(node.id);
    if (!def || !after || !shown) continue;
    for (const [key, w] of Object.entries(def.widgets)) {
      if (w.kind !== "seed") continue;
      const untouched = parseSeed(shown.params[key]) === parseSeed(node.params[key]);
      if (untouched && after.params[key] !== node.params[key])
        moves.push({ nodeId: node.id, key, before: node.params[key], value: after.params[key] });
    }
  }
  return moves;
}

/** Undoes moves whose seed still shows the moved-on value (a later run or the user may have moved it). */
export function seedsBack(moves: readonly SeedMove[], current: GraphDocument): SeedMove[] {
  const now = new Map(current.nodes.map((n) => [n.id, n]));
  return moves
    .filter((m) => parseSeed(now.get(m.nodeId)?.params[m.key]) === parseSeed(m.value))
    .map((m) => ({ nodeId: m.nodeId, key: m.key, before: m.value, value: m.before }));
}

/** True when the editor moves this seed widget on after each run (its declared control ≠ fixed). */
function seedMovesByItself(node: GraphDocument["nodes"][number], w: WidgetSpec): boolean {
  if (w.kind !== "seed" || !w.controlAfterRun) return false;
  const control = node.params[w.controlAfterRun];
  return typeof control === "string" && control !== "fixed";
}

/**
 * Canonical JSON for the "Unsaved changes" comparison: the seeds of nodes whose control is increment,
 * decrement or randomize are left out — the editor changes them after every run, and the seed each
 * image was made with is kept with its run and in its PNG. A fixed seed counts like any parameter.
 */
export function comparableJson(doc: GraphDocument): string {
  return canonicalJson({
    ...doc,
    nodes: doc.nodes.map((n) => {
      const moving = Object.entries(registry.get(n.type)?.widgets ?? {}).filter(([, w]) =>
        seedMovesByItself(n, w),
      );
      if (moving.length === 0) return n;
      const params = { ...n.params };
      for (const [key] of moving) delete params[key];
      return { ...n, params };
    }),
  });
}

/**
 * "Use this seed": the updates that set every seed widget not fed by a link (or only those of
 * `nodeId`) to `seed`, touching nothing else.
 */
export function seedUpdates(
  doc: GraphDocument,
  seed: bigint,
  nodeId?: string,
): { nodeId: string; key: string; value: number | string }[] {
  const linked = new Set(doc.edges.map((e) => `${e.to.node}\0${e.to.port}`));
  return doc.nodes.flatMap((n) =>
    Object.entries(registry.get(n.type)?.widgets ?? {})
      .filter(([k, w]) => w.kind === "seed" && (!nodeId || n.id === nodeId) && !linked.has(`${n.id}\0${k}`))
      .map(([k]) => ({ nodeId: n.id, key: k, value: seedToJson(seed) })),
  );
}
