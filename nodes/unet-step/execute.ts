import { implement } from "../../core/node/implement";
import { type Conditioning, Tensor } from "../../core/node/values";
import { type DenoiseFn, sample } from "../../server/diffusion/sampler";
import type { OnnxModel } from "../../server/diffusion/sessions";
import { encodeTokenIds } from "../../server/diffusion/text-encode";
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
    const guided = p.cfg !== 1;
    const work = w * 8 * h * 8 * B * schedule.steps * (guided ? 2 : 1) * positive.length;
    if (work > services.limits.maxWork)
      throw new Error(
        `this sampler call asks for ${work.toExponential(2)} pixel-steps; this server allows ${services.limits.maxWork.toExponential(2)}`,
      );

    checkCond(positive, unet.modelId, "positive");
    // Several negative entries (Conditioning Combine) are averaged into one unconditional embedding.
    const neg = negative?.length
      ? averageEmbeds(checkCond(negative, unet.modelId, "negative"))
      : await emptyPrompt(ctx, unet.modelId);
    const posEntries = positive.map((c) => ({ embeds: c.embeds, weight: c.weight }));
    const startStep = Math.max(p.startStep, schedule.steps - Math.round(schedule.steps * p.denoise));
    const endStep = Math.min(p.endStep, schedule.steps);
    // An empty range used to "succeed" returning the input unchanged: say why nothing would run.
    if (startStep >= endStep)
      throw new Error(
        `no step to run: steps ${startStep}…${endStep} of ${schedule.steps} are empty` +
          ` (start step ${p.startStep}, end step ${p.endStep}, denoise ${p.denoise})`,
      );
    const result = await sample({
      denoise: unetCaller(session, unet.modelId, p.cfg),
      modelId: unet.modelId,
      algorithm: schedule.algorithm,
      config: { ...schedule.config, predictionType: schedule.config.predictionType ?? unet.predictionType },
      steps: schedule.steps,
      latent: samples,
      latentSigma: latent.sigma,
      noise: noise?.tensor,
      seeds: noise?.seeds ?? latent.seeds,
      positive: posEntries,
      negative: neg,
      cfg: p.cfg,
      startStep,
      endStep,
      addNoise: p.addNoise,
      leftoverNoise: p.leftoverNoise,
      signal: ctx.signal,
      onStep: (done, total, x0) =>
        ctx.progress(done, total, () =>
          latentPreview(x0(), unet.previewFactors, unet.previewBias, { upscale: 8 }),
        ),
    });
    return {
      outputs: {
        latent: { samples: result.samples, sigma: result.sigma, seeds: noise?.seeds ?? latent.seeds },
      },
    };
  },
});

/** Conditioning must come from the same kind of text encoder the U-Net was trained with. */
function checkCond(c: Conditioning, modelId: string, which: string): Tensor[] {
  if (c.length === 0) throw new Error(`the ${which} conditioning is empty`);
  return c.map((e) => {
    if (e.embeds.dims.length !== 3)
      throw new Error(`the ${which} conditioning has shape [${e.embeds.dims.join(",")}], expected [1,77,D]`);
    if (e.modelId !== modelId)
      throw new Error(
        `the ${which} conditioning comes from model "${e.modelId}", but the U-Net is "${modelId}"`,
      );
    return e.embeds;
  });
}

/** The unconditional embedding: the empty prompt through the model's own text encoder. */
async function emptyPrompt(ctx: { services: RuntimeServices }, modelId: string): Promise<Tensor> {
  const tokenizer = await ctx.services.tokenizer(modelId);
  return (await encodeTokenIds(ctx.services, modelId, tokenizer.encode("").ids)).hidden;
}

function averageEmbeds(list: Tensor[]): Tensor {
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
  const fn: DenoiseFn = async (x, t, context) => {
    const N = x.dims[0];
    const parts: Tensor[] = [];
    for (let s = 0; s < N; s += Math.min(chunk, N)) {
      const n = Math.min(chunk, N - s);
      const xs = n === N ? x : sliceBatch(x, s, n);
      const cs = n === N ? context : sliceBatch(context, s, n);
      const out = await session.run(
        {
          [sampleName]: xs,
          [timestepName]: { dims: [n], data: new Float32Array(n).fill(t) },
          [contextName]: cs,
          ...(guidanceEmbedding
            ? { timestep_cond: { dims: [n, guidanceEmbedding.length], data: repeat(guidanceEmbedding, n) } }
            : {}),
        },
        // The sampler passes the same text embeddings at every step: convert (and upload) them once.
        { constant: n === N ? [contextName] : [] },
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
