/**
 * Prompt → text conditioning, per model family (see family.ts):
 *
 *   sd1 / sd2     text_encoder's last_hidden_state [1,77,D] (or a hidden_states.N output for CLIP skip)
 *   sdxl          as diffusers' StableDiffusionXLPipeline.encode_prompt: the penultimate hidden state
 *                 (hidden_states[-2]) of text_encoder on the prompt and of text_encoder_2 on prompt 2
 *                 (default: the prompt), concatenated on the last axis → [1,77,D1+D2]; the pooled
 *                 embedding is text_encoder_2's `text_embeds` (its projected pooled output)
 *   sdxl-refiner  text_encoder_2 only: its penultimate hidden state and `text_embeds`
 */
import { type ConditioningEntry, type SizeConditioning, Tensor } from "../../core/node/values";
import type { RuntimeServices } from "../runtime/services";
import type { ModelPart } from "./models";
import type { OnnxModel } from "./sessions";
import { type ClipTokenizer, parseWeightedPrompt } from "./tokenizer";

/**
 * Which hidden state a text encoder hands on: `skip` = 1 is the last layer, 2 the one before (A1111's
 * "CLIP skip 2", ComfyUI's CLIPSetLastLayer −2, diffusers' clip_skip=1), …; `layerNorm` re-applies the
 * encoder's final LayerNorm to an earlier layer, as diffusers and ComfyUI do for SD 1.x/2.x (not for SDXL).
 */
export interface EncoderLayer {
  skip: number;
  layerNorm: boolean;
}

const hiddenIndex = (name: string) => /^hidden_states\.(\d+)$/.exec(name);

/**
 * The output holding the hidden state `skip − 1` layers before the last: `last_hidden_state` for skip 1,
 * else hidden_states.(N − skip + 1) of the exported hidden_states.0 … hidden_states.N (transformers'
 * hidden_states[−skip]; N is the layer count, hidden_states.0 the embeddings).
 */
export function hiddenStateOutput(encoder: OnnxModel, skip: number, label: string): string {
  if (skip <= 1)
    return encoder.outputNames.includes("last_hidden_state") ? "last_hidden_state" : encoder.outputNames[0];
  const indices = encoder.outputNames
    .map(hiddenIndex)
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (indices.length < 2)
    throw new Error(
      `${label} exports no hidden_states.N outputs (it has ${encoder.outputNames.join(", ")}): ` +
        "an earlier layer (SDXL's penultimate, CLIP skip) needs an export with output_hidden_states",
    );
  const last = indices[indices.length - 1];
  const want = last - skip + 1;
  if (!indices.includes(want))
    throw new Error(
      `${label} has ${last} layers: CLIP skip ${skip} asks for layer ${want}, which it does not export`,
    );
  return `hidden_states.${want}`;
}

/**
 * The final LayerNorm's γ and β, recovered from one run: last_hidden_state = LN(hidden_states.N) per token,
 * so per dimension d the 77 pairs (normalised x, y) lie on the line y = γ_d·x̂ + β_d (least squares, float64).
 * CLIP's layer_norm_eps is 1e-5.
 */
export function finalLayerNorm(last: Float32Array, y: Float32Array, T: number, D: number, eps = 1e-5) {
  const xhat = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let d = 0; d < D; d++) mean += last[t * D + d];
    mean /= D;
    let v = 0;
    for (let d = 0; d < D; d++) v += (last[t * D + d] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / D + eps);
    for (let d = 0; d < D; d++) xhat[t * D + d] = (last[t * D + d] - mean) * inv;
  }
  const gamma = new Float64Array(D);
  const beta = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let t = 0; t < T; t++) {
      const x = xhat[t * D + d];
      const yy = y[t * D + d];
      sx += x;
      sy += yy;
      sxx += x * x;
      sxy += x * yy;
    }
    const den = T * sxx - sx * sx;
    gamma[d] = den !== 0 ? (T * sxy - sx * sy) / den : 1;
    beta[d] = (sy - gamma[d] * sx) / T;
  }
  return (h: Float32Array): Float32Array => {
    const out = new Float32Array(h.length);
    for (let t = 0; t < h.length / D; t++) {
      let mean = 0;
      for (let d = 0; d < D; d++) mean += h[t * D + d];
      mean /= D;
      let v = 0;
      for (let d = 0; d < D; d++) v += (h[t * D + d] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / D + eps);
      for (let d = 0; d < D; d++) out[t * D + d] = gamma[d] * (h[t * D + d] - mean) * inv + beta[d];
    }
    return out;
  };
}

/** Runs one text encoder on 77 token ids: the chosen hidden state [1, 77, D] and its pooled output. */
export async function encodeTokenIds(
  services: RuntimeServices,
  modelId: string,
  ids: readonly number[],
  opts: { part?: Extract<ModelPart, "text_encoder" | "text_encoder_2">; layer?: EncoderLayer } = {},
): Promise<{ hidden: Tensor; pooled?: Tensor }> {
  const part = opts.part ?? "text_encoder";
  const label = `${modelId}/${part}`;
  const layer = opts.layer ?? { skip: 1, layerNorm: false };
  const encoder = await services.session(modelId, part);
  const inputName = encoder.inputs[0]?.name ?? "input_ids";
  const out = await encoder.run({ [inputName]: { dims: [1, ids.length], data: Int32Array.from(ids) } });
  const name = hiddenStateOutput(encoder, layer.skip, label);
  const hidden = out[name];
  if (hidden?.dims.length !== 3) throw new Error(`${label} returned no [1, ${ids.length}, D] hidden state`);
  let data = hidden.data;
  if (layer.layerNorm && name !== "last_hidden_state") {
    const lastIndex = Math.max(...encoder.outputNames.map((n) => Number(hiddenIndex(n)?.[1] ?? -1)));
    const finalHidden = out[`hidden_states.${lastIndex}`];
    const y = out.last_hidden_state;
    if (!finalHidden || !y)
      throw new Error(`${label}: CLIP skip needs last_hidden_state and hidden_states.${lastIndex} outputs`);
    data = finalLayerNorm(finalHidden.data, y.data, hidden.dims[1], hidden.dims[2])(hidden.data);
  }
  // CLIPTextModelWithProjection (SDXL's text_encoder_2) pools into `text_embeds`; CLIPTextModel into pooler_output.
  const p = out.text_embeds ?? out.pooler_output;
  return { hidden: new Tensor(hidden.dims, data), pooled: p ? new Tensor(p.dims, p.data) : undefined };
}

/** A prompt's token ids (BOS … EOS, padded to the tokenizer's length) and one weight per id. */
export function tokenizeWeighted(
  tokenizer: ClipTokenizer,
  text: string,
  warn?: (message: string) => void,
): { ids: number[]; weights: number[] } {
  // (word:1.3) segments are tokenised separately, then joined.
  const tokens: number[] = [];
  const weights: number[] = [];
  for (const seg of parseWeightedPrompt(text)) {
    // All of the segment's tokens (encode() would already cut them to 75, hiding the cut below).
    const ids = tokenizer.tokenize(seg.text);
    tokens.push(...ids);
    weights.push(...ids.map(() => seg.weight));
  }
  const room = tokenizer.maxLength - 2;
  if (tokens.length > room)
    warn?.(
      `the prompt has ${tokens.length} tokens; only the first ${room} are used (the model reads ${tokenizer.maxLength})`,
    );
  const ids = [tokenizer.bosId, ...tokens.slice(0, room), tokenizer.eosId];
  const w = [1, ...weights.slice(0, room), 1];
  while (ids.length < tokenizer.maxLength) {
    ids.push(tokenizer.padId);
    w.push(1);
  }
  return { ids, weights: w };
}

/** Prompt weighting as A1111 does it: scale each token's embedding, then restore the overall mean. */
function applyWeights(hidden: Tensor, w: readonly number[]): Tensor {
  if (w.every((x) => x === 1)) return hidden;
  const data = hidden.data.slice();
  const D = hidden.dims[2];
  const before = mean(data);
  for (let t = 0; t < w.length; t++) for (let d = 0; d < D; d++) data[t * D + d] *= w[t];
  const after = mean(data);
  if (after !== 0) for (let i = 0; i < data.length; i++) data[i] *= before / after;
  return new Tensor(hidden.dims, data);
}

/** [1,T,D1] ‖ [1,T,D2] → [1,T,D1+D2] (torch.cat(…, dim=-1)). */
export function concatLastAxis(a: Tensor, b: Tensor): Tensor {
  const [n, T, D1] = a.dims;
  const D2 = b.dims[2];
  if (b.dims[0] !== n || b.dims[1] !== T)
    throw new Error(`cannot join text embeddings [${a.dims.join(",")}] and [${b.dims.join(",")}]`);
  const out = new Float32Array(n * T * (D1 + D2));
  for (let r = 0; r < n * T; r++) {
    out.set(a.data.subarray(r * D1, (r + 1) * D1), r * (D1 + D2));
    out.set(b.data.subarray(r * D2, (r + 1) * D2), r * (D1 + D2) + D1);
  }
  return new Tensor([n, T, D1 + D2], out);
}

export interface EncodeOptions {
  /** The prompt (SDXL: for text_encoder, CLIP-L; the only prompt of SD 1.x/2.x). */
  text: string;
  /** SDXL: the prompt for text_encoder_2 (CLIP-G); empty = the same as `text`, as diffusers' prompt_2. */
  text2?: string;
  /** CLIP skip: 1 = the last layer (default), 2 = the one before, … (needs hidden_states outputs). SDXL starts at its penultimate. */
  clipSkip?: number;
  warn?: (message: string) => void;
}

/** One prompt through the model's text encoder(s), as the model's family wants it. */
export async function encodePrompt(
  services: RuntimeServices,
  modelId: string,
  opts: EncodeOptions,
): Promise<Pick<ConditioningEntry, "embeds" | "pooled">> {
  const info = await services.models.get(modelId);
  const skip = Math.max(1, Math.floor(opts.clipSkip ?? 1));
  const encodeWith = async (part: "text_encoder" | "text_encoder_2", text: string, layer: EncoderLayer) => {
    const tokenizer = await services.tokenizer(
      modelId,
      part === "text_encoder_2" ? "tokenizer_2" : "tokenizer",
    );
    const { ids, weights } = tokenizeWeighted(tokenizer, text, opts.warn);
    const { hidden, pooled } = await encodeTokenIds(services, modelId, ids, { part, layer });
    return { hidden: applyWeights(hidden, weights), pooled };
  };
  if (info.family === "sdxl" || info.family === "sdxl-refiner") {
    const text2 = opts.text2?.trim() ? opts.text2 : opts.text;
    const g = await encodeWith("text_encoder_2", text2, { skip: skip + 1, layerNorm: false });
    if (!g.pooled)
      throw new Error(`${modelId}/text_encoder_2 returns no text_embeds (the pooled embedding SDXL needs)`);
    if (!info.parts.text_encoder) return { embeds: g.hidden, pooled: g.pooled };
    const l = await encodeWith("text_encoder", opts.text, { skip: skip + 1, layerNorm: false });
    return { embeds: concatLastAxis(l.hidden, g.hidden), pooled: g.pooled };
  }
  const one = await encodeWith("text_encoder", opts.text, { skip, layerNorm: true });
  return { embeds: one.hidden, pooled: one.pooled };
}

/**
 * One prompt's conditioning entry, as both text encoder nodes hand it on: `sizeCond` is SDXL's size
 * micro-conditioning (Text Encoder (SDXL)'s fields, or the defaults Text Encoder gives an SDXL model).
 */
export async function encodeConditioning(
  services: RuntimeServices,
  modelId: string,
  opts: EncodeOptions & { sizeCond?: SizeConditioning },
): Promise<ConditioningEntry> {
  const { embeds, pooled } = await encodePrompt(services, modelId, opts);
  return {
    embeds,
    pooled,
    weight: 1,
    text: opts.text,
    ...(opts.text2?.trim() ? { text2: opts.text2 } : {}),
    modelId,
    ...(opts.sizeCond ? { sizeCond: opts.sizeCond } : {}),
  };
}

function mean(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}
