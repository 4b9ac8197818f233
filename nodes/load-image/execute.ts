import { createHash } from "node:crypto";
import { implement } from "../../core/node/implement";
import { decodeImageAsync } from "../../server/media/decode";
import { resizeRgba, rgbaAlphaToMask, rgbaToTensor } from "../../server/media/png";
import type { RuntimeServices } from "../../server/runtime/services";
import { loadImage } from "./definition";

export const loadImageImpl = implement<typeof loadImage, RuntimeServices>(loadImage, {
  async execute(ctx, _inputs, p) {
    if (!p.image) throw new Error("no image chosen: upload one first");
    const { limits, artifacts } = ctx.services;
    // Off this thread (sharp's pool) for JPEGs, with a scan bound and a time budget.
    let img = await decodeImageAsync(await artifacts.readUpload(p.image), {
      maxPixels: limits.maxPixels,
      maxBytes: limits.maxUploadBytes,
    });
    const width = p.width || img.width;
    const height = p.height || img.height;
    if (width * height > limits.maxPixels)
      throw new Error(`${width}×${height} is over the limit of ${limits.maxPixels} pixels`);
    if (width !== img.width || height !== img.height) img = resizeRgba(img, width, height);
    return { outputs: { image: { tensor: rgbaToTensor(img) }, mask: { tensor: rgbaAlphaToMask(img) } } };
  },
  // The file behind a name may change: its bytes are part of the cache key.
  async fingerprint(p, ctx) {
    if (!p.image) return "";
    return createHash("sha256")
      .update(await ctx.services.artifacts.readUpload(p.image))
      .digest("hex");
  },
});
