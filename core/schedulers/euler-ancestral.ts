/**
 * Euler ancestral — Euler steps down to σ_down plus fresh noise σ_up (k-diffusion's `sample_euler_ancestral`,
 * Ho et al. 2020's ancestral sampling in σ form). Port of diffusers' `EulerAncestralDiscreteScheduler`.
 */
import { like, VeScheduler } from "./base";
import type { NoiseSource, StepResult } from "./types";

/**
 * Config fields used (defaults from DEFAULT_SCHEDULER_CONFIG):
 * - numTrainTimesteps, betaStart, betaEnd, betaSchedule — the training σ table.
 * - timestepSpacing, stepsOffset — where the n steps sit ("leading", 1).
 * - karras — Karras σ ladder (false).
 * - predictionType — "epsilon" | "v_prediction" | "sample".
 * - clipSample, clipSampleRange — clamp the predicted x0 (false, 1).
 * Full ancestral noise (η = 1, as diffusers); `eta` is DDIM's and is not used here.
 */
export class EulerAncestralScheduler extends VeScheduler {
  readonly name = "Euler ancestral";

  step(modelOutput: Float32Array, index: number, sample: Float32Array, rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    const sigma = this.sigmas[index];
    const sigmaNext = this.sigmas[index + 1];
    // 1. Denoised estimate D(x; σ).
    const x0 = this.predictX0(modelOutput, sample, sigma);
    // 2. Split σ_next² = σ_down² + σ_up² so the DDPM posterior variance is restored by fresh noise.
    const sigmaUp = Math.sqrt((sigmaNext ** 2 * (sigma ** 2 - sigmaNext ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(Math.max(sigmaNext ** 2 - sigmaUp ** 2, 0));
    // 3. Euler step down to σ_down along dx/dσ = (x − D)/σ.
    const dt = sigmaDown - sigma;
    const prevSample = like(sample);
    for (let k = 0; k < sample.length; k++) prevSample[k] = sample[k] + ((sample[k] - x0[k]) / sigma) * dt;
    // 4. Add σ_up·z (nothing on the last step, where σ_next = 0; diffusers draws anyway, so do we).
    const z = rng.randn(prevSample.length);
    for (let k = 0; k < prevSample.length; k++) prevSample[k] += sigmaUp * z[k];
    return { prevSample, predOriginalSample: x0 };
  }
}
