/**
 * Euler — Karras et al., "Elucidating the Design Space of Diffusion-Based Generative Models" (2022),
 * arXiv:2206.00364, Algorithm 2 without churn. Port of diffusers' `EulerDiscreteScheduler` (ve samples).
 */
import { like, VeScheduler } from "./base";
import type { NoiseSource, StepResult } from "./types";

/**
 * Config fields used (defaults from DEFAULT_SCHEDULER_CONFIG):
 * - numTrainTimesteps, betaStart, betaEnd, betaSchedule — the training σ table.
 * - timestepSpacing, stepsOffset — where the n steps sit; linspace keeps fractional t ("leading", 1).
 * - karras — Karras σ ladder (ρ = 7) between the spaced ladder's ends (false).
 * - predictionType — "epsilon" | "v_prediction" | "sample".
 * - clipSample, clipSampleRange — clamp the predicted x0 (false, 1).
 * s_churn = 0 (diffusers' default): the step is deterministic and `rng` is unused.
 */
export class EulerScheduler extends VeScheduler {
  readonly name: string = "Euler";

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    const sigma = this.sigmas[index];
    const sigmaNext = this.sigmas[index + 1];
    // 1. Denoised estimate D(x; σ) (Karras Table 1).
    const x0 = this.predictX0(modelOutput, sample, sigma);
    // 2. ODE derivative dx/dσ = (x − D)/σ (Karras eq. 4 with σ(t) = t).
    // 3. Euler step x_{i+1} = x_i + (σ_{i+1} − σ_i)·dx/dσ (Algorithm 2, line 5).
    const dt = sigmaNext - sigma;
    const prevSample = like(sample);
    for (let k = 0; k < sample.length; k++) prevSample[k] = sample[k] + ((sample[k] - x0[k]) / sigma) * dt;
    return { prevSample, predOriginalSample: x0 };
  }
}
