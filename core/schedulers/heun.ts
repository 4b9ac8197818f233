/**
 * Heun — Karras et al. (2022), arXiv:2206.00364, Algorithm 1 (2nd-order, deterministic).
 * Port of diffusers' `HeunDiscreteScheduler` (ve samples, two model calls per step but the last).
 */
import { VeScheduler } from "./base";
import type { NoiseSource, StepResult } from "./types";

/**
 * Config fields used (defaults from DEFAULT_SCHEDULER_CONFIG):
 * - numTrainTimesteps, betaStart, betaEnd, betaSchedule — the training σ table.
 * - timestepSpacing, stepsOffset — where the n steps sit ("leading", 1).
 * - karras — Karras σ ladder (false).
 * - predictionType — "epsilon" | "v_prediction" | "sample".
 * - clipSample, clipSampleRange — clamp the predicted x0 (false, 1).
 *
 * n steps make 2n − 1 model calls: σ = [σ0, σ1, σ1, σ2, σ2, …, σ_{n−1}, σ_{n−1}, 0]. Even calls are
 * Euler predictors, odd calls Heun correctors; the last step (to σ = 0) is Euler only (Algorithm 1, line 7).
 * A corrector needs its predictor's state from the same instance: split runs with callRange().
 */
export class HeunScheduler extends VeScheduler {
  readonly name = "Heun";
  /** Predictor state: call index, x_i, d_i and Δσ, consumed by the next (odd) call. */
  private pending: { index: number; sample: Float32Array; derivative: Float32Array; dt: number } | null =
    null;

  override setTimesteps(numInferenceSteps: number): void {
    const { timesteps, sigmas } = this.sigmaLadder(numInferenceSteps, "continuous");
    this.numSteps = this.ladderSteps;
    this.timesteps = [timesteps[0], ...timesteps.slice(1).flatMap((t) => [t, t])];
    this.sigmas = [sigmas[0], ...sigmas.slice(1).flatMap((s) => [s, s]), 0];
    this.pending = null;
  }

  /** Step s covers calls [2s, 2s + 2), the last step only call 2n − 2. */
  override callRange(startStep: number, endStep: number): [number, number] {
    this.checkStepRange(startStep, endStep);
    const last = this.timesteps.length;
    return [Math.min(2 * startStep, last), Math.min(2 * endStep, last)];
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    const corrector = index % 2 === 1;
    // σ of the point the model was evaluated at: σ_i for the predictor, σ_{i+1} for the corrector.
    const sigma = this.sigmas[index];
    // 1. Denoised estimate D(x; σ).
    const x0 = this.predictX0(modelOutput, sample, sigma);
    if (!corrector) {
      // 2. Predictor (Algorithm 1, lines 4–5): d_i = (x_i − D)/σ_i, x̂ = x_i + (σ_{i+1} − σ_i)·d_i.
      const dt = this.sigmas[index + 1] - sigma;
      const derivative = sample.map((x, k) => (x - x0[k]) / sigma);
      const prevSample = sample.map((x, k) => x + derivative[k] * dt);
      this.pending = { index, sample, derivative, dt };
      return { prevSample, predOriginalSample: x0 };
    }
    const p = this.pending;
    if (!p || p.index !== index - 1) {
      throw new Error(
        `${this.name}: call ${index} is a corrector and needs call ${index - 1} on the same scheduler first; split runs with callRange().`,
      );
    }
    this.pending = null;
    // 3. Corrector (lines 6–8): d' = (x̂ − D)/σ_{i+1}; x_{i+1} = x_i + Δσ·(d_i + d')/2.
    const prevSample = p.sample.map(
      (x, k) => x + ((p.derivative[k] + (sample[k] - x0[k]) / sigma) / 2) * p.dt,
    );
    return { prevSample, predOriginalSample: x0 };
  }
}
