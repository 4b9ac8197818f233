import { describe, expect, it } from "vitest";
import { Tensor } from "../../core/node/values";
import { decodeImage } from "../../server/media/png";
import { latentPreview, latentToRgb, SD15_LATENT_RGB_FACTORS } from "../../server/media/preview";

function decodeDataUrl(url: string) {
  expect(url.startsWith("data:image/png;base64,")).toBe(true);
  const bytes = new Uint8Array(Buffer.from(url.slice("data:image/png;base64,".length), "base64"));
  return decodeImage(bytes, { maxPixels: 1e7, maxBytes: 1e8 });
}

/** A [1,4,h,w] latent where every pixel holds the same 4 channel values. */
function flat(values: number[], h = 1, w = 1): Tensor {
  const data = new Float32Array(4 * h * w);
  for (let c = 0; c < 4; c++) data.fill(values[c], c * h * w, (c + 1) * h * w);
  return new Tensor([1, 4, h, w], data);
}

describe("latent preview colours", () => {
  it("exports the SD 1.5 factors of the reference", () => {
    expect(SD15_LATENT_RGB_FACTORS).toEqual([
      [0.3512, 0.2297, 0.3227],
      [0.325, 0.4974, 0.235],
      [-0.2829, 0.1762, 0.2721],
      [-0.212, -0.2616, -0.7177],
    ]);
  });

  it("maps a zero latent to mid grey 127, as ComfyUI's ((x+1)/2)·255 → uint8 does", () => {
    expect([...latentToRgb(flat([0, 0, 0, 0]), SD15_LATENT_RGB_FACTORS, null).data]).toEqual([127, 127, 127]);
  });

  it("maps unit latent channels to their factor rows", () => {
    // channel 0 = 1: rgb = (0.3512, 0.2297, 0.3227) → (1.3512/2·255, …) = (172.28, 156.79, 168.64)
    expect([...latentToRgb(flat([1, 0, 0, 0]), SD15_LATENT_RGB_FACTORS, null).data]).toEqual([172, 156, 168]);
    // channel 3 = 1: rgb = (−0.212, −0.2616, −0.7177) → (100.47, 94.15, 35.99)
    expect([...latentToRgb(flat([0, 0, 0, 1]), SD15_LATENT_RGB_FACTORS, null).data]).toEqual([100, 94, 35]);
  });

  it("clamps to [0, 255] and adds the bias", () => {
    expect([...latentToRgb(flat([10, 10, 10, -10]), SD15_LATENT_RGB_FACTORS, null).data]).toEqual([
      255, 255, 255,
    ]);
    expect([...latentToRgb(flat([-10, -10, 0, 10]), SD15_LATENT_RGB_FACTORS, null).data]).toEqual([0, 0, 0]);
    expect([...latentToRgb(flat([0, 0, 0, 0]), SD15_LATENT_RGB_FACTORS, [1, -1, 0.2]).data]).toEqual([
      255, 0, 153,
    ]);
  });

  it("works for any channel count (here 1 channel)", () => {
    const t = new Tensor([1, 1, 1, 2], Float32Array.of(1, -1));
    expect([...latentToRgb(t, [[1, 0, -1]], null).data]).toEqual([255, 127, 0, 0, 127, 255]);
  });
});

describe("latentPreview", () => {
  it("shows an 8×8 latent as a 64×64 PNG, nearest-neighbour", () => {
    const h = 8;
    const w = 8;
    const data = new Float32Array(4 * h * w);
    for (let p = 0; p < h * w; p++) data[p] = (p / (h * w)) * 2 - 1; // channel 0 ramps
    const latent = new Tensor([1, 4, h, w], data);
    const rgb = latentToRgb(latent, SD15_LATENT_RGB_FACTORS, null).data;
    const preview = latentPreview(latent, SD15_LATENT_RGB_FACTORS, null);
    expect([preview.width, preview.height]).toEqual([64, 64]);
    const img = decodeDataUrl(preview.dataUrl);
    expect([img.width, img.height]).toEqual([64, 64]);
    for (const [x, y] of [
      [0, 0],
      [7, 7],
      [8, 0],
      [63, 63],
      [35, 20],
    ]) {
      const s = ((y >> 3) * w + (x >> 3)) * 3;
      const o = (y * 64 + x) * 4;
      expect([...img.data.subarray(o, o + 3)], `pixel ${x},${y}`).toEqual([...rgb.subarray(s, s + 3)]);
    }
  });

  it("shows the chosen batch item", () => {
    const data = new Float32Array(8);
    data.fill(1, 4, 5); // item 1, channel 0 = 1
    const latent = new Tensor([2, 4, 1, 1], data);
    const img = decodeDataUrl(
      latentPreview(latent, SD15_LATENT_RGB_FACTORS, null, { item: 1, upscale: 1 }).dataUrl,
    );
    expect([...img.data]).toEqual([172, 156, 168, 255]);
  });

  it("keeps the preview within maxSide (512 by default)", () => {
    const p = latentPreview(flat([0, 0, 0, 0], 128, 96), SD15_LATENT_RGB_FACTORS, null);
    expect([p.width, p.height]).toEqual([384, 512]);
    const q = latentPreview(flat([0, 0, 0, 0], 16, 16), SD15_LATENT_RGB_FACTORS, null, {
      upscale: 4,
      maxSide: 32,
    });
    expect([q.width, q.height]).toEqual([32, 32]);
  });

  it("rejects factors that do not fit the latent", () => {
    expect(() => latentPreview(flat([0, 0, 0, 0]), [[1, 0, 0]], null)).toThrow(/4 rows of 3 factors/);
    expect(() => latentPreview(flat([0, 0, 0, 0]), SD15_LATENT_RGB_FACTORS, [1])).toThrow(/bias needs 3/);
    expect(() => latentPreview(flat([0, 0, 0, 0]), SD15_LATENT_RGB_FACTORS, null, { item: 1 })).toThrow(
      /out of range/,
    );
  });
});
