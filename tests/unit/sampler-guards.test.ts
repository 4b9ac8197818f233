/**
 * Issue 11, items 2 and 4 through the real reverse loop (server/diffusion/sampler.ts) with a stand-in
 * U-Net (a smooth function of the input and t, so that no ONNX file is needed here):
 * - every scheduler × steps ∈ {1, 2, T−1, T} × spacing × T ∈ {1000, 2000} either refuses the settings before
 *   any model call (a clear RangeError) or ends on finite values — never a silent NaN (a black image);
 * - NaN/Inf from the U-Net or from a step fails with the step, timestep, model and scheduler named;
 * - a txt2img start (zero latent, full denoise) is ε·init_noise_sigma, as diffusers and ComfyUI start.
 */
import { describe, expect, it } from "vitest";
import { Tensor } from "../../core/node/values";
import {
  DEFAULT_SCHEDULER_CONFIG,
  type SchedulerConfig,
  type TimestepSpacing,
} from "../../core/schedulers/config";
import { createScheduler, SCHEDULER_NAMES } from "../../core/schedulers/index";
import { type DenoiseFn, type SampleRequest, sample } from "../../server/diffusion/sampler";

const DIMS = [1, 4, 2, 2];
const SIZE = 16;
const EPS = Float32Array.from({ length: SIZE }, (_, k) => Math.sin(k * 1.7 + 0.3) * 1.3);

/** A stand-in U-Net: bounded, smooth in x and t, never NaN by itself. */
function standIn(calls: { n: number; inputs: Float32Array[] }): DenoiseFn {
  return async (x, t) => {
    calls.n++;
    if (calls.inputs.length < 1) calls.inputs.push(x.data.slice());
    return new Tensor(
      x.dims,
      x.data.map((v) => 0.8 * Math.sin(3 * v + t / 250) + 0.2 * v),
    );
  };
}

function request(
  algorithm: string,
  config: SchedulerConfig,
  steps: number,
  denoise: DenoiseFn,
): SampleRequest {
  return {
    denoise,
    modelId: "stand-in",
    algorithm,
    config,
    steps,
    latent: Tensor.zeros(DIMS),
    latentSigma: 0,
    noise: new Tensor(DIMS, EPS),
    seeds: ["1"],
    positive: [{ embeds: Tensor.zeros([1, 1, 1]), weight: 1 }],
    negative: Tensor.zeros([1, 1, 1]),
    cfg: 1,
    startStep: 0,
    endStep: steps,
    addNoise: true,
    leftoverNoise: false,
  };
}

describe("every scheduler × steps × spacing × T: finite output or an error before the run", () => {
  const spacings: TimestepSpacing[] = ["leading", "trailing", "linspace"];
  const cases = [1000, 2000].flatMap((T) =>
    SCHEDULER_NAMES.flatMap((name) =>
      spacings.flatMap((spacing) => [1, 2, T - 1, T].map((steps) => [name, T, spacing, steps] as const)),
    ),
  );

  it("covers 12 schedulers × 3 spacings × 4 step counts × 2 T", () => expect(cases.length).toBe(288));

  it.each(cases)(
    "%s, T = %i, %s, %i steps",
    async (name, T, spacing, steps) => {
      // SD 1.5's betas and steps_offset 1 (the case that reached t = T), on a T-step table.
      const config: SchedulerConfig = {
        ...DEFAULT_SCHEDULER_CONFIG,
        numTrainTimesteps: T,
        timestepSpacing: spacing,
      };
      const calls = { n: 0, inputs: [] as Float32Array[] };
      let result: Awaited<ReturnType<typeof sample>> | null = null;
      let error: unknown = null;
      try {
        result = await sample(request(name, config, steps, standIn(calls)));
      } catch (e) {
        error = e;
      }
      if (error) {
        // Refused before the run: no model call, a RangeError that says what to change.
        expect(calls.n).toBe(0);
        expect(error).toBeInstanceOf(RangeError);
        expect(String((error as Error).message)).toMatch(/steps|numInferenceSteps/);
      } else {
        expect(calls.n).toBeGreaterThanOrEqual(steps);
        expect(result!.samples.data.every(Number.isFinite)).toBe(true);
      }
    },
    60_000,
  );

  it("SD 1.5 (leading, steps_offset 1) at 1000 steps runs DDIM, DDPM and PNDM on t = 999 … 0", () => {
    for (const name of ["ddim", "ddpm", "pndm"]) {
      const s = createScheduler(name, DEFAULT_SCHEDULER_CONFIG);
      s.setTimesteps(1000);
      expect(Math.max(...s.timesteps)).toBe(999);
      expect(s.timesteps.at(-1)).toBe(0);
    }
    // 999 steps keep diffusers' offset: 999 … 1 is what diffusers gives.
    const s = createScheduler("ddim", DEFAULT_SCHEDULER_CONFIG);
    s.setTimesteps(999);
    expect([s.timesteps[0], s.timesteps.at(-1)]).toEqual([999, 1]);
  });
});

describe("NaN guard", () => {
  it("a U-Net output holding NaN fails with the step, timestep, model and scheduler", async () => {
    let n = 0;
    const denoise: DenoiseFn = async (x) => {
      n++;
      const out = x.data.map((v) => v * 0.5);
      if (n === 3) out[5] = Number.NaN;
      return new Tensor(x.dims, out);
    };
    const req = request("ddim", DEFAULT_SCHEDULER_CONFIG, 10, denoise);
    await expect(sample(req)).rejects.toThrow(
      /U-Net output holds NaN\/Inf \(1 of 16 values\) at step 3 of 10 \(timestep 701, model "stand-in", scheduler "ddim"\)/,
    );
  });

  it("a step that produces Inf fails the same way", async () => {
    // ε-prediction at DDIM: x0 = (x − √(1−ᾱ)·ε)/√ᾱ; an Inf output propagates, caught at the output check.
    const denoise: DenoiseFn = async (x) =>
      new Tensor(
        x.dims,
        x.data.map(() => Number.POSITIVE_INFINITY),
      );
    await expect(sample(request("euler", DEFAULT_SCHEDULER_CONFIG, 4, denoise))).rejects.toThrow(
      /NaN\/Inf .* at step 1 of 4 \(timestep \d+(\.\d+)?, model "stand-in", scheduler "euler"\)/,
    );
  });

  it("a finite output that a step turns into NaN is caught after the step", async () => {
    // v-prediction with a huge output overflows float32 in the step (x0 = √ᾱ·x − √(1−ᾱ)·v) once ᾱ is large.
    const config: SchedulerConfig = { ...DEFAULT_SCHEDULER_CONFIG, predictionType: "v_prediction" };
    const denoise: DenoiseFn = async (x) =>
      new Tensor(
        x.dims,
        x.data.map(() => 3e38),
      );
    await expect(sample(request("ddim", config, 4, denoise))).rejects.toThrow(
      /sampler step produced NaN\/Inf \(16 of 16 values\) at step 4 of 4 \(timestep 1, model "stand-in", scheduler "ddim"\)/,
    );
  });
});

describe("txt2img starts from ε·init_noise_sigma (diffusers), not σ_0·ε", () => {
  // The first model input is the scheduler-scaled sample; for unit noise in vp form it is ε itself.
  const first = async (name: string, config: SchedulerConfig) => {
    const calls = { n: 0, inputs: [] as Float32Array[] };
    await sample(request(name, config, 10, standIn(calls)));
    return calls.inputs[0];
  };
  const maxDiff = (a: Float32Array, b: ArrayLike<number>) =>
    a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0);

  it.each([
    "ddim",
    "ddpm",
    "pndm",
    "lcm",
    "dpmpp-2m",
    "dpmpp-2m-karras",
    "euler",
    "euler-ancestral",
    "heun",
    "lms",
  ])("%s with SD 1.5's leading spacing: the U-Net first sees exactly ε", async (name) => {
    expect(maxDiff(await first(name, DEFAULT_SCHEDULER_CONFIG), EPS)).toBeLessThan(1e-6);
  });

  it("Euler with linspace spacing starts at σ_max·ε (init_noise_sigma = σ_max there)", async () => {
    const config: SchedulerConfig = {
      ...DEFAULT_SCHEDULER_CONFIG,
      timestepSpacing: "linspace",
      stepsOffset: 0,
    };
    const s = createScheduler("euler", config);
    s.setTimesteps(10);
    const sMax = s.sigmas[0];
    const want = EPS.map((e) => (e * sMax) / Math.sqrt(sMax * sMax + 1));
    expect(maxDiff(await first("euler", config), want)).toBeLessThan(1e-6);
  });

  it("img2img (denoise < 1) still starts at the forward process x0 + σ_start·ε", async () => {
    const calls = { n: 0, inputs: [] as Float32Array[] };
    const req = { ...request("ddim", DEFAULT_SCHEDULER_CONFIG, 10, standIn(calls)), startStep: 4 };
    await sample(req);
    const s = createScheduler("ddim", DEFAULT_SCHEDULER_CONFIG);
    s.setTimesteps(10);
    const sig = s.sigmas[4];
    const want = EPS.map((e) => (sig * e) / Math.sqrt(sig * sig + 1));
    expect(maxDiff(calls.inputs[0], want)).toBeLessThan(1e-6);
  });
});
