/**
 * Latent noise mask (Set Latent Noise Mask) in the real reverse loop, against ComfyUI's formulation
 * written out here: KSamplerX0Inpaint around a k-diffusion Euler sampler —
 *   x ← m·x + (1 − m)·(latent + σ·noise);  D ← m·denoised(x, σ) + (1 − m)·latent;  x ← x + (x − D)/σ·(σ' − σ)
 * — with a stand-in ε model. Petalflow blends samples and predictions in its own scheduler spaces; the
 * two must agree (float32 vs float64: ≤ 1e-5), soft mask edges included. Outside the mask the latent
 * comes back exactly; with an all-ones mask the run equals the unmasked one.
 */
import { describe, expect, it } from "vitest";
import { Tensor } from "../../core/node/values";
import { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from "../../core/schedulers/config";
import { createScheduler } from "../../core/schedulers/index";
import { expandNoiseMask, latentMask, resizePlane } from "../../server/diffusion/masks";
import { type DenoiseFn, type SampleRequest, sample } from "../../server/diffusion/sampler";
import { maxAbsDiff } from "../helpers/max-diff";

const DIMS = [1, 4, 4, 4];
const N = 64;
const LATENT = Float32Array.from({ length: N }, (_, k) => Math.cos(k * 0.9) * 0.8);
const NOISE = Float32Array.from({ length: N }, (_, k) => Math.sin(k * 1.7 + 0.3) * 1.3);
const model = (x: number, t: number) => 0.8 * Math.sin(3 * x + t / 250) + 0.2 * x;
const standIn: DenoiseFn = async (x, t) =>
  new Tensor(
    x.dims,
    x.data.map((v) => model(v, t)),
  );

/** An 8×8 "image" mask: the right half, with a soft edge after the bilinear resize to 4×4. */
const IMAGE_MASK = new Tensor(
  [1, 1, 8, 8],
  Float32Array.from({ length: 64 }, (_, k) => (k % 8 >= 3 ? 1 : 0)),
);

function request(
  algorithm: string,
  config: SchedulerConfig,
  steps: number,
  mask?: Float32Array,
): SampleRequest {
  return {
    denoise: standIn,
    algorithm,
    config,
    steps,
    latent: new Tensor(DIMS, LATENT),
    latentSigma: 0,
    noise: new Tensor(DIMS, NOISE),
    seeds: ["1"],
    positive: [{ embeds: Tensor.zeros([1, 1, 1]), weight: 1 }],
    negative: Tensor.zeros([1, 1, 1]),
    cfg: 1,
    startStep: 0,
    endStep: steps,
    addNoise: true,
    leftoverNoise: false,
    noiseMask: mask,
  };
}

/** ComfyUI: KSamplerX0Inpaint + sample_euler, float64, ε-prediction. */
function comfyEulerInpaint(config: SchedulerConfig, steps: number, m: Float32Array): number[] {
  const s = createScheduler("euler", config);
  s.setTimesteps(steps);
  const L = Array.from(LATENT);
  let x = L.map((v, j) => v + s.initNoiseSigma * NOISE[j]);
  for (let i = 0; i < steps; i++) {
    const sigma = s.sigmas[i];
    const next = s.sigmas[i + 1];
    x = x.map((v, j) => m[j] * v + (1 - m[j]) * (L[j] + sigma * NOISE[j]));
    const c = 1 / Math.sqrt(sigma * sigma + 1);
    const D = x.map((v, j) => m[j] * (v - sigma * model(v * c, s.timesteps[i])) + (1 - m[j]) * L[j]);
    x = x.map((v, j) => v + ((v - D[j]) / sigma) * (next - sigma));
  }
  return x;
}

describe("latent noise mask", () => {
  const mask = expandNoiseMask(IMAGE_MASK, 1, 4, 4, 4);

  it("resizes like torch's bilinear interpolate (align_corners=False): soft values at the edge", () => {
    const row = Array.from(resizePlane(IMAGE_MASK.data, 8, 8, 4, 4, "bilinear").subarray(0, 4));
    // Source x for output column c is 2c + 0.5: columns 0, 1, 2, 3 → 0, 0.5, 1, 1.
    expect(row).toEqual([0, 0.5, 1, 1]);
    expect(Array.from(latentMask(IMAGE_MASK, 4, 4).data.subarray(0, 4))).toEqual([0, 0, 1, 1]); // nearest: columns 0, 2, 4, 6
  });

  it("Euler with a soft mask equals ComfyUI's KSamplerX0Inpaint loop", async () => {
    const config = { ...DEFAULT_SCHEDULER_CONFIG };
    const got = await sample(request("euler", config, 6, mask));
    const want = comfyEulerInpaint(config, 6, mask);
    expect(maxAbsDiff(got.samples.data, want)).toBeLessThan(1e-5);
    // Outside the mask (m = 0): the latent, exactly as given.
    for (let j = 0; j < N; j++) if (mask[j] === 0) expect(got.samples.data[j]).toBeCloseTo(LATENT[j], 6);
    // And the masked part did change.
    const inside = [...mask.keys()].filter((j) => mask[j] === 1);
    expect(Math.max(...inside.map((j) => Math.abs(got.samples.data[j] - LATENT[j])))).toBeGreaterThan(0.1);
  });

  for (const [name, prediction] of [
    ["ddim", "epsilon"],
    ["dpmpp-2m", "epsilon"],
    ["euler-ancestral", "v_prediction"],
    ["ddpm", "v_prediction"],
  ] as const) {
    it(`${name} (${prediction}): an all-zero mask returns the latent, an all-ones mask the unmasked run`, async () => {
      const config = { ...DEFAULT_SCHEDULER_CONFIG, predictionType: prediction };
      const zero = await sample(request(name, config, 5, new Float32Array(N)));
      expect(maxAbsDiff(zero.samples.data, LATENT)).toBeLessThan(1e-6);
      const ones = await sample(request(name, config, 5, new Float32Array(N).fill(1)));
      const plain = await sample(request(name, config, 5));
      expect(maxAbsDiff(ones.samples.data, plain.samples.data)).toBe(0);
    });
  }
});
