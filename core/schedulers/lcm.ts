/**
 * LCM — Luo et al., "Latent Consistency Models" (2023), arXiv:2310.04378, Algorithm 1 (multistep
 * consistency sampling). Port of diffusers' `LCMScheduler` (vp samples, fresh noise between steps).
 */
import { VpScheduler } from "./base";
import type { NoiseSource, StepResult } from "./types";

/**
 * Config fields used (defaults from DEFAULT_SCHEDULER_CONFIG):
 * - numTrainTimesteps, betaStart, betaEnd, betaSchedule — the ᾱ table.
 * - originalInferenceSteps — the distillation schedule (50): t ∈ {T/50 − 1, 2T/50 − 1, …, T − 1}.
 * - predictionType — "epsilon" | "v_prediction" | "sample".
 * - clipSample, clipSampleRange — clamp the predicted x0 (false, 1).
 * - setAlphaToOne — only matters if a step's next timestep were negative (never with this spacing).
 * timestepSpacing and stepsOffset do not apply (LCM picks its own timesteps, as diffusers does).
 */
export class LCMScheduler extends VpScheduler {
  readonly name = "LCM";

  setTimesteps(numInferenceSteps: number): void {
    const T = this.config.numTrainTimesteps;
    const original = this.config.originalInferenceSteps;
    if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > original) {
      throw new RangeError(
        `LCM: numInferenceSteps must be an integer in 1 … ${original} (originalInferenceSteps), got ${numInferenceSteps}`,
      );
    }
    // The distillation timesteps, descending, then n of them at floor(linspace(0, len, n, endpoint=false)).
    const k = Math.floor(T / original);
    const origin = Array.from({ length: original }, (_, i) => (original - i) * k - 1);
    const ts = Array.from(
      { length: numInferenceSteps },
      (_, i) => origin[Math.floor(i * (original / numInferenceSteps))],
    );
    this.numSteps = numInferenceSteps;
    this.timesteps = ts;
    this.sigmas = [...ts.map((t) => this.trainSigmas[t]), 0];
  }

  /** Consistency-model boundary condition (LCM eq. 5 with σ_data = 0.5, timestep scaling 10). */
  private boundary(t: number): { cSkip: number; cOut: number } {
    const s = t * 10;
    return { cSkip: 0.25 / (s * s + 0.25), cOut: s / Math.sqrt(s * s + 0.25) };
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    const t = this.timesteps[index];
    // 1. ᾱ of this step and of the next one.
    const alphaT = this.alphaBar[t];
    const last = index === this.timesteps.length - 1;
    // 2. Boundary-condition scalings c_skip(t), c_out(t).
    const { cSkip, cOut } = this.boundary(t);
    // 3. Predicted x0 from the model output (eq. 9's x̂0).
    const { x0 } = this.predict(modelOutput, sample, alphaT);
    // 4. Consistency function f(x, t) = c_skip·x + c_out·x̂0 (eq. 5).
    const denoised = x0.map((v, k) => cOut * v + cSkip * sample[k]);
    if (last) return { prevSample: denoised, predOriginalSample: denoised };
    // 5. Re-noise to the next timestep (Algorithm 1, line 6): √ᾱ_{t'}·f + √(1−ᾱ_{t'})·z.
    const alphaPrev = this.alphaBar[this.timesteps[index + 1]];
    const z = rng.randn(denoised.length);
    const sa = Math.sqrt(alphaPrev);
    const sb = Math.sqrt(1 - alphaPrev);
    return { prevSample: denoised.map((v, k) => sa * v + sb * z[k]), predOriginalSample: denoised };
  }
}
