import { implement } from "../../core/node/implement";
import { type Conditioning, type ConditioningEntry, Tensor, type UnetHandle } from "../../core/node/values";
import { familyLabel } from "../../server/diffusion/family";
import { expandNoiseMask } from "../../server/diffusion/masks";
import { type DenoiseFn, guidanceActive, sample } from "../../server/diffusion/sampler";
import type { OnnxModel } from "../../server/diffusion/sessions";
import { encodePrompt } from "../../server/diffusion/text-encode";
import {
  addedConditioning,
  checkConditioningFits,
  timeIds,
  type UnetContract,
  unetContract,
} from "../../server/diffusion/unet-conditioning";
import { latentPreview } from "../../server/media/preview";
import type { RuntimeServices } from "../../server/runtime/services";
import { unetStep } from "./definition";

export const unetStepImpl = implement<typeof unetStep, RuntimeServices>(unetStep, {
  async execute(ctx, inputs, p) {
    const { unet, positive, negative, latent, noise, schedule } = inputs;
    const { services } = ctx;
    const session = await services.session(unet.modelId, "unet");

    // Shapes: one latent item may be broadcast over a noise batch (Empty Latent ×1 + Noise ×4 → 4 images).
    let samples = latent.samples;
    if (p.addNoise && noise && noise.tensor.dims[0] !== samples.dims[0] && samples.dims[0] === 1)
      samples = Tensor.concat(Array.from({ length: noise.tensor.dims[0] }, () => samples));
    const [B, C, h, w] = samples.dims;
    if (C !== unet.latentChannels)
      throw new Error(
        `the latent has ${C} channels but model "${unet.modelId}" works on ${unet.latentChannels}`,
      );
    const guided = guidanceActive(
      p.cfg,
      session.inputs.some((i) => i.name === "timestep_cond"),
    );
    const work = w * 8 * h * 8 * B * schedule.steps * (guided ? 2 : 1) * positive.length;
    if (work > services.limits.maxWork)
      throw new Error(
        `this sampler call asks for ${work.toExponential(2)} pixel-steps; this server allows ${services.limits.maxWork.toExponential(2)}`,
      );

    // Distilled few-step models are made for few steps without guidance (SD-Turbo, SDXL-Turbo: 1–4, CFG 1).
    if (unet.model?.fewStep === "turbo" && (schedule.steps > 4 || p.cfg > 1))
      ctx.warn(
        `model "${unet.modelId}" is a Turbo model, made for 1–4 steps at CFG 1 (trailing spacing); ${schedule.steps} steps at CFG ${p.cfg} will look worse, not better`,
      );
    // The conditioning must fit what this U-Net's inputs declare (width, SDXL's text_embeds/time_ids).
    const contract = unetContract(session, unet.model?.family);
    const kinds = new Map<string, string>();
    for (const e of [...positive, ...(negative ?? [])])
      if (!kinds.has(e.modelId))
        kinds.set(e.modelId, await services.models.get(e.modelId).then(familyLabel, () => "?"));
    const kindOf = (id: string) => kinds.get(id);
    checkConditioningFits(positive, contract, unet, "positive", kindOf);
    if (negative?.length) checkConditioningFits(negative, contract, unet, "negative", kindOf);
    const added = (e: Pick<ConditioningEntry, "pooled" | "sizeCond">, role: "positive" | "negative") =>
      contract.textEmbeds && contract.timeIds && e.pooled
        ? addedConditioning(e.pooled, timeIds(e.sizeCond, h * 8, w * 8, contract.timeIds, role))
        : undefined;
    // Several negative entries (Conditioning Combine) are averaged into one unconditional embedding.
    const neg = guided
      ? await unconditional(ctx, unet, contract, negative, positive[0])
      : { embeds: Tensor.zeros(positive[0].embeds.dims) }; // not computed: CFG ≤ 1 runs no negative batch
    const posEntries = positive.map((c) => ({
      embeds: c.embeds,
      weight: c.weight,
      added: added(c, "positive"),
    }));
    // Inpainting U-Nets (9 channels) take mask ‖ masked-image latent after the latent (Inpaint Conditioning).
    const extraChannels = contract.sampleChannels !== null ? contract.sampleChannels - C : 0;
    const concat = positive[0].concat;
    let denoise = unetCaller(session, unet.modelId, p.cfg);
    if (extraChannels > 0) {
      if (!concat)
        throw new Error(
          `${unet.modelId}/unet is an inpainting U-Net (it takes ${contract.sampleChannels} channels: the latent's ${C}, the mask and the masked image's latent): feed its conditioning through Inpaint Conditioning`,
        );
      if (concat.dims[1] !== extraChannels || concat.dims[2] !== h || concat.dims[3] !== w)
        throw new Error(
          `the inpainting conditioning is [${concat.dims.join(",")}] but ${unet.modelId}/unet needs [1,${extraChannels},${h},${w}] (the latent's size): use the same image size for both`,
        );
      denoise = withConcat(denoise, concat);
    } else if (concat)
      ctx.warn(
        `the conditioning carries an inpainting mask, but ${unet.modelId}/unet takes only the latent: the mask is not used (use Set Latent Noise Mask for ordinary models)`,
      );
    const startStep = Math.max(p.startStep, schedule.steps - Math.round(schedule.steps * p.denoise));
    const endStep = Math.min(p.endStep, schedule.steps);
    // An empty range used to "succeed" returning the input unchanged: say why nothing would run.
    if (startStep >= endStep)
      throw new Error(
        `no step to run: steps ${startStep}…${endStep} of ${schedule.steps} are empty` +
          ` (start step ${p.startStep}, end step ${p.endStep}, denoise ${p.denoise})`,
      );
    // A latent noise mask (Set Latent Noise Mask): repaint only where it is 1.
    const noiseMask = latent.noiseMask ? expandNoiseMask(latent.noiseMask, B, C, h, w) : undefined;
    const result = await sample({
      denoise,
      modelId: unet.modelId,
      algorithm: schedule.algorithm,
      config: { ...schedule.config, predictionType: schedule.config.predictionType ?? unet.predictionType },
      steps: schedule.steps,
      latent: samples,
      latentSigma: latent.sigma,
      noise: noise?.tensor,
      seeds: noise?.seeds ?? latent.seeds,
      positive: posEntries,
      negative: neg.embeds,
      negativeAdded: guided ? added(neg, "negative") : undefined,
      cfg: p.cfg,
      startStep,
      endStep,
      addNoise: p.addNoise,
      leftoverNoise: p.leftoverNoise,
      noiseMask,
      signal: ctx.signal,
      onStep: (done, total, x0) =>
        ctx.progress(done, total, () =>
          latentPreview(x0(), unet.previewFactors, unet.previewBias, { upscale: 8 }),
        ),
    });
    return {
      outputs: {
        latent: {
          samples: result.samples,
          sigma: result.sigma,
          seeds: noise?.seeds ?? latent.seeds,
          ...(latent.noiseMask ? { noiseMask: latent.noiseMask } : {}),
        },
      },
    };
  },
});

/**
 * The unconditional side of classifier-free guidance. Unlinked: the empty prompt through the U-Net's
 * own model. An empty negative prompt (unlinked or all entries empty) is all zeros, pooled too, when
 * the model sets force_zeros_for_empty_prompt (SDXL base), as diffusers' encode_prompt does.
 */
async function unconditional(
  ctx: { services: RuntimeServices },
  unet: UnetHandle,
  contract: UnetContract,
  negative: Conditioning | undefined,
  like: ConditioningEntry,
): Promise<Pick<ConditioningEntry, "embeds" | "pooled" | "sizeCond">> {
  const empty = !negative?.length || negative.every((e) => e.text.trim() === "" && !e.text2?.trim());
  // Unlinked: the positive's sizes, and the negative's default aesthetic score (refiner).
  const sizeCond = negative?.length
    ? negative[0].sizeCond
    : contract.timeIds && like.sizeCond
      ? { ...like.sizeCond, aestheticScore: undefined }
      : undefined;
  if (empty && unet.forceZerosForEmptyPrompt)
    return {
      embeds: Tensor.zeros(like.embeds.dims),
      pooled: like.pooled ? Tensor.zeros(like.pooled.dims) : undefined,
      sizeCond,
    };
  if (!negative?.length) {
    const e = await encodePrompt(ctx.services, unet.modelId, { text: "" });
    return { ...e, sizeCond };
  }
  return {
    embeds: average(negative.map((e) => e.embeds)),
    pooled: negative.every((e) => e.pooled) ? average(negative.map((e) => e.pooled!)) : undefined,
    sizeCond,
  };
}

function average(list: Tensor[]): Tensor {
  if (list.length === 1) return list[0];
  const out = new Float32Array(list[0].size);
  for (const t of list) for (let i = 0; i < out.length; i++) out[i] += t.data[i] / list.length;
  return new Tensor(list[0].dims, out);
}

/** Binds the ONNX U-Net to the sampler: input names from the model, batch split when its batch is fixed. */
export function unetCaller(session: OnnxModel, modelId: string, cfg = 1): DenoiseFn {
  const names = session.inputs.map((i) => i.name);
  const find = (preferred: string, index: number) => (names.includes(preferred) ? preferred : names[index]);
  const sampleName = find("sample", 0);
  const timestepName = find("timestep", 1);
  const contextName = find("encoder_hidden_states", 2);
  const fixedBatch = session.inputs.find((i) => i.name === sampleName)?.shape[0];
  const chunk = typeof fixedBatch === "number" && fixedBatch > 0 ? fixedBatch : Number.POSITIVE_INFINITY;
  const condInput = session.inputs.find((i) => i.name === "timestep_cond");
  const guidanceEmbedding = condInput
    ? guidanceScaleEmbedding(cfg - 1, Number(condInput.shape[1]) || 256)
    : null;
  const addedNames = ["text_embeds", "time_ids"].filter((n) => names.includes(n));
  const fn: DenoiseFn = async (x, t, context, added) => {
    for (const name of addedNames)
      if (!added?.[name])
        throw new Error(
          `${modelId}/unet needs "${name}" (SDXL added conditioning); the conditioning has none: encode with an SDXL model's text encoders`,
        );
    const N = x.dims[0];
    const parts: Tensor[] = [];
    for (let s = 0; s < N; s += Math.min(chunk, N)) {
      const n = Math.min(chunk, N - s);
      const xs = n === N ? x : sliceBatch(x, s, n);
      const cs = n === N ? context : sliceBatch(context, s, n);
      const extra: Record<string, Tensor> = {};
      for (const name of addedNames) extra[name] = n === N ? added![name] : sliceBatch(added![name], s, n);
      const out = await session.run(
        {
          [sampleName]: xs,
          [timestepName]: { dims: [n], data: new Float32Array(n).fill(t) },
          [contextName]: cs,
          ...extra,
          ...(guidanceEmbedding
            ? { timestep_cond: { dims: [n, guidanceEmbedding.length], data: repeat(guidanceEmbedding, n) } }
            : {}),
        },
        // The sampler passes the same text embeddings at every step: convert (and upload) them once.
        { constant: n === N ? [contextName, ...addedNames] : [] },
      );
      const pred = out.out_sample ?? out[session.outputNames[0]];
      if (!pred) throw new Error(`${modelId}/unet returned no out_sample`);
      parts.push(new Tensor(pred.dims, pred.data));
    }
    return parts.length === 1 ? parts[0] : Tensor.concat(parts);
  };
  fn.embedsGuidance = guidanceEmbedding !== null;
  return fn;
}

/** A denoise function that appends the same extra channels [1,E,h,w] to every batch row of the sample. */
function withConcat(inner: DenoiseFn, extra: Tensor): DenoiseFn {
  const fn: DenoiseFn = (x, t, context, added) => {
    const [N, C, h, w] = x.dims;
    const E = extra.dims[1];
    const plane = h * w;
    const data = new Float32Array(N * (C + E) * plane);
    for (let r = 0; r < N; r++) {
      data.set(x.data.subarray(r * C * plane, (r + 1) * C * plane), r * (C + E) * plane);
      data.set(extra.data, (r * (C + E) + C) * plane);
    }
    return inner(new Tensor([N, C + E, h, w], data), t, context, added);
  };
  fn.embedsGuidance = inner.embedsGuidance;
  return fn;
}

/** LCM's guidance embedding of w = cfg − 1 (diffusers' get_guidance_scale_embedding: sin ‖ cos of w·1000·freq). */
export function guidanceScaleEmbedding(w: number, dim: number): Float32Array {
  const half = Math.floor(dim / 2);
  const step = Math.log(10000) / (half - 1);
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const v = w * 1000 * Math.exp(-step * i);
    out[i] = Math.sin(v);
    out[half + i] = Math.cos(v);
  }
  return out;
}

function repeat(v: Float32Array, n: number): Float32Array {
  const out = new Float32Array(v.length * n);
  for (let i = 0; i < n; i++) out.set(v, i * v.length);
  return out;
}

function sliceBatch(t: Tensor, start: number, n: number): Tensor {
  const per = t.size / t.dims[0];
  return new Tensor([n, ...t.dims.slice(1)], t.data.subarray(start * per, (start + n) * per));
}
