/**
 * Cheap live previews: latents → RGB by a fixed linear map per latent channel (ComfyUI's "latent2rgb"),
 * shown nearest-neighbour enlarged as a PNG data: URL. Runs at every sampler step, so it stays a few
 * multiply-adds per latent pixel plus one small PNG encode.
 */
import { Buffer } from "node:buffer";
import type { Tensor } from "../../core/node/values";
import type { PreviewImage } from "../../core/run/events";
import { encodePng } from "./png";

/** SD 1.x latent→RGB factors (rows = the 4 latent channels, columns = R, G, B); ComfyUI uses no bias. */
export const SD15_LATENT_RGB_FACTORS: readonly (readonly number[])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

export interface LatentPreviewOptions {
  /** Which batch item to show (default 0). */
  item?: number;
  /** Nearest-neighbour enlargement factor (default 8: one latent pixel per 8×8 image pixels). */
  upscale?: number;
  /** The enlargement is reduced so neither side exceeds this (default 512, as ComfyUI's preview size). */
  maxSide?: number;
}

/**
 * Maps batch item `item` of latents [B,C,h,w] to RGB: rgb = Σ_c x_c · factors[c] + bias, then to bytes
 * as ComfyUI does: ((v + 1) / 2) clamped to [0,1] × 255, truncated.
 */
export function latentToRgb(
  latent: Tensor,
  factors: readonly (readonly number[])[],
  bias: readonly number[] | null,
  item = 0,
): { width: number; height: number; data: Uint8Array } {
  if (latent.dims.length !== 4)
    throw new Error(`latent preview needs [B,C,h,w], got [${latent.dims.join(",")}]`);
  const [b, c, h, w] = latent.dims;
  if (factors.length !== c || factors.some((row) => row.length !== 3)) {
    throw new Error(`latent preview needs ${c} rows of 3 factors, got ${factors.length}`);
  }
  if (bias && bias.length !== 3) throw new Error(`latent preview bias needs 3 values, got ${bias.length}`);
  if (!Number.isInteger(item) || item < 0 || item >= b) throw new Error(`batch item ${item} is out of range`);
  const plane = h * w;
  const src = latent.data;
  const base = item * c * plane;
  const acc = new Float32Array(plane * 3);
  const b0 = bias ? bias[0] : 0;
  const b1 = bias ? bias[1] : 0;
  const b2 = bias ? bias[2] : 0;
  for (let p = 0; p < plane; p++) {
    acc[p * 3] = b0;
    acc[p * 3 + 1] = b1;
    acc[p * 3 + 2] = b2;
  }
  for (let ch = 0; ch < c; ch++) {
    const [fr, fg, fb] = factors[ch];
    const off = base + ch * plane;
    for (let p = 0; p < plane; p++) {
      const v = src[off + p];
      acc[p * 3] += v * fr;
      acc[p * 3 + 1] += v * fg;
      acc[p * 3 + 2] += v * fb;
    }
  }
  const data = new Uint8Array(plane * 3);
  for (let i = 0; i < acc.length; i++) {
    const v = (acc[i] + 1) * 0.5;
    // NaN fails both tests and becomes 0.
    data[i] = v >= 1 ? 255 : v > 0 ? Math.trunc(v * 255) : 0;
  }
  return { width: w, height: h, data };
}

/** Nearest-neighbour enlargement of interleaved RGB8 by an integer factor. */
function enlarge(rgb: Uint8Array, w: number, h: number, k: number): Uint8Array {
  if (k === 1) return rgb;
  const W = w * k;
  const out = new Uint8Array(W * h * k * 3);
  const row = W * 3;
  for (let y = 0; y < h; y++) {
    const o = y * k * row;
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const r = rgb[s];
      const g = rgb[s + 1];
      const b = rgb[s + 2];
      for (let dx = 0; dx < k; dx++) {
        const d = o + (x * k + dx) * 3;
        out[d] = r;
        out[d + 1] = g;
        out[d + 2] = b;
      }
    }
    for (let dy = 1; dy < k; dy++) out.copyWithin(o + dy * row, o, o + row);
  }
  return out;
}

/** A latent preview as a PNG data: URL (see `latentToRgb` for the colour map). */
export function latentPreview(
  latent: Tensor,
  factors: readonly (readonly number[])[],
  bias: readonly number[] | null,
  opts?: LatentPreviewOptions,
): PreviewImage {
  const { width: w, height: h, data } = latentToRgb(latent, factors, bias, opts?.item ?? 0);
  const maxSide = opts?.maxSide ?? 512;
  const k = Math.max(1, Math.min(Math.floor(opts?.upscale ?? 8), Math.floor(maxSide / Math.max(w, h))));
  const png = encodePng(
    { width: w * k, height: h * k, channels: 3, data: enlarge(data, w, h, k) },
    undefined,
    {
      compressionLevel: 1,
    },
  );
  return {
    width: w * k,
    height: h * k,
    dataUrl: `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString("base64")}`,
  };
}
