import { createHash } from "node:crypto";
import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import { decodeImageAsync } from "../../server/media/decode";
import type { RuntimeServices } from "../../server/runtime/services";
import { loadMask } from "./definition";

const CHANNEL = { red: 0, green: 1, blue: 2, alpha: 3 } as const;

export const loadMaskImpl = implement<typeof loadMask, RuntimeServices>(loadMask, {
  async execute(ctx, _inputs, p) {
    if (!p.image) throw new Error("no image chosen: upload one first");
    const { limits, artifacts } = ctx.services;
    const img = await decodeImageAsync(await artifacts.readUpload(p.image), {
      maxPixels: limits.maxPixels,
      maxBytes: limits.maxUploadBytes,
    });
    const c = CHANNEL[p.channel as keyof typeof CHANNEL];
    const plane = img.width * img.height;
    const out = new Float32Array(plane);
    // ComfyUI: channel / 255, and for alpha 1 − that (the transparent part is what to repaint).
    for (let i = 0; i < plane; i++) {
      const v = img.data[i * 4 + c] / 255;
      out[i] = c === 3 ? 1 - v : v;
    }
    return { outputs: { mask: { tensor: new Tensor([1, 1, img.height, img.width], out) } } };
  },
  async fingerprint(p, ctx) {
    if (!p.image) return "";
    return createHash("sha256")
      .update(await ctx.services.artifacts.readUpload(p.image))
      .digest("hex");
  },
});
