/** Image tensors ↔ 8-bit pixels (and PNG files of a batch). */
import { Tensor } from "../../../core/node/values";
import type { RgbaImage } from "./chunks";
import { encodePng } from "./encode";

function imageDims(t: Tensor): [number, number, number, number] {
  if (t.dims.length !== 4 || (t.dims[1] !== 3 && t.dims[1] !== 1)) {
    throw new Error(`expected an image tensor [B,3,H,W] (or [B,1,H,W]), got [${t.dims.join(",")}]`);
  }
  return [t.dims[0], t.dims[1], t.dims[2], t.dims[3]];
}

/** Batch item `i` of an image tensor [B,3,H,W] (or [B,1,H,W], as grey) in [0,1] → interleaved RGB8. */
export function tensorItemToRgb(t: Tensor, i: number): Uint8Array {
  const [b, c, h, w] = imageDims(t);
  if (!Number.isInteger(i) || i < 0 || i >= b)
    throw new Error(`batch item ${i} is out of range (batch ${b})`);
  const plane = h * w;
  const base = i * c * plane;
  const d = t.data;
  const out = new Uint8Array(plane * 3);
  for (let ch = 0; ch < 3; ch++) {
    const off = base + (c === 3 ? ch : 0) * plane;
    for (let p = 0; p < plane; p++) {
      const v = d[off + p];
      // NaN fails both comparisons and becomes 0.
      out[p * 3 + ch] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
    }
  }
  return out;
}

/**
 * One PNG per batch item of an image tensor [B,3,H,W]. `text` gives each item's text chunks (the same
 * record for all, or a function of the batch index).
 */
export function imageTensorToPngs(
  t: Tensor,
  text?: Record<string, string> | ((index: number) => Record<string, string> | undefined),
): Uint8Array[] {
  const [b, , height, width] = imageDims(t);
  const out: Uint8Array[] = [];
  for (let i = 0; i < b; i++) {
    const chunkText = typeof text === "function" ? text(i) : text;
    out.push(encodePng({ width, height, channels: 3, data: tensorItemToRgb(t, i) }, chunkText));
  }
  return out;
}

/**
 * RGBA8 pixels → an image tensor [1,3,H,W] in [0,1]. Alpha is dropped (as ComfyUI's Load Image does),
 * unless `background` (RGB in [0,1]) is given, in which case the pixels are composited over it.
 */
export function rgbaToTensor(
  img: RgbaImage,
  opts?: { background?: readonly [number, number, number] },
): Tensor {
  const { width, height, data } = img;
  const plane = width * height;
  if (data.length !== plane * 4) throw new Error(`RGBA data has ${data.length} bytes, expected ${plane * 4}`);
  const out = new Float32Array(plane * 3);
  const bg = opts?.background;
  for (let c = 0; c < 3; c++) {
    const off = c * plane;
    for (let p = 0; p < plane; p++) {
      const v = data[p * 4 + c] / 255;
      if (bg) {
        const a = data[p * 4 + 3] / 255;
        out[off + p] = v * a + bg[c] * (1 - a);
      } else {
        out[off + p] = v;
      }
    }
  }
  return new Tensor([1, 3, height, width], out);
}

/** The alpha channel as a mask [1,1,H,W], 1 where transparent (ComfyUI's Load Image convention). */
export function rgbaAlphaToMask(img: RgbaImage): Tensor {
  const plane = img.width * img.height;
  const out = new Float32Array(plane);
  for (let p = 0; p < plane; p++) out[p] = 1 - img.data[p * 4 + 3] / 255;
  return new Tensor([1, 1, img.height, img.width], out);
}

/**
 * Bilinear resize of RGBA8 pixels (pixel centres aligned, edges clamped). No antialiasing: shrinking by
 * more than 2× skips source pixels.
 */
export function resizeRgba(img: RgbaImage, width: number, height: number): RgbaImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`cannot resize to ${width}×${height}`);
  }
  const { width: sw, height: sh, data: src } = img;
  if (sw === width && sh === height) return { width, height, data: src.slice() };
  const out = new Uint8Array(width * height * 4);
  const sx = sw / width;
  const sy = sh / height;
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const fxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(x0s[x] + 1, sw - 1);
    fxs[x] = fx - x0s[x];
  }
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    const r0 = y0 * sw * 4;
    const r1 = y1 * sw * 4;
    for (let x = 0; x < width; x++) {
      const a = x0s[x] * 4;
      const b = x1s[x] * 4;
      const wx = fxs[x];
      const o = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        const top = src[r0 + a + c] + (src[r0 + b + c] - src[r0 + a + c]) * wx;
        const bot = src[r1 + a + c] + (src[r1 + b + c] - src[r1 + a + c]) * wx;
        out[o + c] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { width, height, data: out };
}
