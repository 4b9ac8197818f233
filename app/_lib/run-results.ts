/** A stored run's images and seeds, per node, for showing a past (or shared) result on the canvas. */
import type { FileOutput } from "@/core/run/events";

/** A stored image or latent as the API lists it (runs.get, shares.get). */
export interface ArtifactLike {
  nodeId: string;
  kind: string;
  url: string;
  width: number | null;
  height: number | null;
  seed: string | null;
}

export function resultsByNode(
  artifacts: readonly ArtifactLike[],
  seeds: Record<string, string> = {},
): Record<string, { files?: FileOutput[]; seeds?: string[] }> {
  const out: Record<string, { files?: FileOutput[]; seeds?: string[] }> = {};
  for (const a of artifacts) {
    if (a.kind !== "image" && a.kind !== "preview") continue;
    const entry = out[a.nodeId] ?? {};
    out[a.nodeId] = entry;
    entry.files = entry.files ?? [];
    entry.files.push({
      path: a.url,
      kind: "image",
      ...(a.width !== null ? { width: a.width } : {}),
      ...(a.height !== null ? { height: a.height } : {}),
      ...(a.seed !== null ? { seed: a.seed } : {}),
    });
  }
  for (const [key, seed] of Object.entries(seeds)) {
    // Keys are "nodeId.param"; node ids may contain dots, parameter names never do.
    const nodeId = key.slice(0, key.lastIndexOf("."));
    const entry = out[nodeId] ?? {};
    out[nodeId] = entry;
    entry.seeds = [...(entry.seeds ?? []), seed];
  }
  return out;
}
