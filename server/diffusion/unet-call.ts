/**
 * The ONNX U-Net as the sampler's denoise function: input names read from the model, the batch split
 * when the model's batch is fixed, SDXL's added conditioning, LCM's guidance embedding, and extra
 * channels concatenated for 9-channel inpainting U-Nets.
 */
import { Tensor } from "../../core/node/values";
import type { DenoiseFn } from "./sampler";
import type { OnnxModel, TensorFeed } from "./sessions";

const NONE: readonly string[] = [];

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
  // The sampler passes the same text embeddings at every step: convert (and upload) them once.
  const constantWhole = [contextName, ...addedNames];
  const timestepCond = guidanceEmbedding
    ? (n: number) => ({ dims: [n, guidanceEmbedding.length], data: repeat(guidanceEmbedding, n) })
    : null;
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
      const feeds: Record<string, TensorFeed> = {
        [sampleName]: xs,
        [timestepName]: { dims: [n], data: new Float32Array(n).fill(t) },
        [contextName]: cs,
      };
      for (const name of addedNames) feeds[name] = n === N ? added![name] : sliceBatch(added![name], s, n);
      if (timestepCond) feeds.timestep_cond = timestepCond(n);
      const out = await session.run(feeds, { constant: n === N ? constantWhole : NONE });
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
export function withConcat(inner: DenoiseFn, extra: Tensor): DenoiseFn {
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
