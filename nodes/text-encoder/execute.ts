import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import { encodeTokenIds } from "../../server/diffusion/text-encode";
import { parseWeightedPrompt } from "../../server/diffusion/tokenizer";
import type { RuntimeServices } from "../../server/runtime/services";
import { textEncoder } from "./definition";

export const textEncoderImpl = implement<typeof textEncoder, RuntimeServices>(textEncoder, {
  async execute(ctx, { textEncoder: handle }, p) {
    const { services } = ctx;
    const tokenizer = await services.tokenizer(handle.modelId);

    // 1. Tokens with a weight each: (word:1.3) segments are tokenised separately, then joined.
    const tokens: number[] = [];
    const weights: number[] = [];
    for (const seg of parseWeightedPrompt(p.text)) {
      // All of the segment's tokens (encode() would already cut them to 75, hiding the cut below).
      const ids = tokenizer.tokenize(seg.text);
      tokens.push(...ids);
      weights.push(...ids.map(() => seg.weight));
    }
    const room = tokenizer.maxLength - 2;
    if (tokens.length > room)
      ctx.warn(
        `the prompt has ${tokens.length} tokens; only the first ${room} are used (the model reads ${tokenizer.maxLength})`,
      );
    const ids = [tokenizer.bosId, ...tokens.slice(0, room), tokenizer.eosId];
    const w = [1, ...weights.slice(0, room), 1];
    while (ids.length < tokenizer.maxLength) {
      ids.push(tokenizer.padId);
      w.push(1);
    }

    // 2. Encode.
    const { hidden, pooled } = await encodeTokenIds(services, handle.modelId, ids);

    // 3. Prompt weighting as A1111 does it: scale each token's embedding, then restore the overall mean.
    const data = hidden.data;
    if (w.some((x) => x !== 1)) {
      const D = hidden.dims[2];
      const before = mean(data);
      for (let t = 0; t < w.length; t++) for (let d = 0; d < D; d++) data[t * D + d] *= w[t];
      const after = mean(data);
      if (after !== 0) for (let i = 0; i < data.length; i++) data[i] *= before / after;
    }
    return {
      outputs: {
        conditioning: [
          { embeds: new Tensor(hidden.dims, data), pooled, weight: 1, text: p.text, modelId: handle.modelId },
        ],
      },
    };
  },
});

function mean(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}
