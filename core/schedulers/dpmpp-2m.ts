/**
 * DPM-Solver++(2M) — Lu et al., "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
 * Probabilistic Models" (2022), arXiv:2211.01095, Algorithm 2 (multistep, data prediction, midpoint).
 * diffusers' `DPMSolverMultistepScheduler` (solver_order 2, algorithm_type "dpmsolver++", final σ 0)
 * steps vp samples; this is the same update written for ve samples (k-diffusion's `sample_dpmpp_2m`):
 * with x_vp = x_ve/√(σ²+1) the two are algebraically identical.
 */
import { like, VeScheduler } from "./base";
import type { NoiseSource, StepResult } from "./types";

/**
 * Config fields used (defaults from DEFAULT_SCHEDULER_CONFIG):
 * - numTrainTimesteps, betaStart, betaEnd, betaSchedule — the training σ table.
 * - timestepSpacing, stepsOffset — diffusers' multistep spacing: n + 1 points, t = 0 dropped ("leading", 1).
 * - karras — Karras σ ladder over the whole training range (false).
 * - predictionType — "epsilon" | "v_prediction" | "sample".
 * - clipSample, clipSampleRange — clamp the predicted x0 (false, 1).
 *
 * History: step i uses the x0 prediction of call i − 1 when this instance made it; otherwise (first
 * step, or a fresh instance resuming mid-way) it takes a first-order step. The last step, to σ = 0, is
 * first order as in diffusers (lower_order_final). So chaining [0,k) then [k,n) on ONE instance equals
 * one loop; with a new instance for [k,n) step k is first order and the result differs slightly.
 */
export class DPMSolverPP2MScheduler extends VeScheduler {
  readonly name = "DPM++ 2M";
  private previous: { index: number; x0: Float32Array } | null = null;

  /** diffusers' DPM-Solver starts from unit noise in vp form, i.e. √(σ_0² + 1)·ε in ve form. */
  override get initNoiseSigma(): number {
    if (this.comfy) return super.initNoiseSigma;
    const sigmaMax = this.sigmas[0] ?? this.trainSigmas[this.trainSigmas.length - 1];
    return Math.sqrt(sigmaMax ** 2 + 1);
  }

  override setTimesteps(numInferenceSteps: number): void {
    const { timesteps, sigmas } = this.sigmaLadder(numInferenceSteps, "multistep");
    this.numSteps = this.ladderSteps;
    this.timesteps = timesteps;
    this.sigmas = [...sigmas, 0];
    this.previous = null;
    this.requireDistinctSigmas();
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _rng: NoiseSource): StepResult {
    this.checkCall("step", index, modelOutput, sample);
    const sigma = this.sigmas[index];
    const sigmaNext = this.sigmas[index + 1];
    // 1. Data prediction D_i = x0_θ(x_i, σ_i) (the "++" of DPM-Solver++).
    const x0 = this.predictX0(modelOutput, sample, sigma);
    const prev = this.previous?.index === index - 1 ? this.previous.x0 : null;
    this.previous = { index, x0 };
    let prevSample: Float32Array;
    if (sigmaNext === 0) {
      // 2a. Final step to σ = 0: λ → ∞ and the update reduces to x = D_i.
      prevSample = x0.slice();
    } else {
      // 2b. λ = −log σ (log-SNR in ve form); h = λ_{i+1} − λ_i. Eq. 9 (first order):
      //     x_{i+1} = (σ_{i+1}/σ_i)·x_i − (e^{−h} − 1)·D.
      const h = Math.log(sigma / sigmaNext);
      const ratio = sigmaNext / sigma;
      const phi = -Math.expm1(-h);
      if (!prev) {
        prevSample = like(sample);
        for (let k = 0; k < sample.length; k++) prevSample[k] = ratio * sample[k] + phi * x0[k];
      } else {
        // 3. Second order, Algorithm 2 line 8 (midpoint): r = h_{i−1}/h_i, D = D_i + (D_i − D_{i−1})/(2r).
        const hLast = Math.log(this.sigmas[index - 1] / sigma);
        const c = 1 / (2 * (hLast / h));
        prevSample = like(sample);
        for (let k = 0; k < sample.length; k++)
          prevSample[k] = ratio * sample[k] + phi * (x0[k] + c * (x0[k] - prev[k]));
      }
    }
    return { prevSample, predOriginalSample: x0 };
  }
}
