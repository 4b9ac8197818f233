/**
 * ComfyUI's VAEEncodeForInpaint pre-processing, written out from torch's definitions: torch.round rounds
 * halves to even (0.5 → 0, 1.5 → 2); conv2d(x, ones(g, g), padding=p) sums x[y − p + a][x − p + b] over
 * a, b < g with zeros outside, p = ceil((g − 1) / 2), and ComfyUI keeps the first H × W of the result.
 */
import { describe, expect, it } from "vitest";
import { greyMasked, growMask, roundHalfEven } from "../../server/diffusion/inpaint-fill";

/** A 6×6 plane with ones at the given (y, x). */
const plane = (...at: [number, number, number?][]) => {
  const m = new Float32Array(36);
  for (const [y, x, v] of at) m[y * 6 + x] = v ?? 1;
  return m;
};
const rows = (m: Float32Array) =>
  Array.from({ length: 6 }, (_, y) => Array.from(m.subarray(y * 6, y * 6 + 6)).join(""));

describe("VAEEncodeForInpaint's mask and fill", () => {
  it("rounds as torch.round: halves to even", () => {
    expect([0.49, 0.5, 0.51, 1.5, 2.5, -0.5].map(roundHalfEven)).toEqual([0, 0, 1, 2, 2, -0]);
  });

  it("grow 3 (padding 1): a 3×3 box around each masked pixel", () => {
    expect(rows(growMask(plane([2, 2]), 6, 6, 3))).toEqual([
      "000000",
      "011100",
      "011100",
      "011100",
      "000000",
      "000000",
    ]);
  });

  it("grow 6, ComfyUI's default (padding 3, output cut to H × W): reaches 3 up/left and 2 down/right", () => {
    // out[y] sums in[y − 3 … y + 2]: the pixel at 3 lights rows 1 … 6, cut to 1 … 5.
    expect(rows(growMask(plane([3, 3]), 6, 6, 6))).toEqual([
      "000000",
      "011111",
      "011111",
      "011111",
      "011111",
      "011111",
    ]);
    // grow 4 (padding 2): rows y with y − 2 ≤ 2 ≤ y + 1.
    expect(rows(growMask(plane([2, 2]), 6, 6, 4))).toEqual([
      "000000",
      "011110",
      "011110",
      "011110",
      "011110",
      "000000",
    ]);
  });

  it("grow 0 is the rounded mask; a soft 0.5 rounds to 0 and does not grow", () => {
    const soft = plane([0, 0, 0.5], [5, 5, 0.75], [3, 1, 0.2]);
    expect(rows(growMask(soft, 6, 6, 0))).toEqual([
      "000000",
      "000000",
      "000000",
      "000000",
      "000000",
      "000001",
    ]);
    expect(rows(growMask(soft, 6, 6, 3))).toEqual([
      "000000",
      "000000",
      "000000",
      "000000",
      "000011",
      "000011",
    ]);
  });

  it("paints the rounded-masked pixels 0.5 grey in every channel and keeps the rest", () => {
    const image = new Float32Array([0.1, 0.9, 0.3, 0.7, 0.2, 0.8]); // 3 channels × 2 pixels
    const got = greyMasked(image, new Float32Array([0.6, 0.5]), 2);
    expect(Array.from(got)).toEqual([0.5, 0.9, 0.5, 0.7, 0.5, 0.8].map((v) => Math.fround(v)));
  });
});
