/**
 * PNDM / PLMS — Liu et al., "Pseudo Numerical Methods for Diffusion Models on Manifolds" (2022),
 * arXiv:2202.09778. Port of diffusers' `PNDMScheduler` with skip_prk_steps = true (SD 1.5's config):
 * a 2nd-order warm-up, then linear multistep on ε (eq. 12) with the transfer part φ of eq. 11.
 */

import { VpScheduler } from "./base";
import { timestepsFor } from "./betas";
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
 * - predictionType — "epsilon" | "v_prediction": as diffusers, the multistep combination is taken over the
 *   raw model outputs and the result is turned into ε once, at the ᾱ and sample of the transfer.
 *   "sample" is converted the same way (diffusers refuses it).
 * - setAlphaToOne — the last step lands on ᾱ = 1 rather than ᾱ_0 (false, as SD 1.5).
 * clipSample does not apply (diffusers' PNDM has none).
 *
 * n ≥ 2 steps make n + 1 model calls, timesteps [t0, t1, t1, t2, …, t_{n−1}] (diffusers' plms_timesteps).
 * Every transfer goes from t to t − ⌊T/n⌋ (diffusers' rule, whatever the spacing): call 0 from t0 with
 * ε0; call 1 redoes the first step from x_{t0}, from t1 + ⌊T/n⌋ to t1, with (ε0 + ε1)/2 (needs call 0 on
 * this instance); calls i ≥ 2 use up to four past outputs of this instance. A fresh instance resuming at
 * i ≥ 2 starts again at first order.
 */
export class PNDMScheduler extends VpScheduler {
  readonly name = "PNDM";
  /** Model outputs by call index (call 1's is folded into the warm-up, as diffusers does). */
  private outputs = new Map<number, Float32Array>();
  private warmupSample: Float32Array | null = null;

  setTimesteps(numInferenceSteps: number): void {
    const ts = timestepsFor(this.config, numInferenceSteps, "discrete");
    this.numSteps = numInferenceSteps;
    this.timesteps = ts.length > 1 ? [ts[0], ts[1], ...ts.slice(1)] : ts;
    const finalSigma = this.sigmaOfAlphaBar(this.finalAlphaBar);
    this.sigmas = [...this.timesteps.map((t) => this.trainSigmas[t]), finalSigma];
    this.outputs.clear();
    this.warmupSample = null;
  }

  /** Step 0 covers calls [0, 2) (predictor + warm-up corrector); step s ≥ 1 covers call s + 1. */
  override callRange(startStep: number, endStep: number): [number, number] {
    this.checkStepRange(startStep, endStep);
    const call = (s: number) => (s === 0 || this.numSteps === 1 ? s : s + 1);
    return [call(startStep), call(endStep)];
  }

  /** ε implied by a (combined) model output at ᾱ (v: ε = √ᾱ·v + √(1−ᾱ)·x; x0: ε = (x − √ᾱ·x0)/√(1−ᾱ)). */
  private toEpsilon(out: Float32Array, x: Float32Array, alphaBar: number): Float32Array {
    const a = Math.sqrt(alphaBar);
    const b = Math.sqrt(1 - alphaBar);
    if (this.config.predictionType === "v_prediction") return out.map((v, k) => a * v + b * x[k]);
    if (this.config.predictionType === "sample") return out.map((v, k) => (x[k] - a * v) / b);
    return out;
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    const ratio = Math.floor(this.config.numTrainTimesteps / this.numSteps);
    // 1. The transfer t → t − ⌊T/n⌋; call 1 instead redoes t1 + ⌊T/n⌋ → t1 (diffusers' counter == 1).
    let t = this.timesteps[index];
    let prevT = t - ratio;
    if (index === 1) {
      prevT = t;
      t += ratio;
    }
    // 2. The combined model output (raw outputs, as diffusers) and the sample it starts from.
    let combined: Float32Array;
    let from = sample;
    if (index === 0) {
      this.outputs.clear();
      this.outputs.set(0, modelOutput);
      this.warmupSample = sample;
      combined = modelOutput;
    } else if (index === 1) {
      const e0 = this.outputs.get(0);
      if (!e0 || !this.warmupSample) {
        throw new Error(
          `${this.name}: call 1 completes the warm-up of call 0 on the same scheduler; run call 0 first (see callRange()).`,
        );
      }
      // Warm-up corrector (2nd order, trapezoid): average the two outputs, restart from x_{t0}.
      combined = modelOutput.map((v, k) => (v + e0[k]) / 2);
      from = this.warmupSample;
      this.warmupSample = null;
    } else {
      // Linear multistep, eq. 12: Σ w_j·out_{i−j} over consecutive past calls of this instance (call 1 skipped).
      this.outputs.set(index, modelOutput);
      const past: Float32Array[] = [];
      for (let j = index; past.length < 4; j = j - 1 === 1 ? 0 : j - 1) {
        const ej = this.outputs.get(j);
        if (!ej) break;
        past.push(ej);
        if (j === 0) break;
      }
      for (const key of this.outputs.keys()) if (key < index - 4) this.outputs.delete(key);
      const w = PLMS_WEIGHTS[past.length - 1];
      combined = modelOutput.map((_, k) => past.reduce((acc, p, j) => acc + w[j] * p[k], 0));
    }
    const alphaT = this.alphaAt(t);
    const alphaPrev = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaBar;
    const eps = this.toEpsilon(combined, from, alphaT);
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
