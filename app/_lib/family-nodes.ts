/**
 * Which nodes fit the graph's models: the palette marks the ones made for the detected family (Text
 * Encoder (SDXL) with an SDXL model, Inpaint Conditioning with an inpainting model) and mutes those
 * that the graph's models cannot run, with the reason in their tooltip. Pure: the family labels come
 * from models.list ("sdxl", "sdxl · turbo", "sd1 · inpaint", "sdxl-refiner").
 */

export interface NodeFit {
  fit: "suggested" | "unfit";
  reason: string;
}

/** The family labels of the models the graph's Model Loaders pick (unknown ids are left out). */
export function pickedFamilies(
  pickedModelIds: readonly string[],
  models: readonly { id: string; family?: string }[] | undefined,
): string[] {
  const out: string[] = [];
  for (const id of pickedModelIds) {
    const family = models?.find((m) => m.id === id)?.family;
    if (family) out.push(family);
  }
  return out;
}

/** Node type → how it fits the picked families; empty while no model is picked (nothing to say). */
export function familyNodeFits(familyLabels: readonly string[]): Map<string, NodeFit> {
  const fits = new Map<string, NodeFit>();
  if (familyLabels.length === 0) return fits;
  const kinds = familyLabels.map((l) => l.split(" · "));
  const models = familyLabels.join(", ");
  const sdxl = kinds.some((k) => k.includes("sdxl") || k.includes("sdxl-refiner"));
  const inpaint = kinds.some((k) => k.includes("inpaint"));
  fits.set(
    "text-encoder-sdxl",
    sdxl
      ? { fit: "suggested", reason: `for the graph's SDXL model (${models}): size, crop and a second prompt` }
      : { fit: "unfit", reason: `needs an SDXL model; the graph's model is ${models}` },
  );
  fits.set(
    "inpaint-conditioning",
    inpaint
      ? { fit: "suggested", reason: `for the graph's inpainting model (${models}): mask and masked image` }
      : {
          fit: "unfit",
          reason: `needs an inpainting model (9-channel U-Net); the graph's is ${models}: use Set Latent Noise Mask`,
        },
  );
  return fits;
}

/** Search results in the same order, but those made for the graph's family first and the unfit last. */
export function byFit<T extends { id: string }>(defs: readonly T[], fits: ReadonlyMap<string, NodeFit>): T[] {
  const rank = (d: T) => {
    const f = fits.get(d.id)?.fit;
    return f === "suggested" ? 0 : f === "unfit" ? 2 : 1;
  };
  return defs
    .map((d, i) => ({ d, i }))
    .sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i)
    .map((x) => x.d);
}
