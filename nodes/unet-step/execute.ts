import { implement } from "../../core/node/implement";
import { type Conditioning, type ConditioningEntry, Tensor, type UnetHandle } from "../../core/node/values";
import { familyLabel } from "../../server/diffusion/family";
import { expandNoiseMask } from "../../server/diffusion/masks";
import { guidanceActive, sample } from "../../server/diffusion/sampler";
import { encodePrompt } from "../../server/diffusion/text-encode";
import { unetCaller, withConcat } from "../../server/diffusion/unet-call";
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
