/**
 * A pixel judge for the demo model's 64×64 images (tests only): background colour from the border,
 * the object as the pixels far from it, its colour by nearest palette entry, its position by the
 * centroid (thirds split at 25 and 39 px, as the training data places objects at 18/32/46), and a
 * coarse shape class from how much of its bounding box it fills.
 * The palette is the training data's (training/petalflow_train/data.py).
 */
export const PALETTE: Record<string, [number, number, number]> = {
  red: [220, 30, 30],
  orange: [255, 140, 0],
  yellow: [250, 220, 20],
  green: [30, 170, 50],
  blue: [30, 70, 220],
  purple: [140, 50, 190],
  white: [245, 245, 245],
  black: [20, 20, 20],
};

export interface Judgement {
  background: string;
  color: string | null;
  /** "top left" … "bottom right", "centre" for the middle cell. */
  position: string | null;
  /** Share of the bounding box the object fills: ≈0.79 circle, ≈0.95 square, ≈0.5 triangle/diamond. */
  fill: number;
  /** Object pixels / all pixels. */
  area: number;
  /** 95th-percentile distance of object pixels from the centroid ÷ the radius of a disc of the same area. */
  spread: number;
  centroid: [number, number] | null;
}

const dist2 = (a: readonly number[], b: readonly number[]) =>
  (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2;

export function nearestColor(rgb: readonly number[]): string {
  let best = "";
  let bestD = Number.POSITIVE_INFINITY;
  for (const [name, c] of Object.entries(PALETTE)) {
    const d = dist2(rgb, c);
    if (d < bestD) [best, bestD] = [name, d];
  }
  return best;
}

/** `rgb`: interleaved RGB or RGBA bytes of a width×height image. */
export function judge(rgb: Uint8Array, width: number, height: number, channels = 3): Judgement {
  const px = (x: number, y: number) => {
    const i = (y * width + x) * channels;
    return [rgb[i], rgb[i + 1], rgb[i + 2]];
  };
  // 1. Background: the median of the border pixels, channel by channel.
  const border: number[][] = [];
  for (let x = 0; x < width; x++) border.push(px(x, 0), px(x, height - 1));
  for (let y = 1; y < height - 1; y++) border.push(px(0, y), px(width - 1, y));
  const med = [0, 1, 2].map((c) => border.map((p) => p[c]).sort((a, b) => a - b)[border.length >> 1]);
  // 2. Object: pixels far from the background colour.
  let n = 0;
  let sx = 0;
  let sy = 0;
  const sum = [0, 0, 0];
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = px(x, y);
      if (dist2(p, med) < 60 * 60) continue;
      n++;
      sx += x;
      sy += y;
      for (let c = 0; c < 3; c++) sum[c] += p[c];
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  const background = nearestColor(med);
  if (n < 12)
    return {
      background,
      color: null,
      position: null,
      fill: 0,
      area: n / (width * height),
      spread: 0,
      centroid: null,
    };
  const [cx, cy] = [sx / n, sy / n];
  // The 95th-percentile distance from the centroid: robust to a few stray pixels of generated images.
  const dists: number[] = [];
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++)
      if (dist2(px(x, y), med) >= 60 * 60) dists.push(Math.hypot(x - cx, y - cy));
  dists.sort((a, b) => a - b);
  const far = dists[Math.floor(dists.length * 0.95)];
  const col = (v: number) => (v < 25 ? 0 : v < 39 ? 1 : 2);
  const row = ["top", "", "bottom"][col(cy * (64 / height))];
  const column = ["left", "", "right"][col(cx * (64 / width))];
  const position = [row, column].filter(Boolean).join(" ") || "centre";
  return {
    background,
    color: nearestColor(sum.map((s) => s / n)),
    position,
    fill: n / ((x1 - x0 + 1) * (y1 - y0 + 1)),
    area: n / (width * height),
    spread: far / Math.sqrt(n / Math.PI),
    centroid: [cx, cy],
  };
}

/** Coarse shape from `spread` (training images: circles ≤ 0.98, squares 1.04–1.08, triangles ≥ 1.23). */
export function roughShape(j: Judgement): "circle" | "square" | "pointy" | null {
  if (!j.color) return null;
  return j.spread < 1.01 ? "circle" : j.spread < 1.15 ? "square" : "pointy";
}
