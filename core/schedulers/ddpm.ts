/**
 * DDPM — Ho, Jain & Abbeel, "Denoising Diffusion Probabilistic Models" (2020), arXiv:2006.11239.
 * Port of diffusers' `DDPMScheduler` with variance_type "fixed_small" (vp samples, ancestral).
 */

import { VpScheduler } from "./base";
import { timestepsFor } from "./betas";
import type { NoiseSource, StepResult } from "./types";

/**
 * Config fields used (defaults from DEFAULT_SCHEDULER_CONFIG):
 * - numTrainTimesteps, betaStart, betaEnd, betaSchedule — the ᾱ table.
 * - timestepSpacing, stepsOffset — where the n steps sit ("leading", 1).
 * - predictionType — "epsilon" | "v_prediction" | "sample".
 * - clipSample, clipSampleRange — clamp the predicted x0 (false, 1).
 * The last step always lands on ᾱ = 1 (σ = 0), as in diffusers; setAlphaToOne does not apply.
 * Noise is drawn at every step whose t > 0 (diffusers' rule, so generator streams line up).
 */
export class DDPMScheduler extends VpScheduler {
  readonly name = "DDPM";

  setTimesteps(numInferenceSteps: number): void {
    const ts = timestepsFor(this.config, numInferenceSteps, "discrete");
    this.numSteps = numInferenceSteps;
    this.timesteps = ts;
    this.sigmas = [...ts.map((t) => this.trainSigmas[t]), 0];
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    const t = this.timesteps[index];
    // 1. ᾱ_t, ᾱ_{t−1} and the effective one-step α_t, β_t between the two inference timesteps.
    const alphaT = this.alphaAt(t);
    // diffusers' DDPM (previous_timestep) steps to the next listed timestep.
    const alphaPrev = index + 1 < this.timesteps.length ? this.alphaAt(this.timesteps[index + 1]) : 1;
    const currentAlpha = alphaT / alphaPrev;
    const currentBeta = 1 - currentAlpha;
    // 2. Predicted x0 (eq. 15).
    const { x0 } = this.predict(modelOutput, sample, alphaT);
    // 3. Posterior mean μ̃_t(x_t, x0) of eq. 7.
    const cx0 = (Math.sqrt(alphaPrev) * currentBeta) / (1 - alphaT);
    const cxt = (Math.sqrt(currentAlpha) * (1 - alphaPrev)) / (1 - alphaT);
    const prevSample = x0.map((v, k) => cx0 * v + cxt * sample[k]);
    // 4. Add noise with the posterior variance β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t)·β_t (eq. 7, "fixed_small").
    if (t > 0) {
      const std = Math.sqrt(Math.max(((1 - alphaPrev) / (1 - alphaT)) * currentBeta, 1e-20));
      const z = rng.randn(prevSample.length);
      for (let k = 0; k < prevSample.length; k++) prevSample[k] += std * z[k];
    }
    return { prevSample, predOriginalSample: x0 };
  }
}
