/**
 * What a U-Net's ONNX inputs say it needs besides the latent and the timestep, and the SDXL added
 * conditioning built for it: `text_embeds` (the pooled text embedding) and `time_ids`, diffusers'
 * _get_add_time_ids: original_size + crops_coords_top_left + target_size as (height, width) pairs
 * (6 values), or for a refiner original_size + crops_coords_top_left + (aesthetic_score,) (5 values).
 */
import { type ConditioningEntry, type ModelKind, Tensor } from "../../core/node/values";
import type { OnnxModel } from "./sessions";

export interface UnetContract {
  /** Width of each text token embedding (encoder_hidden_states' last dimension), null when symbolic. */
  contextDim: number | null;
  /** The pooled-embedding width when the U-Net takes `text_embeds` (SDXL), else null. */
  textEmbeds: { dim: number | null } | null;
  /** How many time ids the U-Net takes (6 SDXL base, 5 refiner), or null when it takes none. */
  timeIds: number | null;
  /** Channels of `sample` (4; 9 for inpainting U-Nets), null when symbolic. */
  sampleChannels: number | null;
}

const dim = (d: number | string | undefined) => (typeof d === "number" && d > 0 ? d : null);

export function unetContract(session: OnnxModel, family?: ModelKind["family"]): UnetContract {
  const input = (name: string) => session.inputs.find((i) => i.name === name);
  const context = input("encoder_hidden_states") ?? session.inputs[2];
  const sample = input("sample") ?? session.inputs[0];
  const te = input("text_embeds");
  const ti = input("time_ids");
  return {
    contextDim: dim(context?.shape[2]),
    textEmbeds: te ? { dim: dim(te.shape[1]) } : null,
    timeIds: ti ? (dim(ti.shape[1]) ?? (family === "sdxl-refiner" ? 5 : 6)) : null,
    sampleChannels: dim(sample?.shape[1]),
  };
}

/** diffusers' default aesthetic scores: 6 for the prompt, 2.5 for the negative prompt. */
export const DEFAULT_AESTHETIC_SCORE = { positive: 6, negative: 2.5 } as const;

/**
 * The time ids of one conditioning entry for an image of `height` × `width` pixels. A size of 0 (or an
 * entry without size conditioning) means the image's size, as diffusers' `original_size or (height, width)`.
 */
export function timeIds(
  sizeCond: ConditioningEntry["sizeCond"],
  height: number,
  width: number,
  count: number,
  role: "positive" | "negative",
): number[] {
  const orZero = (v: number | undefined, fallback: number) => (v ? v : fallback);
  const original = [orZero(sizeCond?.originalSize[0], height), orZero(sizeCond?.originalSize[1], width)];
  const crop = [sizeCond?.cropTopLeft[0] ?? 0, sizeCond?.cropTopLeft[1] ?? 0];
  if (count === 5) return [...original, ...crop, sizeCond?.aestheticScore ?? DEFAULT_AESTHETIC_SCORE[role]];
  if (count === 6)
    return [
      ...original,
      ...crop,
      orZero(sizeCond?.targetSize[0], height),
      orZero(sizeCond?.targetSize[1], width),
    ];
  throw new Error(`the U-Net takes ${count} time ids; SDXL U-Nets take 6 (base) or 5 (refiner)`);
}

/**
 * Throws when a conditioning cannot feed this U-Net, naming the mismatch: the token-embedding width
 * (SD 1.x 768, SD 2.x 1024, SDXL 2048 = 768 + 1280, refiner 1280) and the pooled `text_embeds` an SDXL
 * U-Net needs. Conditioning from another model folder is accepted when it fits (e.g. SDXL base and Turbo).
 */
export function checkConditioningFits(
  entries: readonly ConditioningEntry[],
  contract: UnetContract,
  unet: { modelId: string; model?: ModelKind },
  which: string,
  sourceKind?: (modelId: string) => string | undefined,
): void {
  if (entries.length === 0) throw new Error(`the ${which} conditioning is empty`);
  const unetName = `the U-Net ${unet.modelId}/unet (${unet.model?.family ?? "sd1"})`;
  for (const e of entries) {
    if (e.embeds.dims.length !== 3)
      throw new Error(`the ${which} conditioning has shape [${e.embeds.dims.join(",")}], expected [1,77,D]`);
    const D = e.embeds.dims[2];
    const from = `the ${which} conditioning from model "${e.modelId}"${sourceKind?.(e.modelId) ? ` (${sourceKind(e.modelId)})` : ""}`;
    const problems: string[] = [];
    if (contract.contextDim !== null && D !== contract.contextDim)
      problems.push(
        `${unetName} takes ${contract.contextDim}-wide text embeddings (input "encoder_hidden_states"), but ${from} is ${D} wide`,
      );
    if (contract.textEmbeds) {
      const want = contract.textEmbeds.dim;
      const P = e.pooled?.dims[e.pooled.dims.length - 1];
      if (!e.pooled || !e.sizeCond)
        problems.push(
          `${unetName} needs "text_embeds"${want ? ` [1,${want}]` : ""} (the pooled embedding of text_encoder_2) and "time_ids", which ${from} does not have: encode with an SDXL model's text encoders`,
        );
      else if (want !== null && P !== want)
        problems.push(
          `${unetName} takes ${want}-wide "text_embeds", but ${from} has ${P}-wide pooled embeddings`,
        );
    }
    if (problems.length) throw new Error(problems.join("; "));
  }
}

/** [1,P] pooled + [1,K] time ids, by the U-Net's input names. */
export function addedConditioning(pooled: Tensor, ids: number[]): { text_embeds: Tensor; time_ids: Tensor } {
  const p = pooled.dims.length === 2 ? pooled : new Tensor([1, pooled.size], pooled.data);
  return { text_embeds: p, time_ids: new Tensor([1, ids.length], Float32Array.from(ids)) };
}
