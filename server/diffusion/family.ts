/**
 * Which kind of Stable Diffusion a folder holds, from its files and configs alone (no ONNX session):
 *
 *   sdxl-refiner  text_encoder_2 without text_encoder, or model_index `requires_aesthetics_score`,
 *                 or a U-Net whose added embedding is 1280 + 5·256 = 2560 wide (aesthetic score in time_ids)
 *   sdxl          text_encoder_2, or unet/config.json `addition_embed_type: "text_time"`
 *   sd2 / sd2-v   OpenCLIP text encoder: hidden size 1024, or its tokenizer pads with "!"; -v when the
 *                 scheduler config says `v_prediction` (SD 2.x 768)
 *   sd1           anything else
 *
 * Traits on top: `inpaint` (a U-Net that takes 2·C + 1 channels: latent, mask, masked-image latent) and
 * `fewStep` ("lcm": LCMScheduler or a U-Net with `time_cond_proj_dim`; "turbo": a folder named …turbo…,
 * as SD-Turbo and SDXL-Turbo are published with the plain Euler config of their base).
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { ModelFamily } from "./models";

export interface FamilyInput {
  id: string;
  hasTextEncoder: boolean;
  hasTextEncoder2: boolean;
  textHiddenSize: number | null;
  padToken: string | null;
  predictionType: "epsilon" | "v_prediction" | "sample";
  schedulerClass: string | null;
  schedulerConfig: unknown;
  index: { force_zeros_for_empty_prompt?: boolean; requires_aesthetics_score?: boolean };
  unet: {
    in_channels?: number;
    out_channels?: number;
    sample_size?: number;
    addition_embed_type?: string | null;
    projection_class_embeddings_input_dim?: number | null;
    time_cond_proj_dim?: number | null;
  };
}

export interface DetectedFamily {
  family: ModelFamily;
  inpaint: boolean;
  fewStep: "turbo" | "lcm" | null;
  forceZerosForEmptyPrompt: boolean;
  defaultImageSize: number;
}

/** SDXL's added-condition width: pooled text (1280) + one 256-wide embedding per time id. */
const SDXL_REFINER_ADD_DIM = 1280 + 5 * 256;

export function detectFamily(f: FamilyInput): DetectedFamily {
  const refiner =
    (f.hasTextEncoder2 && !f.hasTextEncoder) ||
    f.index.requires_aesthetics_score === true ||
    f.unet.projection_class_embeddings_input_dim === SDXL_REFINER_ADD_DIM;
  const xl = refiner || f.hasTextEncoder2 || f.unet.addition_embed_type === "text_time";
  let family: ModelFamily;
  if (refiner) family = "sdxl-refiner";
  else if (xl) family = "sdxl";
  else if (f.textHiddenSize === 1024 || f.padToken === "!")
    family = f.predictionType === "v_prediction" ? "sd2-v" : "sd2";
  else family = "sd1";

  const out = f.unet.out_channels ?? 4;
  const inpaint = f.unet.in_channels !== undefined && f.unet.in_channels === 2 * out + 1;
  const fewStep =
    f.schedulerClass === "LCMScheduler" || f.unet.time_cond_proj_dim || /(^|[-_ ])lcm([-_ ]|$)/i.test(f.id)
      ? "lcm"
      : /turbo/i.test(f.id)
        ? "turbo"
        : null;
  const fallbackSize = xl ? 1024 : family === "sd2-v" ? 768 : 512;
  return {
    family,
    inpaint,
    fewStep,
    // diffusers' SDXL pipelines default to True; the refiner's model_index.json says false.
    forceZerosForEmptyPrompt: xl ? (f.index.force_zeros_for_empty_prompt ?? !refiner) : false,
    defaultImageSize: f.unet.sample_size ? f.unet.sample_size * 8 : fallbackSize,
  };
}

/** A short label for the canvas: "sdxl", "sd1 · inpaint", "sdxl · turbo". */
export function familyLabel(d: Pick<DetectedFamily, "family" | "inpaint" | "fewStep">): string {
  return [d.family, d.inpaint ? "inpaint" : null, d.fewStep].filter(Boolean).join(" · ");
}

/** The tokenizer's pad token ("!" for OpenCLIP tokenizers), from special_tokens_map.json or tokenizer_config.json. */
export async function padTokenOf(tokenizerDir: string): Promise<string | null> {
  for (const name of ["special_tokens_map.json", "tokenizer_config.json"]) {
    try {
      const json = JSON.parse(await fs.readFile(path.join(tokenizerDir, name), "utf8")) as Record<
        string,
        unknown
      >;
      const pad = json.pad_token;
      if (typeof pad === "string") return pad;
      if (pad && typeof pad === "object" && typeof (pad as { content?: unknown }).content === "string")
        return (pad as { content: string }).content;
    } catch {
      // missing or malformed: inspectTokenizer reports it
    }
  }
  return null;
}
