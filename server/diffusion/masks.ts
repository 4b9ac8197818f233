/**
 * Masks for inpainting: [B or 1, 1, H, W] planes in [0, 1] (1 = repaint). Resized as torch's
 * F.interpolate does it — bilinear with align_corners=False (ComfyUI's noise mask) or "nearest"
 * (diffusers' inpaint pipeline shrinking the mask to latent size).
 */
import { Tensor } from "../../core/node/values";

/** One plane [H, W] → [h, w]. */
export function resizePlane(
  src: Float32Array,
  H: number,
  W: number,
  h: number,
  w: number,
  mode: "bilinear" | "nearest",
): Float32Array {
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mode === "nearest") {
        // torch "nearest": source index floor(dst · in/out).
        const sy = Math.min(H - 1, Math.floor((y * H) / h));
        const sx = Math.min(W - 1, Math.floor((x * W) / w));
        out[y * w + x] = src[sy * W + sx];
        continue;
      }
      // align_corners=False: pixel centres line up; negative source coordinates clamp to 0.
      const sy = Math.max(0, ((y + 0.5) * H) / h - 0.5);
      const sx = Math.max(0, ((x + 0.5) * W) / w - 0.5);
      const y0 = Math.min(H - 1, Math.floor(sy));
      const x0 = Math.min(W - 1, Math.floor(sx));
      const y1 = Math.min(H - 1, y0 + 1);
      const x1 = Math.min(W - 1, x0 + 1);
      const fy = sy - y0;
      const fx = sx - x0;
      out[y * w + x] =
        (1 - fy) * ((1 - fx) * src[y0 * W + x0] + fx * src[y0 * W + x1]) +
        fy * ((1 - fx) * src[y1 * W + x0] + fx * src[y1 * W + x1]);
    }
  }
  return out;
}

/** A mask [1|B, 1, H, W] → per-element weights for a [B, C, h, w] latent (ComfyUI's prepare_mask). */
export function expandNoiseMask(mask: Tensor, B: number, C: number, h: number, w: number): Float32Array {
  const [MB, MC, H, W] = mask.dims;
  if (mask.dims.length !== 4 || MC !== 1)
    throw new Error(`a mask must be [B, 1, H, W]; got [${mask.dims.join(",")}]`);
  if (MB !== 1 && MB !== B) throw new Error(`the mask has ${MB} items but the latent has ${B}`);
  const out = new Float32Array(B * C * h * w);
  for (let b = 0; b < B; b++) {
    const plane = mask.data.subarray((MB === 1 ? 0 : b) * H * W, ((MB === 1 ? 0 : b) + 1) * H * W);
    const small = H === h && W === w ? plane : resizePlane(plane, H, W, h, w, "bilinear");
    for (let c = 0; c < C; c++) out.set(small, (b * C + c) * h * w);
  }
  return out;
}

/** [1|B, 1, H, W] mask → [n, 1, h, w] at latent size, binarised at 0.5 (diffusers' inpaint mask_processor). */
export function latentMask(mask: Tensor, h: number, w: number): Tensor {
  const [MB, , H, W] = mask.dims;
  const out = new Float32Array(MB * h * w);
  for (let b = 0; b < MB; b++) {
    const bin = mask.data.subarray(b * H * W, (b + 1) * H * W).map((v) => (v >= 0.5 ? 1 : 0));
    out.set(resizePlane(bin, H, W, h, w, "nearest"), b * h * w);
  }
  return new Tensor([MB, 1, h, w], out);
}
