/**
 * The reverse (denoising) loop behind the U-Net step node. Latents travel between nodes in the
 * variance-exploding form x = x0 + σ·ε (as in ComfyUI); VP schedulers (DDPM, DDIM, LCM, PNDM) get
 * x / sqrt(σ²+1) = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε on the way in, and the inverse on the way out.
 */
import { Tensor } from "../../core/node/values";
import type { SchedulerConfig } from "../../core/schedulers/config";
import { createScheduler } from "../../core/schedulers/index";
import { veToVp, vpToVe } from "../../core/schedulers/space";
import { RunCancelledError } from "../engine/executor";
import { countNonFinite, firstNonFinite } from "./finite";
import { TorchGenerator } from "./noise";

/**
 * Runs the U-Net on a batch: (x_in [N,C,h,w], t, text embeddings [N,77,D], and for SDXL the added
 * conditioning by input name — text_embeds [N,P], time_ids [N,K] — row for row) → prediction [N,C,h,w].
 */
export type DenoiseFn = ((
  sample: Tensor,
  timestep: number,
  context: Tensor,
  added?: Record<string, Tensor>,
) => Promise<Tensor>) & {
  /** LCM-style U-Nets take the guidance scale as an input (timestep_cond) instead of a [neg; pos] batch. */
  embedsGuidance?: boolean;
};

export interface SampleRequest {
  denoise: DenoiseFn;
  /** Named in errors (e.g. a U-Net output holding NaN). */
  modelId?: string;
  algorithm: string;
  config: SchedulerConfig;
  steps: number;
  /** [B,C,h,w] in ve form, at noise level `latentSigma`. */
  latent: Tensor;
  latentSigma: number;
  /** [B,C,h,w] starting noise; required when addNoise. */
  noise?: Tensor;
  seeds?: string[];
  /** Per conditioning entry: [1,77,D] embeddings and weight; SDXL: its added conditioning ([1,P], [1,K]). */
  positive: { embeds: Tensor; weight: number; added?: Record<string, Tensor> }[];
  negative: Tensor;
  /** The negative's added conditioning (SDXL), same names as the positives'. */
  negativeAdded?: Record<string, Tensor>;
  cfg: number;
  startStep: number;
  endStep: number;
  addNoise: boolean;
  leftoverNoise: boolean;
  signal?: AbortSignal;
  /**
   * Latent noise mask [B,C,h,w] (already at latent size, per element): where it is < 1 the sample is
   * reset to the latent re-noised to the current σ before every model call and at the end, as ComfyUI's
   * KSamplerX0Inpaint does, so only the masked region changes.
   */
  noiseMask?: Float32Array;
  /** Per-step noise for ancestral samplers; default: batch item b draws from a generator seeded seeds[b] + 1. Reference tests inject theirs. */
  stepNoise?: { randn(count: number): Float32Array };
  onStep?: (done: number, total: number, x0: () => Tensor) => void;
}

export interface SampleResult {
  samples: Tensor;
  sigma: number;
}

export async function sample(req: SampleRequest): Promise<SampleResult> {
  const sched = createScheduler(req.algorithm, req.config);
  sched.setTimesteps(req.steps);
  const start = Math.max(0, req.startStep);
  const end = Math.min(sched.stepCount, req.endStep);
  const [B, ...rest] = req.latent.dims;
  if (start >= end) return { samples: req.latent, sigma: req.latentSigma };
  const [i0, i1] = sched.callRange(start, end);

  // 1. The starting sample in ve form: x0 + k·ε, or the latent as it is. From the first step (full
  //    denoise) k is the scheduler's starting noise, as diffusers' txt2img (ε·init_noise_sigma) and
  //    ComfyUI (ε·√(1 + σ_max²) at full denoise) start: √(σ_0² + 1) for vp schedulers (unit noise in vp
  //    form), diffusers' init_noise_sigma for σ-ladder ones. Mid-way (img2img, denoise < 1) it is the
  //    forward process at that step, k = σ_start (diffusers' add_noise).
  let xVe: Float32Array;
  if (req.addNoise) {
    if (!req.noise) throw new Error('"add noise" is on but no noise is linked');
    if (req.noise.dims.join(",") !== req.latent.dims.join(","))
      throw new Error(
        `noise shape [${req.noise.dims.join(",")}] does not match the latent's [${req.latent.dims.join(",")}]`,
      );
    const k = i0 === 0 ? startNoiseScale(sched) : sched.sigmas[i0];
    xVe = new Float32Array(req.latent.size);
    for (let i = 0; i < xVe.length; i++) xVe[i] = req.latent.data[i] + k * req.noise.data[i];
  } else xVe = req.latent.data.slice();
  const what = (i: number) =>
    `step ${i - i0 + 1} of ${i1 - i0} (timestep ${+sched.timesteps[i].toFixed(3)}, model "${req.modelId ?? "?"}", scheduler "${req.algorithm}")`;
  const bad = firstNonFinite(xVe);
  if (bad >= 0)
    throw new Error(
      `the starting latent holds NaN/Inf (${countNonFinite(xVe)} of ${xVe.length} values, first at ${bad}) before ${what(i0)}`,
    );

  // 2. Into the scheduler's own space.
  let x: Float32Array = sched.sampleSpace === "vp" ? veToVp(xVe, sched.sigmas[i0]) : xVe;
  // 2b. Latent noise mask, as ComfyUI's KSamplerX0Inpaint: before every model call the sample outside
  //     the mask is the input latent re-noised to σ (in the sampler's space), and the prediction there is
  //     turned into one whose x0 is that latent (m·x0 + (1 − m)·latent), which also blends soft edges alike.
  const mask = req.noiseMask;
  if (mask && mask.length !== x.length)
    throw new Error(`the noise mask has ${mask.length} values, the latent ${x.length}`);
  const keepOutside = (xs: Float32Array, sigma: number, onlyZero = false): Float32Array => {
    if (!mask) return xs;
    const vp = sched.sampleSpace === "vp" ? 1 / Math.sqrt(sigma * sigma + 1) : 1;
    const eps = req.noise?.data;
    const out = new Float32Array(xs.length);
    for (let j = 0; j < xs.length; j++) {
      const m = onlyZero && mask[j] > 0 ? 1 : mask[j];
      const kept = (req.latent.data[j] + (eps ? sigma * eps[j] : 0)) * vp;
      out[j] = m * xs[j] + (1 - m) * kept;
    }
    return out;
  };
  const prediction = req.config.predictionType ?? "epsilon";
  const keepX0Outside = (pred: Float32Array, xs: Float32Array, sigma: number): Float32Array => {
    const a = 1 / Math.sqrt(sigma * sigma + 1); // vp: x_vp = a·x_ve, x_vp = a·x0 + s·ε
    const sv = sigma * a;
    const inVp = sched.sampleSpace === "vp";
    const out = pred.slice();
    for (let j = 0; j < out.length; j++) {
      const m = mask![j];
      if (m >= 1) continue;
      const xv = inVp ? xs[j] : xs[j] * a;
      const x0 =
        prediction === "epsilon"
          ? (xv - sv * pred[j]) / a
          : prediction === "v_prediction"
            ? a * xv - sv * pred[j]
            : pred[j];
      const x0b = m * x0 + (1 - m) * req.latent.data[j];
      const eps = (xv - a * x0b) / sv;
      out[j] = prediction === "epsilon" ? eps : prediction === "v_prediction" ? a * eps - sv * x0b : x0b;
    }
    return out;
  };
  const rng = req.stepNoise ?? batchRng(req.seeds ?? [], B, req.latent.size / B);
  // Classifier-free guidance doubles the batch — unless the U-Net embeds the guidance scale itself (LCM),
  // or the scale is ≤ 1: as diffusers' do_classifier_free_guidance (guidance_scale > 1), no
  // unconditional half is computed then (Turbo models run at CFG 1 with one U-Net call of batch B per step).
  const guided = guidanceActive(req.cfg, req.denoise.embedsGuidance);
  const conds = req.positive;
  let x0: Float32Array = new Float32Array(x.length);
  // 3. The U-Net sees [negative × B; cond_1 × B; …]: classifier-free guidance in one batch. The text
  //    side of that batch is the same at every step, so it is built once.
  const groups = (guided ? [req.negative] : []).concat(conds.map((c) => c.embeds));
  const n = groups.length;
  const context = textBatch(groups, B);
  const addedGroups = (guided ? [req.negativeAdded] : []).concat(conds.map((c) => c.added));
  let added: Record<string, Tensor> | undefined;
  if (addedGroups.some((a) => a !== undefined)) {
    added = {};
    for (const name of Object.keys(addedGroups.find((a) => a) ?? {})) {
      added[name] = Tensor.concat(
        addedGroups.flatMap((a) => {
          const t = a?.[name];
          if (!t) throw new Error(`the conditioning batch mixes entries with and without "${name}"`);
          return Array.from({ length: B }, () => t);
        }),
      );
    }
  }

  const wSum = conds.reduce((a, c) => a + c.weight, 0) || 1;
  const weights = conds.map((c) => c.weight / wSum);

  for (let i = i0; i < i1; i++) {
    if (req.signal?.aborted) throw new RunCancelledError();
    x = keepOutside(x, sched.sigmas[i]);
    const input = sched.scaleModelInput(x, i);
    const batchIn = new Float32Array(n * input.length);
    for (let g = 0; g < n; g++) batchIn.set(input, g * input.length);
    const pred = await req.denoise(new Tensor([n * B, ...rest], batchIn), sched.timesteps[i], context, added);
    const badOut = firstNonFinite(pred.data);
    if (badOut >= 0)
      throw new Error(
        `the U-Net output holds NaN/Inf (${countNonFinite(pred.data)} of ${pred.data.length} values) at ${what(i)}`,
      );
    // 4. ε = ε_uncond + s·(Σ w_k ε_k / Σ w_k − ε_uncond)
    const out = guidanceCombine(pred.data, input.length, weights, guided ? req.cfg : null);
    // 4b. Noise mask: the prediction's x0 outside the mask is the latent itself (KSamplerX0Inpaint).
    const stepOut = mask ? keepX0Outside(out, x, sched.sigmas[i]) : out;
    // 5. The scheduler's step to the next, less noisy sample.
    const r = sched.step(stepOut, i, x, rng);
    const badStep = firstNonFinite(r.prevSample);
    if (badStep >= 0)
      throw new Error(
        `the sampler step produced NaN/Inf (${countNonFinite(r.prevSample)} of ${r.prevSample.length} values) at ${what(i)}`,
      );
    x = r.prevSample;
    x0 = r.predOriginalSample;
    const snapshot = x0;
    req.onStep?.(i - i0 + 1, i1 - i0, () => new Tensor(req.latent.dims, snapshot));
  }

  // 6. Back to ve form. Stopping early keeps the leftover noise (σ > 0) or returns the x0 estimate.
  const sigmaEnd = i1 < sched.timesteps.length ? sched.sigmas[i1] : 0;
  if (sigmaEnd > 0 && !req.leftoverNoise)
    return { samples: new Tensor(req.latent.dims, keepOutside(x0, 0, true)), sigma: 0 };
  // Where the mask is 0 the result is the latent at σ_end exactly (a vp scheduler's last step, e.g. DDIM's
  // final ᾱ < 1, would leave a trace of noise); soft edges are left as the blended predictions made them.
  x = keepOutside(x, sigmaEnd, true);
  const outVe = sched.sampleSpace === "vp" ? vpToVe(x, sigmaEnd) : x;
  return { samples: new Tensor(req.latent.dims, outVe), sigma: sigmaEnd };
}

/**
 * The U-Net's text batch, each group's embeddings repeated `batch` times, made once per set of
 * embeddings: a seed-only rerun gets its conditioning from the output cache (the same tensors), so it
 * gets the same batch back instead of a fresh 2×77×D copy, and the U-Net session then finds its
 * converted constant feed for it still held (OnnxModel's `constant` feeds). Nothing writes to it.
 */
const textBatches = new WeakMap<Tensor, { groups: readonly Tensor[]; batch: number; context: Tensor }[]>();

export function textBatch(groups: readonly Tensor[], batch: number): Tensor {
  const known = textBatches.get(groups[0]) ?? [];
  const hit = known.find(
    (k) =>
      k.batch === batch && k.groups.length === groups.length && k.groups.every((g, i) => g === groups[i]),
  );
  if (hit) return hit.context;
  const context = Tensor.concat(groups.flatMap((g) => Array.from({ length: batch }, () => g)));
  // A few per first group (e.g. one negative with several prompts in turn); the oldest goes first.
  textBatches.set(groups[0], [...known.slice(-3), { groups: [...groups], batch, context }]);
  return context;
}

/**
 * Classifier-free guidance over the U-Net's batch [uncond?; cond_1; …; cond_K] (each `size` values):
 * ε = ε_u + cfg·(Σ w_k ε_k − ε_u), or Σ w_k ε_k when `cfg` is null (no unconditional half). The sum
 * accumulates in a Float32Array (float32 after each term), then guidance is a second pass: plain
 * typed-array loops, which V8 runs far faster than one fused pass rounding with Math.fround.
 */
export function guidanceCombine(
  pred: Float32Array,
  size: number,
  weights: readonly number[],
  cfg: number | null,
): Float32Array {
  const out = new Float32Array(size);
  const off = cfg === null ? 0 : 1;
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k];
    const base = (k + off) * size;
    for (let j = 0; j < size; j++) out[j] += w * pred[base + j];
  }
  if (cfg !== null) for (let j = 0; j < size; j++) out[j] = pred[j] + cfg * (out[j] - pred[j]);
  return out;
}

/** Whether a sampler call runs the unconditional half: CFG scale > 1 and a U-Net that does not embed it. */
export function guidanceActive(cfg: number, embedsGuidance?: boolean): boolean {
  return cfg > 1 && !embedsGuidance;
}

/** Noise scale, in ve form, of a sample that starts at the first model call (see step 1 of sample()). */
function startNoiseScale(sched: ReturnType<typeof createScheduler>): number {
  const s0 = sched.sigmas[0];
  return sched.sampleSpace === "vp" ? Math.sqrt(s0 * s0 + 1) : sched.initNoiseSigma;
}

/**
 * Randomness for ancestral/stochastic steps: batch item b draws from its own torch generator seeded
 * with its noise seed (+1, so it does not repeat the starting noise), so any item reproduces alone.
 */
function batchRng(seeds: string[], batch: number, itemSize: number): { randn(count: number): Float32Array } {
  const gens = Array.from(
    { length: batch },
    (_, b) => new TorchGenerator((BigInt(seeds[b] ?? b) + 1n) & 0xffffffffffffffffn),
  );
  return {
    randn(count: number) {
      if (count !== batch * itemSize) return gens[0].randn(count);
      const out = new Float32Array(count);
      for (let b = 0; b < batch; b++) out.set(gens[b].randn(itemSize), b * itemSize);
      return out;
    },
  };
}
