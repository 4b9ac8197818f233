/**
 * LMS — linear multistep (Adams–Bashforth in σ) over the probability-flow ODE, as in k-diffusion's
 * `sample_lms` (Karras et al. 2022's ODE dx/dσ = (x − D)/σ). Port of diffusers' `LMSDiscreteScheduler`.
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
 * Order 4 (diffusers' default). Step i uses the derivatives of calls i, i−1, … that this instance made,
 * consecutively, up to 4 (fewer at the start or when a fresh instance resumes mid-way).
 */
export class LMSScheduler extends VeScheduler {
  readonly name = "LMS";
  readonly order = 4;
  /** Derivatives (x − D)/σ by call index, newest last. */
  private derivatives: { index: number; d: Float32Array }[] = [];

  override setTimesteps(numInferenceSteps: number): void {
    super.setTimesteps(numInferenceSteps);
    this.derivatives = [];
    this.requireDistinctSigmas();
  }

  /** ∫_{σ_i}^{σ_{i+1}} ℓ_j(τ) dτ for the Lagrange basis ℓ_j on σ_i, σ_{i−1}, …, σ_{i−order+1}. */
  private lmsCoefficient(order: number, i: number, j: number): number {
    const s = this.sigmas;
    const basis = (tau: number) => {
      let prod = 1;
      for (let k = 0; k < order; k++) if (k !== j) prod *= (tau - s[i - k]) / (s[i - j] - s[i - k]);
      return prod;
    };
    // 3-point Gauss–Legendre is exact for the degree ≤ 3 polynomial (diffusers uses scipy's quad).
    const a = s[i];
    const b = s[i + 1];
    const mid = (a + b) / 2;
    const half = (b - a) / 2;
    const x = Math.sqrt(3 / 5);
    return half * ((5 / 9) * basis(mid - half * x) + (8 / 9) * basis(mid) + (5 / 9) * basis(mid + half * x));
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    const sigma = this.sigmas[index];
    // 1. Denoised estimate D(x; σ) and the ODE derivative d_i = (x − D)/σ.
    const x0 = this.predictX0(modelOutput, sample, sigma);
    const d = sample.map((x, k) => (x - x0[k]) / sigma);
    // 2. History: keep only derivatives of consecutive calls ending at i − 1.
    const last = this.derivatives.at(-1);
    if (!last || last.index !== index - 1) this.derivatives = [];
    this.derivatives.push({ index, d });
    if (this.derivatives.length > this.order) this.derivatives.shift();
    // 3. x_{i+1} = x_i + Σ_j c_j·d_{i−j}, c_j the integrated Lagrange basis (linear multistep).
    const order = this.derivatives.length;
    const coeffs = Array.from({ length: order }, (_, j) => this.lmsCoefficient(order, index, j));
    const ds = Array.from({ length: order }, (_, j) => this.derivatives[order - 1 - j].d);
    const prevSample = sample.map((x, k) => {
      let acc = x;
      for (let j = 0; j < order; j++) acc += coeffs[j] * ds[j][k];
      return acc;
    });
    return { prevSample, predOriginalSample: x0 };
  }
}
