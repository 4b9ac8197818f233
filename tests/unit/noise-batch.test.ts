/**
 * The Noise node's "batch noise" option. ComfyUI (comfy.sample.prepare_noise) and diffusers
 * (randn_tensor with one generator) draw a batch as ONE `torch.manual_seed(s); torch.randn([B,4,h,w])`;
 * Petalflow's default draws image i from seed + i. Reference: tests/fixtures/torch-randn.json, real
 * torch 1.13 numbers. torch.randn on a contiguous CPU float tensor fills its numel values in order, so
 * the shape only matters through numel: torch.randn([4,4,32,32]) (a batch of four 256×256 images)
 * holds exactly the values the fixture lists for torch.randn([1,4,64,64]) (16384 values each).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ExecContext } from "../../core/node/implement";
import type { NoiseValue } from "../../core/node/values";
import { noiseImpl } from "../../nodes/noise/execute";
import { batchNoise, batchNoiseOneDraw, torchRandn } from "../../server/diffusion/noise";
import type { RuntimeServices } from "../../server/runtime/services";

interface Case {
  seed: string;
  shape: number[];
  count: number;
  head: string[];
  tail: string[];
  sum: number;
}
const cases: Case[] = JSON.parse(
  readFileSync(new URL("../fixtures/torch-randn.json", import.meta.url), "utf8"),
).cases.filter((c: Case) => c.shape.join(",") === "1,4,64,64");

const hex = (a: Float32Array): string[] =>
  Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (b) => b.toString(16).padStart(8, "0"));

/** Runs the Noise node's own implementation (no latent linked: its width/height/batch set the shape). */
async function noiseNode(
  params: Record<string, unknown>,
): Promise<{ data: Float32Array; dims: readonly number[]; seeds: string[] }> {
  const ctx = { services: { limits: { maxPixels: 1 << 22 } } } as unknown as ExecContext<RuntimeServices>;
  const full = { control: "fixed", width: 64, height: 64, batch: 1, batchNoise: "per image", ...params };
  const r = await noiseImpl.execute(ctx, {}, full);
  const noise = r.outputs.noise as NoiseValue;
  return { data: noise.tensor.data, dims: noise.tensor.dims, seeds: r.seeds ?? [] };
}

describe("batch noise: one draw for the batch (ComfyUI / diffusers)", () => {
  it("has the fixture's torch cases to compare with", () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(cases.map((c) => [c.seed, c] as const))(
    "Noise 256×256 × 4, seed %s, equals torch.randn([4,4,32,32]) bit for bit",
    async (_, c) => {
      const n = await noiseNode({
        seed: BigInt(c.seed),
        width: 256,
        height: 256,
        batch: 4,
        batchNoise: "one draw",
      });
      expect(n.dims).toEqual([4, 4, 32, 32]);
      const bits = hex(n.data);
      expect(bits.slice(0, c.head.length)).toEqual(c.head);
      expect(bits.slice(-c.tail.length)).toEqual(c.tail); // the end of image 3
      let sum = 0;
      for (const v of n.data) sum += v;
      expect(sum).toBeCloseTo(c.sum, 6);
      expect(n.seeds).toEqual([c.seed, c.seed, c.seed, c.seed]);
    },
  );

  it("the default stays seed + i per image; the first image is the same either way", async () => {
    const perImage = await noiseNode({ seed: 42n, batch: 2 });
    const oneDraw = await noiseNode({ seed: 42n, batch: 2, batchNoise: "one draw" });
    const item = 4 * 8 * 8;
    expect(perImage.seeds).toEqual(["42", "43"]);
    expect(hex(perImage.data.subarray(item))).toEqual(hex(torchRandn(43n, [1, 4, 8, 8])));
    expect(hex(oneDraw.data)).toEqual(hex(torchRandn(42n, [2, 4, 8, 8])));
    // torch fills blocks of 16 in order: image 0 of one draw is torch.randn([1,4,8,8]) of the same seed…
    expect(hex(oneDraw.data.subarray(0, item))).toEqual(hex(perImage.data.subarray(0, item)));
    // …and image 1 continues the stream instead of starting from seed 43.
    expect(hex(oneDraw.data.subarray(item))).not.toEqual(hex(perImage.data.subarray(item)));
    expect(batchNoiseOneDraw(42n, 2, [4, 8, 8]).data).toEqual(oneDraw.data);
    expect(batchNoise(42n, 2, [4, 8, 8]).data).toEqual(perImage.data);
  });
});
