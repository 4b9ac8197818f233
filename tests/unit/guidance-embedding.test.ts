import { describe, expect, it } from "vitest";
import { guidanceScaleEmbedding } from "../../server/diffusion/unet-call";

describe("LCM guidance-scale embedding", () => {
  it("is sin ‖ cos of w·1000·10000^(−i/(half−1)), as diffusers' get_guidance_scale_embedding", () => {
    const e = guidanceScaleEmbedding(7.5, 256);
    expect(e).toHaveLength(256);
    const freq = (i: number) => Math.exp((-Math.log(10000) / 127) * i);
    for (const i of [0, 1, 64, 127]) {
      expect(e[i]).toBeCloseTo(Math.sin(7500 * freq(i)), 5);
      expect(e[128 + i]).toBeCloseTo(Math.cos(7500 * freq(i)), 5);
    }
  });
  it("w = 0 (cfg 1) gives zeros then ones", () => {
    const e = guidanceScaleEmbedding(0, 8);
    expect([...e]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });
});
