/**
 * DDIM — Song, Meng & Ermon, "Denoising Diffusion Implicit Models" (2021), arXiv:2010.02502.
 * Port of diffusers' `DDIMScheduler` (vp samples, one model call per step).
 */

import { like, VpScheduler } from "./base";
import { timestepsFor } from "./betas";
import type { NoiseSource, StepResult } from "./types";

/**
 * Config fields used (defaults from DEFAULT_SCHEDULER_CONFIG):
 * - numTrainTimesteps, betaStart, betaEnd, betaSchedule — the ᾱ table (1000, 0.00085, 0.012, scaled_linear).
 * - timestepSpacing, stepsOffset — where the n steps sit in 0 … T−1 ("leading", 1).
 * - predictionType — "epsilon" | "v_prediction" | "sample" ("epsilon").
 * - setAlphaToOne — the last step lands on ᾱ = 1 rather than ᾱ_0 (false, as SD 1.5).
 * - clipSample, clipSampleRange — clamp the predicted x0 (false, 1).
 * - eta — η of eq. 16: 0 = deterministic DDIM, 1 = DDPM-like noise (0).
 *
 * As diffusers, each step goes from t to t − ⌊T/n⌋ (or to the final ᾱ below 0), not to the next listed
 * timestep: the two differ when the spacing is not uniform (linspace; trailing when n does not divide T).
 * The sample then starts the next call at that ᾱ, while the model is told the next listed t.
 */
export class DDIMScheduler extends VpScheduler {
  readonly name = "DDIM";

  setTimesteps(numInferenceSteps: number): void {
    const ts = timestepsFor(this.config, numInferenceSteps, "discrete");
    this.numSteps = numInferenceSteps;
    this.timesteps = ts;
    this.sigmas = [...ts.map((t) => this.trainSigmas[t]), this.sigmaOfAlphaBar(this.finalAlphaBar)];
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    // 1. ᾱ_t of this step and ᾱ_{t−T/n} it steps to (or the final ᾱ).
    const t = this.timesteps[index];
    const prevT = t - Math.floor(this.config.numTrainTimesteps / this.numSteps);
    const alphaT = this.alphaAt(t);
    const alphaPrev = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaBar;
    // 2. Predicted x0 and ε, "predicted x0" term of eq. 12.
    const { x0, eps } = this.predict(modelOutput, sample, alphaT);
    // 3. σ_t(η) of eq. 16: η·√((1−ᾱ_{t−1})/(1−ᾱ_t))·√(1 − ᾱ_t/ᾱ_{t−1}).
    const variance = ((1 - alphaPrev) / (1 - alphaT)) * (1 - alphaT / alphaPrev);
    const std = this.config.eta * Math.sqrt(Math.max(variance, 0));
    // 4. "Direction pointing to x_t" of eq. 12: √(1 − ᾱ_{t−1} − σ_t²)·ε.
    const dir = Math.sqrt(Math.max(1 - alphaPrev - std * std, 0));
    // 5. Eq. 12: x_{t−1} = √ᾱ_{t−1}·x0 + dir·ε (+ σ_t·z, the random noise; drawn whenever η > 0, as diffusers).
    const sa = Math.sqrt(alphaPrev);
    const prevSample = like(x0);
    for (let k = 0; k < x0.length; k++) prevSample[k] = sa * x0[k] + dir * eps[k];
    if (this.config.eta > 0) {
      const z = rng.randn(prevSample.length);
      for (let k = 0; k < prevSample.length; k++) prevSample[k] += std * z[k];
    }
    return { prevSample, predOriginalSample: x0 };
  }
}
