/**
 * The values that travel along edges, one per socket type. Plain data (typed arrays, strings), so
 * they can be cached, summarised for progress events, and compared in tests.
 */
import type { SchedulerConfig } from "../schedulers/config";
import type { SocketType } from "./sockets";

/** A dense float32 tensor in row-major (NCHW) order. */
export class Tensor {
  constructor(
    readonly dims: readonly number[],
    readonly data: Float32Array,
  ) {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length)
      throw new Error(`Tensor shape [${dims.join(",")}] needs ${size} values, got ${data.length}`);
  }
  static zeros(dims: readonly number[]): Tensor {
    return new Tensor(dims, new Float32Array(dims.reduce((a, b) => a * b, 1)));
  }
  get size(): number {
    return this.data.length;
  }
  /** Item `i` of the leading (batch) dimension, as a tensor with batch size 1 (a copy). */
  item(i: number): Tensor {
    const per = this.data.length / this.dims[0];
    return new Tensor([1, ...this.dims.slice(1)], this.data.slice(i * per, (i + 1) * per));
  }
  static concat(parts: readonly Tensor[]): Tensor {
    if (parts.length === 0) throw new Error("Tensor.concat needs at least one tensor");
    const rest = parts[0].dims.slice(1);
    for (const p of parts) {
      if (p.dims.slice(1).join(",") !== rest.join(","))
        throw new Error(`Cannot concatenate [${p.dims.join(",")}] with [${parts[0].dims.join(",")}]`);
    }
    const data = new Float32Array(parts.reduce((a, p) => a + p.size, 0));
    let off = 0;
    for (const p of parts) {
      data.set(p.data, off);
      off += p.size;
    }
    return new Tensor([parts.reduce((a, p) => a + p.dims[0], 0), ...rest], data);
  }
}

/** Which model folder (under the models directory) a handle points at. */
export interface ModelRef {
  modelId: string;
}
/** The model family the Model Loader detected (server/diffusion/family.ts), with its traits. */
export interface ModelKind {
  family: "sd1" | "sd2" | "sd2-v" | "sdxl" | "sdxl-refiner";
  inpaint: boolean;
  fewStep: "turbo" | "lcm" | null;
}
export interface TextEncoderHandle extends ModelRef {
  kind: "text_encoder";
  hiddenSize: number;
  /** Absent in values cached before families existed: treat as sd1. */
  model?: ModelKind;
}
export interface UnetHandle extends ModelRef {
  kind: "unet";
  model?: ModelKind;
  /** An empty negative prompt is zeros (SDXL's force_zeros_for_empty_prompt). */
  forceZerosForEmptyPrompt?: boolean;
  /** Default image side in pixels (unet sample_size × 8). */
  defaultImageSize?: number;
  latentChannels: number;
  predictionType: "epsilon" | "v_prediction" | "sample";
  /** The model's scheduler/scheduler_config.json (raw), for the Scheduler node's "model" defaults. */
  schedulerConfig: unknown;
  schedulerClass: string | null;
  /** latent→RGB preview factors (see VaeHandle), for live previews while sampling. */
  previewFactors: number[][];
  previewBias: number[];
}
export interface VaeHandle extends ModelRef {
  kind: "vae";
  scalingFactor: number;
  latentChannels: number;
  hasEncoder: boolean;
  /** latent→RGB preview: rows = latent channels, columns = R,G,B; plus a bias per colour. */
  previewFactors: number[][];
  previewBias: number[];
}

/**
 * SDXL micro-conditioning (diffusers' add_time_ids, ComfyUI's CLIPTextEncodeSDXL widgets): (height, width)
 * pairs in pixels; a 0 size means "the image's size", filled in by the U-Net step from the latent.
 */
export interface SizeConditioning {
  originalSize: [number, number];
  cropTopLeft: [number, number];
  targetSize: [number, number];
  /** Refiner U-Nets (5 time ids) take an aesthetic score in place of the target size; absent = diffusers' default (6, negative 2.5). */
  aestheticScore?: number;
}

/** Text conditioning: one embedding per prompt, [1, 77, D]; several entries are averaged by weight. */
export interface ConditioningEntry {
  embeds: Tensor;
  /** The pooled text embedding [1, P]: SDXL's text_embeds (text_encoder_2), else pooler_output. */
  pooled?: Tensor;
  weight: number;
  text: string;
  /** SDXL: the prompt given to text_encoder_2 when it differs from `text`. */
  text2?: string;
  modelId: string;
  sizeCond?: SizeConditioning;
  /**
   * Inpainting U-Nets' extra input channels [1, 1 + C, h, w]: the mask at latent size and the latent of
   * the image with the masked part blanked (Inpaint Conditioning), joined after the latent.
   */
  concat?: Tensor;
}
export type Conditioning = ConditioningEntry[];

/** Latents [B, C, h, w]. `sigma` > 0 marks a latent that still carries noise (x0 + σ·ε form). */
export interface Latent {
  samples: Tensor;
  sigma: number;
  /** The seeds of the noise each batch item received, when known (decimal strings). */
  seeds?: string[];
  /**
   * ComfyUI's noise_mask (Set Latent Noise Mask): [1 or B, 1, h', w'] in [0, 1], any resolution; the
   * U-Net step re-noises and denoises only where it is 1 and keeps this latent where it is 0.
   */
  noiseMask?: Tensor;
}

/** Starting noise [B, C, h, w]; batch item i was made from seed + i (decimal strings). */
export interface NoiseValue {
  tensor: Tensor;
  seeds: string[];
}

/** Images [B, 3, H, W] with values in [0, 1]. */
export interface ImageValue {
  tensor: Tensor;
  seeds?: string[];
}

/** A mask [B, 1, H, W] in [0, 1]. */
export interface MaskValue {
  tensor: Tensor;
}

/** A sampler configuration plus its series, for the U-Net step and for the canvas plot. */
export interface ScheduleValue {
  algorithm: string;
  steps: number;
  config: SchedulerConfig;
  /** Per model call: the timestep at which the model is called, and σ of the sample there (+ the final σ). */
  timesteps: number[];
  sigmas: number[];
  /** Per training step t = 0 … T−1. */
  series: { beta: number[]; alphaBar: number[]; sigma: number[] };
}

export interface SocketValueMap {
  TEXT_ENCODER: TextEncoderHandle;
  UNET: UnetHandle;
  VAE: VaeHandle;
  CONDITIONING: Conditioning;
  LATENT: Latent;
  NOISE: NoiseValue;
  SCHEDULE: ScheduleValue;
  IMAGE: ImageValue;
  MASK: MaskValue;
  INT: number;
  FLOAT: number;
  STRING: string;
  BOOLEAN: boolean;
}
export type SocketValue<T extends SocketType = SocketType> = SocketValueMap[T];

/** Approximate bytes a value holds, for the cache's memory budget. */
export function valueBytes(value: unknown): number {
  if (value instanceof Tensor) return value.data.byteLength;
  if (value instanceof Float32Array || value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return value.reduce((a: number, v) => a + valueBytes(v), 16);
  if (value && typeof value === "object") {
    let n = 32;
    for (const v of Object.values(value)) n += valueBytes(v);
    return n;
  }
  if (typeof value === "string") return value.length * 2;
  return 8;
}

/** A short JSON-friendly description of a value for progress events ("LATENT [1,4,8,8]"). */
export function summarizeValue(value: unknown): unknown {
  if (value instanceof Tensor) return { shape: [...value.dims] };
  if (Array.isArray(value)) return value.length > 8 ? { length: value.length } : value.map(summarizeValue);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "series") continue;
      out[k] = summarizeValue(v);
    }
    return out;
  }
  if (typeof value === "string" && value.length > 80) return `${value.slice(0, 80)}…`;
  return value;
}
