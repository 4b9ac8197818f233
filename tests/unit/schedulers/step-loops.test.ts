/**
 * The scheduler steps fill their outputs with plain loops instead of TypedArray.map (several times
 * faster). Here each step is checked bit for bit (Object.is per value) against its formula written
 * out independently, elementwise with map, as diffusers' DDIM / Euler / DPM-Solver++(2M) define it;
 * and the sampler's guidance (now a function, its weights computed once per call) against the
 * float32 accumulation written inline before.
 */
import { describe, expect, it } from "vitest";
import { scheduleTables } from "../../../core/schedulers/betas";
import { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from "../../../core/schedulers/config";
import { createScheduler } from "../../../core/schedulers/index";
import { guidanceCombine } from "../../../server/diffusion/sampler";

const SD15: SchedulerConfig = { ...DEFAULT_SCHEDULER_CONFIG };
const noRng = { randn: (n: number) => new Float32Array(n) };

/** Deterministic float32 data with a spread of magnitudes and signs. */
function data(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * (1 + (i % 7)));
}

function expectSameBits(actual: Float32Array, expected: Float32Array) {
  expect(actual.constructor).toBe(expected.constructor);
  expect(actual.length).toBe(expected.length);
  const differing = [...actual].findIndex((v, k) => !Object.is(v, expected[k]));
  expect(differing, `first differing value at ${differing}`).toBe(-1);
}

describe("scheduler steps written as loops give the same bits as the elementwise formulas", () => {
  const n = 4 * 16 * 16;
  for (const predictionType of ["epsilon", "v_prediction", "sample"] as const) {
    it(`DDIM, ${predictionType}: x_{t−1} = √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε at every step`, () => {
      const config = { ...SD15, predictionType };
      const sched = createScheduler("ddim", config);
      sched.setTimesteps(10);
      const alphaBar = scheduleTables(config).alphaBar;
      let x = data(n, 1);
      for (let i = 0; i < 10; i++) {
        const out = data(n, 2 + i);
        const t = sched.timesteps[i];
        const prevT = t - Math.floor(1000 / 10);
        const aT = alphaBar[t];
        const aPrev = prevT >= 0 ? alphaBar[prevT] : alphaBar[0];
        const a = Math.sqrt(aT);
        const b = Math.sqrt(1 - aT);
        const x0 =
          predictionType === "epsilon"
            ? x.map((v, k) => (v - b * out[k]) / a)
            : predictionType === "v_prediction"
              ? x.map((v, k) => a * v - b * out[k])
              : out;
        const eps =
          predictionType === "epsilon"
            ? out
            : predictionType === "v_prediction"
              ? x.map((v, k) => a * out[k] + b * v)
              : x.map((v, k) => (v - a * out[k]) / b);
        const expected = x0.map((v, k) => Math.sqrt(aPrev) * v + Math.sqrt(1 - aPrev) * eps[k]);
        const r = sched.step(out, i, x, noRng);
        expectSameBits(r.predOriginalSample, x0);
        expectSameBits(r.prevSample, expected);
        x = r.prevSample;
      }
    });
  }

  it("Euler (ε and v): scaled input, x0 and x_{i+1} = x + (x − x0)/σ·(σ_{i+1} − σ)", () => {
    for (const predictionType of ["epsilon", "v_prediction"] as const) {
      const sched = createScheduler("euler", { ...SD15, predictionType });
      sched.setTimesteps(8);
      let x = data(n, 3);
      for (let i = 0; i < 8; i++) {
        const s = sched.sigmas[i];
        const out = data(n, 20 + i);
        const k = 1 / Math.sqrt(s ** 2 + 1);
        expectSameBits(
          sched.scaleModelInput(x, i),
          x.map((v) => v * k),
        );
        const x0 =
          predictionType === "epsilon"
            ? x.map((v, j) => v - s * out[j])
            : x.map((v, j) => (-s / Math.sqrt(s * s + 1)) * out[j] + (1 / (s * s + 1)) * v);
        const dt = sched.sigmas[i + 1] - s;
        const r = sched.step(out, i, x, noRng);
        expectSameBits(r.predOriginalSample, x0);
        expectSameBits(
          r.prevSample,
          x.map((v, j) => v + ((v - x0[j]) / s) * dt),
        );
        x = r.prevSample;
      }
    }
  });

  it("DPM-Solver++(2M): first and second order updates", () => {
    const sched = createScheduler("dpmpp-2m", SD15);
    sched.setTimesteps(6);
    let x = data(n, 4);
    let prevX0: Float32Array | null = null;
    for (let i = 0; i < 5; i++) {
      const s = sched.sigmas[i];
      const sNext = sched.sigmas[i + 1];
      const out = data(n, 40 + i);
      const x0 = x.map((v, j) => v - s * out[j]);
      const h = Math.log(s / sNext);
      const ratio = sNext / s;
      const phi = -Math.expm1(-h);
      const p = prevX0;
      const c = i > 0 ? 1 / (2 * (Math.log(sched.sigmas[i - 1] / s) / h)) : 0;
      const expected = p
        ? x.map((v, j) => ratio * v + phi * (x0[j] + c * (x0[j] - p[j])))
        : x.map((v, j) => ratio * v + phi * x0[j]);
      const r = sched.step(out, i, x, noRng);
      expectSameBits(r.prevSample, expected);
      prevX0 = x0;
      x = r.prevSample;
    }
  });

  it("float64 inputs (the reference tests' mode) come back as Float64Array, as map made them", () => {
    const sched = createScheduler("ddim", SD15);
    sched.setTimesteps(5);
    const x = Float64Array.from(data(16, 5));
    const r = sched.step(x as unknown as Float32Array, 0, x as unknown as Float32Array, noRng);
    expect(r.prevSample).toBeInstanceOf(Float64Array);
    expect(r.predOriginalSample).toBeInstanceOf(Float64Array);
  });
});

describe("guidanceCombine equals the float32 accumulation the sampler wrote inline", () => {
  /** What the sampler did inline: Σ w_k ε_k summed into a Float32Array, then guidance in a second pass. */
  function twoPass(pred: Float32Array, size: number, weights: number[], cfg: number | null) {
    const out = new Float32Array(size);
    const off = cfg === null ? 0 : 1;
    for (let k = 0; k < weights.length; k++)
      for (let j = 0; j < size; j++) out[j] += weights[k] * pred[(k + off) * size + j];
    if (cfg !== null) for (let j = 0; j < size; j++) out[j] = pred[j] + cfg * (out[j] - pred[j]);
    return out;
  }

  for (const [weights, cfg] of [
    [[1], 7.5],
    [[1], null],
    [[0.3, 0.7], 5],
    [[0.2, 0.5, 0.3], null],
    [[1 / 3, 1 / 3, 1 / 3], 12.25],
  ] as [number[], number | null][]) {
    it(`weights ${weights.map((w) => w.toFixed(3)).join(", ")}, cfg ${cfg ?? "off"}`, () => {
      const size = 4 * 8 * 8 * 2;
      const pred = data(size * (weights.length + (cfg === null ? 0 : 1)), weights.length * 10 + (cfg ?? 0));
      expectSameBits(guidanceCombine(pred, size, weights, cfg), twoPass(pred, size, weights, cfg));
    });
  }
});
