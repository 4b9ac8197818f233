/**
 * PNDM / PLMS — Liu et al., "Pseudo Numerical Methods for Diffusion Models on Manifolds" (2022),
 * arXiv:2202.09778. Port of diffusers' `PNDMScheduler` with skip_prk_steps = true (SD 1.5's config):
 * a 2nd-order warm-up, then linear multistep on ε (eq. 12) with the transfer part φ of eq. 11.
 */

import { VpScheduler } from "./base";
import { timestepsFor } from "./betas";
import type { SchedulerConfig } from "./config";
import type { NoiseSource, StepResult } from "./types";

/** Adams–Bashforth weights of eq. 12 for 1 … 4 past ε, newest first. */
const PLMS_WEIGHTS = [
  [1],
  [3 / 2, -1 / 2],
  [23 / 12, -16 / 12, 5 / 12],
  [55 / 24, -59 / 24, 37 / 24, -9 / 24],
];

/**
 * Config fields used (defaults from DEFAULT_SCHEDULER_CONFIG):
 * - numTrainTimesteps, betaStart, betaEnd, betaSchedule — the ᾱ table.
 * - timestepSpacing, stepsOffset — where the n steps sit ("leading", 1).
 * - predictionType — "epsilon" | "v_prediction" | "sample" (each output is turned into ε at its own call;
 *   diffusers converts v after mixing calls, which differs slightly, and rejects "sample").
 * - setAlphaToOne — the last step lands on ᾱ = 1 rather than ᾱ_0 (false, as SD 1.5).
 * clipSample does not apply (diffusers' PNDM has none).
 *
 * n ≥ 2 steps make n + 1 model calls, timesteps [t0, t1, t1, t2, …, t_{n−1}]: call 0 steps t0 → t1 with ε0,
 * call 1 redoes t0 → t1 with (ε0 + ε1)/2 (needs call 0 on this instance), then calls i ≥ 2 use up to four
 * past ε of this instance. A fresh instance resuming at i ≥ 2 starts again at first order.
 */
export class PNDMScheduler extends VpScheduler {
  readonly name = "PNDM";
  /** The n inference timesteps, one per user step. */
  private stepTimesteps: number[] = [];
  /** ε by call index (call 1's is folded into the warm-up, as diffusers does). */
  private eps = new Map<number, Float32Array>();
  private warmupSample: Float32Array | null = null;

  constructor(config: SchedulerConfig) {
    super(config);
  }

  setTimesteps(numInferenceSteps: number): void {
    const ts = timestepsFor(this.config, numInferenceSteps, "discrete");
    this.numSteps = numInferenceSteps;
    this.stepTimesteps = ts;
    this.timesteps = ts.length > 1 ? [ts[0], ts[1], ...ts.slice(1)] : ts;
    const finalSigma = this.sigmaOfAlphaBar(this.finalAlphaBar);
    this.sigmas = [...this.timesteps.map((t) => this.trainSigmas[t]), finalSigma];
    this.eps.clear();
    this.warmupSample = null;
  }

  /** Step 0 covers calls [0, 2) (predictor + warm-up corrector); step s ≥ 1 covers call s + 1. */
  override callRange(startStep: number, endStep: number): [number, number] {
    this.checkStepRange(startStep, endStep);
    const call = (s: number) => (s === 0 || this.numSteps === 1 ? s : s + 1);
    return [call(startStep), call(endStep)];
  }

  /** ε implied by the model output at ᾱ (v: ε = √ᾱ·v + √(1−ᾱ)·x; x0: ε = (x − √ᾱ·x0)/√(1−ᾱ)). */
  private toEpsilon(out: Float32Array, x: Float32Array, alphaBar: number): Float32Array {
    const a = Math.sqrt(alphaBar);
    const b = Math.sqrt(1 - alphaBar);
    if (this.config.predictionType === "v_prediction") return out.map((v, k) => a * v + b * x[k]);
    if (this.config.predictionType === "sample") return out.map((v, k) => (x[k] - a * v) / b);
    return out;
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    // 1. Which user step this call advances: s → s + 1 (calls 0 and 1 both advance step 0).
    const s = index <= 1 ? 0 : index - 1;
    const alphaT = this.alphaBar[this.stepTimesteps[s]];
    const alphaPrev = s + 1 < this.numSteps ? this.alphaBar[this.stepTimesteps[s + 1]] : this.finalAlphaBar;
    const e = this.toEpsilon(modelOutput, sample, this.alphaBar[this.timesteps[index]]);
    // 2. The ε to transfer with, and the sample it starts from.
    let eps: Float32Array;
    let from = sample;
    if (index === 0) {
      this.eps.clear();
      this.eps.set(0, e);
      this.warmupSample = sample;
      eps = e;
    } else if (index === 1) {
      const e0 = this.eps.get(0);
      if (!e0 || !this.warmupSample) {
        throw new Error(
          `${this.name}: call 1 completes the warm-up of call 0 on the same scheduler; run call 0 first (see callRange()).`,
        );
      }
      // Warm-up corrector (2nd order, trapezoid): average ε over the first step, restart from x_{t0}.
      eps = e.map((v, k) => (v + e0[k]) / 2);
      from = this.warmupSample;
      this.warmupSample = null;
    } else {
      // Linear multistep, eq. 12: ε' = Σ w_j·ε_{i−j} over consecutive past calls of this instance.
      this.eps.set(index, e);
      const past: Float32Array[] = [];
      for (let j = index; past.length < 4; j = j - 1 === 1 ? 0 : j - 1) {
        const ej = this.eps.get(j);
        if (!ej) break;
        past.push(ej);
        if (j === 0) break;
      }
      for (const key of this.eps.keys()) if (key < index - 4) this.eps.delete(key);
      const w = PLMS_WEIGHTS[past.length - 1];
      eps = e.map((_, k) => past.reduce((acc, p, j) => acc + w[j] * p[k], 0));
    }
    // 3. Transfer part φ of eq. 11 (the deterministic DDIM step written in ᾱ):
    //    x_{t−δ} = √(ᾱ'/ᾱ)·x − (ᾱ' − ᾱ)·ε / (ᾱ·√(1−ᾱ') + √(ᾱ(1−ᾱ)ᾱ')).
    const sampleCoeff = Math.sqrt(alphaPrev / alphaT);
    const epsCoeff =
      (alphaPrev - alphaT) /
      (alphaT * Math.sqrt(1 - alphaPrev) + Math.sqrt(alphaT * (1 - alphaT) * alphaPrev));
    const prevSample = from.map((x, k) => sampleCoeff * x - epsCoeff * eps[k]);
    const a = Math.sqrt(alphaT);
    const b = Math.sqrt(1 - alphaT);
    const predOriginalSample = from.map((x, k) => (x - b * eps[k]) / a);
    return { prevSample, predOriginalSample };
  }
}
