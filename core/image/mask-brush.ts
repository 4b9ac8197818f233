/**
 * The mask brush's pixel work, free of the DOM: a mask is one byte per pixel (255 = repaint, 0 =
 * keep), painted with round stamps along the pointer's path and saved as an opaque greyscale image
 * that Load Mask reads from its red (or green/blue) channel, white = 1 as ComfyUI's LoadImageMask.
 */

export interface MaskBitmap {
  width: number;
  height: number;
  /** Row-major, one byte per pixel. */
  data: Uint8Array;
}

export function emptyMask(width: number, height: number): MaskBitmap {
  return { width, height, data: new Uint8Array(width * height) };
}

/** Sets every pixel whose centre lies within `radius` of (cx, cy) (image pixels) to `value`. */
export function stampDisc(mask: MaskBitmap, cx: number, cy: number, radius: number, value: number): void {
  const r = Math.max(0.5, radius);
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(mask.width - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(mask.height - 1, Math.ceil(cy + r));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      if (dx * dx + dy * dy <= r * r) mask.data[y * mask.width + x] = value;
    }
  }
}

/**
 * Paints a stroke segment: stamps spaced at most a quarter of the radius apart, so a fast pointer
 * move (few events far apart) still leaves a continuous line.
 */
export function stampSegment(
  mask: MaskBitmap,
  from: { x: number; y: number },
  to: { x: number; y: number },
  radius: number,
  value: number,
): void {
  const length = Math.hypot(to.x - from.x, to.y - from.y);
  const steps = Math.max(1, Math.ceil(length / Math.max(0.25, radius / 4)));
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    stampDisc(mask, from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t, radius, value);
  }
}

export type MaskChannel = "alpha" | "red" | "green" | "blue";
const CHANNEL: Record<MaskChannel, number> = { red: 0, green: 1, blue: 2, alpha: 3 };

/** The mask Load Mask would read from RGBA pixels (alpha: transparent = repaint), as bytes. */
export function maskFromRgba(
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  channel: MaskChannel,
): MaskBitmap {
  const c = CHANNEL[channel];
  const mask = emptyMask(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = rgba[i * 4 + c];
    mask.data[i] = c === 3 ? 255 - v : v;
  }
  return mask;
}

/** Opaque greyscale RGBA (white = repaint): opaque, so a canvas keeps every value exactly. */
export function maskToRgba(mask: MaskBitmap): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(mask.width * mask.height * 4);
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i];
    out[i * 4] = v;
    out[i * 4 + 1] = v;
    out[i * 4 + 2] = v;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** The channel to read a saved brush mask from: its greyscale works for red/green/blue, not alpha. */
export function channelForPaintedMask(current: string): MaskChannel {
  return current === "green" || current === "blue" ? current : "red";
}
