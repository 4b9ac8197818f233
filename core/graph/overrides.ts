/**
 * Parameter overrides applied to a document before a run: one seed for every seed widget, or
 * `node.param=value` edits — what the CLI's --seed/--set and the server's reruns and sweeps use.
 * Also the seed "control after run" step. Pure: the canvas uses it too.
 */
import { MAX_SEED, parseSeed, seedToJson } from "../node/define";
import type { NodeRegistry } from "../node/registry-core";
import type { GraphDocument } from "./document";

export interface ParamSet {
  nodeId: string;
  param: string;
  value: unknown;
}

export interface Overrides {
  /** Sets every seed widget that is not fed by a link. */
  seed?: bigint;
  set?: ParamSet[];
}

/** "42" → [42n]; "1..8" → 1…8; "3,7,9" → [3,7,9]. At most 1,000 seeds. */
export function parseSeedList(text: string): bigint[] {
  const range = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  let seeds: (bigint | null)[];
  if (range) {
    const [a, b] = [parseSeed(range[1]), parseSeed(range[2])];
    if (a === null || b === null || b < a)
      throw new Error(`bad seed range "${text}": expected A..B with 0 ≤ A ≤ B ≤ ${MAX_SEED}`);
    if (b - a >= 1000n) throw new Error(`seed range "${text}" has more than 1000 seeds`);
    seeds = [];
    for (let s = a; s <= b; s++) seeds.push(s);
  } else seeds = text.split(",").map((s) => parseSeed(s.trim()));
  if (seeds.some((s) => s === null) || seeds.length === 0)
    throw new Error(`bad seed list "${text}": expected N, A..B or N,M,… with integers from 0 to ${MAX_SEED}`);
  if (seeds.length > 1000) throw new Error("at most 1000 seeds");
  return seeds as bigint[];
}

/** "node.param=value": the value is read as JSON when it parses (numbers, true/false), else as text. */
export function parseSetArgument(text: string): ParamSet {
  const m = /^([A-Za-z0-9_.:-]+?)\.([A-Za-z][A-Za-z0-9_]*)=(.*)$/s.exec(text);
  if (!m) throw new Error(`bad --set "${text}": expected <nodeId>.<param>=<value>`);
  let value: unknown = m[3];
  try {
    value = JSON.parse(m[3]);
  } catch {
    // plain text
  }
  return { nodeId: m[1], param: m[2], value };
}

/** Applies overrides to a copy of the document; unknown nodes or parameters are errors, named. */
export function applyOverrides(
  doc: GraphDocument,
  registry: NodeRegistry,
  overrides: Overrides,
): GraphDocument {
  const out: GraphDocument = structuredClone(doc);
  const linked = new Set(out.edges.map((e) => `${e.to.node}\0${e.to.port}`));
  if (overrides.seed !== undefined) {
    for (const node of out.nodes) {
      const def = registry.get(node.type);
      for (const [name, w] of Object.entries(def?.widgets ?? {}))
        if (w.kind === "seed" && !linked.has(`${node.id}\0${name}`))
          node.params[name] = seedToJson(overrides.seed);
    }
  }
  for (const s of overrides.set ?? []) {
    const node = out.nodes.find((n) => n.id === s.nodeId);
    if (!node) throw new Error(`--set: no node "${s.nodeId}" in the graph`);
    const def = registry.get(node.type);
    if (def && !Object.hasOwn(def.widgets, s.param))
      throw new Error(`--set: ${def.title} "${s.nodeId}" has no parameter "${s.param}"`);
    node.params[s.param] = s.value;
  }
  return out;
}

/** The seeds every seed widget will use, by "node.param". */
export function seedsOf(doc: GraphDocument, registry: NodeRegistry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const node of doc.nodes)
    for (const [name, w] of Object.entries(registry.get(node.type)?.widgets ?? {}))
      if (w.kind === "seed")
        out[`${node.id}.${name}`] = String(parseSeed(node.params[name]) ?? node.params[name]);
  return out;
}

/**
 * "Control after run": after a run is taken, each seed widget moves on as the widget its declaration
 * names in `controlAfterRun` says (fixed / increment / decrement / randomize); a seed without one stays.
 * The run itself used the seed shown before this.
 */
export function advanceSeeds(
  doc: GraphDocument,
  registry: NodeRegistry,
  random: () => bigint = randomSeed,
): GraphDocument {
  const out: GraphDocument = structuredClone(doc);
  for (const node of out.nodes) {
    const def = registry.get(node.type);
    for (const [name, w] of Object.entries(def?.widgets ?? {})) {
      if (w.kind !== "seed" || !w.controlAfterRun) continue;
      const control = node.params[w.controlAfterRun];
      const seed = parseSeed(node.params[name]) ?? 0n;
      let next = seed;
      if (control === "increment") next = seed === MAX_SEED ? 0n : seed + 1n;
      else if (control === "decrement") next = seed === 0n ? MAX_SEED : seed - 1n;
      else if (control === "randomize") next = random();
      node.params[name] = seedToJson(next);
    }
  }
  return out;
}

/** A random seed in the range people paste around: 0 … 2^50 (safe as a JSON number). */
export function randomSeed(): bigint {
  const buf = new Uint32Array(2);
  crypto.getRandomValues(buf);
  return (BigInt(buf[0] & 0x3ffff) << 32n) | BigInt(buf[1]);
}
