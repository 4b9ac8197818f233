/**
 * Runs core/schedulers through the same pipeline-style loops as scripts/reference/diffusers_schedulers.py
 * (an independent numpy port of diffusers' scheduler maths) and measures the difference of the final
 * samples stored in tests/fixtures/diffusers-reference.json. Used by tests/unit/diffusers-reference.test.ts
 * and `npm run check:reference`.
 */
import { readFileSync } from "node:fs";
import { schedulerConfigFromDiffusers } from "../../core/schedulers/config";
import { createScheduler } from "../../core/schedulers/index";
import { HashNoise } from "./hash-noise";

export interface ReferenceCase {
  scheduler: string;
  config: string;
  steps: number;
  model: "linear" | "nonlinear";
  timesteps: number[];
  final: number[];
}

export interface ReferenceFixture {
  configs: Record<string, Record<string, unknown>>;
  cases: ReferenceCase[];
}

export interface CaseResult {
  scheduler: string;
  config: string;
  steps: number;
  model: string;
  /** max_k |port_k − ref_k| / max(1, |ref_k|) over the final sample. */
  maxDiff: number;
  /** max |t_port − t_ref| over the model calls' timesteps. */
  timestepDiff: number;
}

export const REFERENCE_PATH = new URL("../../tests/fixtures/diffusers-reference.json", import.meta.url);

export function loadReference(): ReferenceFixture {
  return JSON.parse(readFileSync(REFERENCE_PATH, "utf8")) as ReferenceFixture;
}

const N = 64;
/** The reference's starting sample: x_T[k] = ((37k) mod 64)/32 − 1. */
export const X_T = Float64Array.from({ length: N }, (_, k) => ((k * 37) % N) / (N / 2) - 1);

const MODELS: Record<string, (x: Float32Array, t: number) => Float32Array> = {
  linear: (x, t) => x.map((v) => (v * t) / (t + 1)),
  nonlinear: (x, t) => x.map((v) => 0.8 * Math.sin(3 * v + t / 250) + 0.2 * v),
};

/**
 * The pipeline loop: x = x_T·init_noise_sigma; x = step(model(scale(x), t), x) per model call.
 * `precision` "float64" feeds the schedulers Float64Arrays (their element maths follow the array type),
 * which separates the maths from float32 rounding; "float32" is how they run in the app.
 */
export function runPort(
  c: ReferenceCase,
  config: Record<string, unknown>,
  precision: "float32" | "float64" = "float32",
): { final: Float32Array; timesteps: number[] } {
  const warnings: string[] = [];
  const sched = createScheduler(c.scheduler, schedulerConfigFromDiffusers(config, warnings));
  if (warnings.length) throw new Error(`reference config rejected: ${warnings.join("; ")}`);
  sched.setTimesteps(c.steps);
  const model = MODELS[c.model];
  const noise = new HashNoise(0, precision === "float64");
  const start = precision === "float64" ? (X_T as unknown as Float32Array) : Float32Array.from(X_T);
  let x: Float32Array = start.map((v) => v * sched.initNoiseSigma);
  for (let i = 0; i < sched.timesteps.length; i++) {
    const out = model(sched.scaleModelInput(x, i), sched.timesteps[i]);
    x = sched.step(out, i, x, noise).prevSample;
  }
  return { final: x, timesteps: [...sched.timesteps] };
}

export function compareAll(
  precision: "float32" | "float64" = "float32",
  fixture = loadReference(),
): CaseResult[] {
  return fixture.cases.map((c) => {
    const { final, timesteps } = runPort(c, fixture.configs[c.config], precision);
    let maxDiff = 0;
    for (let k = 0; k < c.final.length; k++)
      maxDiff = Math.max(maxDiff, Math.abs(final[k] - c.final[k]) / Math.max(1, Math.abs(c.final[k])));
    if (final.length !== c.final.length || !final.every(Number.isFinite)) maxDiff = Number.POSITIVE_INFINITY;
    let timestepDiff = timesteps.length === c.timesteps.length ? 0 : Number.POSITIVE_INFINITY;
    for (let i = 0; i < Math.min(timesteps.length, c.timesteps.length); i++)
      timestepDiff = Math.max(timestepDiff, Math.abs(timesteps[i] - c.timesteps[i]));
    return {
      scheduler: c.scheduler,
      config: c.config,
      steps: c.steps,
      model: c.model,
      maxDiff,
      timestepDiff,
    };
  });
}
