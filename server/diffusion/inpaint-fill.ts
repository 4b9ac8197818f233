/**
 * ComfyUI's VAEEncodeForInpaint pre-processing (nodes.py), on [1, 1, H, W] masks and [1, 3, H, W] images in
 * [0, 1]: the mask rounded as torch.round does (half to even: 0.5 → 0), masked pixels set to 0.5 grey, and
 * the noise mask grown by conv2d(round(mask), ones(g, g), padding = ceil((g − 1) / 2)) clamped to 1 and
 * cut back to H × W (for an even g the box reaches one pixel further up/left than down/right).
 */

/** torch.round: to the nearest integer, halves to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The image with every pixel whose rounded mask is 1 set to 0.5 in all three channels. */
export function greyMasked(image: Float32Array, mask: Float32Array, plane: number): Float32Array {
  const out = new Float32Array(image.length);
  for (let c = 0; c < image.length / plane; c++)
    for (let i = 0; i < plane; i++) {
      const keep = 1 - roundHalfEven(mask[i]);
      out[c * plane + i] = (image[c * plane + i] - 0.5) * keep + 0.5;
    }
  return out;
}

/** The rounded mask grown by a g × g box (g = 0: just rounded). */
export function growMask(mask: Float32Array, H: number, W: number, g: number): Float32Array {
  const r = Float32Array.from(mask, roundHalfEven);
  if (g <= 0) return r;
  const pad = Math.ceil((g - 1) / 2);
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let hit = 0;
      for (let a = 0; a < g && !hit; a++) {
        const sy = y - pad + a;
        if (sy < 0 || sy >= H) continue;
        for (let b = 0; b < g; b++) {
          const sx = x - pad + b;
          if (sx >= 0 && sx < W && r[sy * W + sx] > 0) {
            hit = 1;
            break;
          }
        }
      }
      out[y * W + x] = hit;
    }
  return out;
}
