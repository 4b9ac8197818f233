/**
 * Petalflow node ids ↔ the ComfyUI node ids of the prompt they came from. The importer names the
 * Petalflow nodes of ComfyUI node N `cN` (sanitised), and the extra nodes of a KSampler `cN.noise` /
 * `cN.schedule`; so every Petalflow node of an imported prompt reports as its ComfyUI node.
 */

/** The Petalflow id the importer gives ComfyUI node `comfyId` (server/interop/comfy/map.ts). */
export function petalIdOf(comfyId: string): string {
  return `c${comfyId}`.replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 56);
}

/** Petalflow node id → ComfyUI node id, for the ids of one prompt. */
export function comfyIdMap(promptIds: readonly string[]): (petalId: string) => string {
  const exact = new Map(promptIds.map((id) => [petalIdOf(id), id]));
  return (petalId) => {
    const hit = exact.get(petalId);
    if (hit !== undefined) return hit;
    const dot = petalId.lastIndexOf(".");
    const base = dot > 0 ? exact.get(petalId.slice(0, dot)) : undefined;
    if (base !== undefined) return base;
    // Not from this prompt (or the prompt is not known any more): the importer's naming, undone.
    return petalId.replace(/^c/, "").replace(/\.(noise|schedule)$/, "");
  };
}

/** The output nodes (SaveImage, PreviewImage) that depend on each node of the prompt, by node id. */
export function dependentOutputs(prompt: Record<string, { class_type?: unknown; inputs?: unknown }>) {
  const isOutput = (id: string) =>
    Object.hasOwn(prompt, id) && ["SaveImage", "PreviewImage"].includes(String(prompt[id]?.class_type));
  // Iterative: a hostile prompt may chain thousands of nodes.
  const upstream = (start: string, seen: Set<string>) => {
    const stack = [start];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id) || !Object.hasOwn(prompt, id)) continue;
      seen.add(id);
      const inputs = prompt[id].inputs;
      if (inputs && typeof inputs === "object")
        for (const v of Object.values(inputs as Record<string, unknown>))
          if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string") stack.push(v[0]);
    }
  };
  const out = new Map<string, string[]>();
  for (const o of Object.keys(prompt).filter(isOutput)) {
    const seen = new Set<string>();
    upstream(o, seen);
    for (const id of seen) out.set(id, [...(out.get(id) ?? []), o]);
  }
  return { outputs: Object.keys(prompt).filter(isOutput), of: (id: string) => out.get(id) ?? [] };
}
