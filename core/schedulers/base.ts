/**
 * What every scheduler shares: config + ᾱ table, index checks with errors that name the fix, the
 * x0/ε implied by a model output, and the vp / ve forward process. Algorithms live one per file.
 */
import {
  interpAtTimestep,
  karrasSigmas,
  roundHalfEven,
  type SpacingVariant,
  scheduleTables,
  sigmaToT,
  timestepsFor,
} from "./betas";
import { ComfyModelSampling, comfySigmas, comfyStartNoiseScale, type SigmaSchedule } from "./comfy-sigmas";
import type { SchedulerConfig } from "./config";
import type { NoiseSource, Scheduler, StepResult } from "./types";

/**
 * A new zeroed array of the same type as `a` (Float32Array, or Float64Array when a test runs the maths
 * in float64), as `a.map` would make: steps fill these with plain loops, several times faster than
 * TypedArray.map's closure per element, with the same values.
 */
export function like(a: Float32Array, n = a.length): Float32Array {
  return new (a.constructor as Float32ArrayConstructor)(n);
}

export abstract class SchedulerBase implements Scheduler {
  abstract readonly name: string;
  abstract readonly sampleSpace: "vp" | "ve";
  readonly config: Readonly<SchedulerConfig>;
  /** ᾱ_t for t = 0 … T−1. */
  protected readonly alphaBar: Float64Array;
  /** σ_t = √((1−ᾱ_t)/ᾱ_t) for t = 0 … T−1. */
  protected readonly trainSigmas: Float64Array;
  timesteps: readonly number[] = [];
  sigmas: readonly number[] = [];
  /** The n of the last setTimesteps(n) (the ladder's step count, which ComfyUI's ddim_uniform may change). */
  protected numSteps = 0;
  /** Steps of the last σ ladder built. */
  protected ladderSteps = 0;

  /** Steps the current schedule really has (callRange's upper bound). */
  get stepCount(): number {
    return this.numSteps;
  }

  constructor(config: SchedulerConfig) {
    this.config = Object.freeze({ ...config });
    // Shared per β recipe (betas.ts): read here, never written.
    const tables = scheduleTables(config);
    this.alphaBar = tables.alphaBar;
    this.trainSigmas = tables.sigma;
  }

  get initNoiseSigma(): number {
    return 1;
  }

  abstract setTimesteps(numInferenceSteps: number): void;
  abstract step(modelOutput: Float32Array, index: number, sample: Float32Array, rng: NoiseSource): StepResult;
  abstract scaleModelInput(sample: Float32Array, index: number): Float32Array;
  abstract addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array;

  /** One model call per user step unless a scheduler says otherwise. */
  callRange(startStep: number, endStep: number): [number, number] {
    this.checkStepRange(startStep, endStep);
    return [startStep, endStep];
  }

  protected checkStepRange(startStep: number, endStep: number): void {
    this.requireTimesteps("callRange");
    if (
      !Number.isInteger(startStep) ||
      !Number.isInteger(endStep) ||
      startStep < 0 ||
      endStep > this.numSteps ||
      startStep > endStep
    ) {
      throw new RangeError(
        `${this.name}: steps [${startStep}, ${endStep}) must lie within 0 … ${this.numSteps} (setTimesteps(${this.numSteps})).`,
      );
    }
  }

  protected requireTimesteps(what: string): void {
    if (this.timesteps.length === 0) {
      throw new Error(`${this.name}: ${what}() needs timesteps; call setTimesteps(numInferenceSteps) first.`);
    }
  }

  /** Throws unless `index` is a model call of the current schedule and `arrays` have matching lengths. */
  protected checkCall(what: string, index: number, ...arrays: Float32Array[]): void {
    this.requireTimesteps(what);
    if (!Number.isInteger(index) || index < 0 || index >= this.timesteps.length) {
      throw new RangeError(
        `${this.name}: model call index ${index} is outside 0 … ${this.timesteps.length - 1}; use callRange() to map steps to calls.`,
      );
    }
    for (const a of arrays) {
      if (a.length !== arrays[0].length)
        throw new RangeError(`${this.name}: ${what}() got tensors of different sizes.`);
    }
  }

  protected clip(x0: Float32Array): Float32Array {
    if (!this.config.clipSample) return x0;
    const r = this.config.clipSampleRange;
    return x0.map((v) => Math.min(Math.max(v, -r), r));
  }
}

/** Samples √ᾱ·x0 + √(1−ᾱ)·ε; integer timesteps index the ᾱ table. */
export abstract class VpScheduler extends SchedulerBase {
  readonly sampleSpace = "vp" as const;

  /** ᾱ at the end of sampling: 1 with setAlphaToOne, else ᾱ_0 (diffusers' `final_alpha_cumprod`). */
  protected get finalAlphaBar(): number {
    return this.config.setAlphaToOne ? 1 : this.alphaBar[0];
  }

  /** ᾱ_t, refusing a timestep outside the table (which would otherwise read as NaN: a black image). */
  protected alphaAt(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t >= this.alphaBar.length) {
      throw new RangeError(
        `${this.name}: timestep ${t} is outside the training schedule 0 … ${this.alphaBar.length - 1}.`,
      );
    }
    return this.alphaBar[t];
  }

  protected sigmaOfAlphaBar(a: number): number {
    return Math.sqrt((1 - a) / a);
  }

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    this.checkCall("scaleModelInput", index);
    return sample;
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    this.checkCall("addNoise", index, original, noise);
    const a = this.alphaBar[this.timesteps[index]];
    const sa = Math.sqrt(a);
    const sb = Math.sqrt(1 - a);
    const out = like(original);
    for (let k = 0; k < out.length; k++) out[k] = sa * original[k] + sb * noise[k];
    return out;
  }

  /**
   * x0 and ε implied by a model output for x_t = √ᾱ·x0 + √(1−ᾱ)·ε (DDIM eq. 12's "predicted x0"):
   * ε: x0 = (x − √(1−ᾱ)·ε)/√ᾱ;  v = √ᾱ·ε − √(1−ᾱ)·x0: x0 = √ᾱ·x − √(1−ᾱ)·v, ε = √ᾱ·v + √(1−ᾱ)·x.
   * x0 is clipped when the config asks; ε is not recomputed (diffusers' default).
   */
  protected predict(
    modelOutput: Float32Array,
    sample: Float32Array,
    alphaBar: number,
  ): { x0: Float32Array; eps: Float32Array } {
    const a = Math.sqrt(alphaBar);
    const b = Math.sqrt(1 - alphaBar);
    let x0: Float32Array;
    let eps: Float32Array;
    const n = sample.length;
    switch (this.config.predictionType) {
      case "epsilon":
        eps = modelOutput;
        x0 = like(sample);
        for (let k = 0; k < n; k++) x0[k] = (sample[k] - b * modelOutput[k]) / a;
        break;
      case "sample":
        x0 = modelOutput;
        eps = like(sample);
        for (let k = 0; k < n; k++) eps[k] = (sample[k] - a * modelOutput[k]) / b;
        break;
      case "v_prediction":
        x0 = like(sample);
        eps = like(sample);
        for (let k = 0; k < n; k++) {
          x0[k] = a * sample[k] - b * modelOutput[k];
          eps[k] = a * modelOutput[k] + b * sample[k];
        }
        break;
    }
    return { x0: this.clip(x0), eps };
  }
}

/** Samples x0 + σ·ε; the model sees x/√(σ² + 1), the vp sample of the same noise level. */
export abstract class VeScheduler extends SchedulerBase {
  readonly sampleSpace = "ve" as const;

  /** ComfyUI's model sampling, when the config asks for one of its σ schedules. */
  protected get comfy(): ComfyModelSampling | null {
    const s = this.config.sigmaSchedule;
    if (!s || s === "model") return null;
    this.#comfy ??= new ComfyModelSampling(this.trainSigmas);
    return this.#comfy;
  }
  #comfy: ComfyModelSampling | undefined;

  /**
   * diffusers' rule for Euler-type schedulers: σ_max for linspace/trailing, √(σ_max² + 1) for leading.
   * With a ComfyUI σ schedule, ComfyUI's: √(1 + σ_0²) when σ_0 is the model's σ_max, else σ_0.
   */
  override get initNoiseSigma(): number {
    if (this.comfy && this.sigmas.length > 0) return comfyStartNoiseScale(this.comfy, this.sigmas[0]);
    // Before setTimesteps, the training σ_max (diffusers' value at construction).
    const max =
      this.sigmas.length > 0 ? Math.max(...this.sigmas) : this.trainSigmas[this.trainSigmas.length - 1];
    return this.config.timestepSpacing === "leading" ? Math.sqrt(max * max + 1) : max;
  }

  /** The Euler-type ladder (σ at fractional t, or Karras), ending at σ = 0. DPM++ and Heun use their own. */
  setTimesteps(numInferenceSteps: number): void {
    const { timesteps, sigmas } = this.sigmaLadder(numInferenceSteps, "continuous");
    this.numSteps = this.ladderSteps;
    this.timesteps = timesteps;
    this.sigmas = [...sigmas, 0];
  }

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    this.checkCall("scaleModelInput", index);
    const k = 1 / Math.sqrt(this.sigmas[index] ** 2 + 1);
    const out = like(sample);
    for (let j = 0; j < out.length; j++) out[j] = sample[j] * k;
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    this.checkCall("addNoise", index, original, noise);
    const s = this.sigmas[index];
    const out = like(original);
    for (let k = 0; k < out.length; k++) out[k] = original[k] + s * noise[k];
    return out;
  }

  /**
   * x0 implied by the model output at noise level σ (Karras et al. 2022, Table 1 preconditioning):
   * ε: x0 = x − σ·ε;  v: x0 = x/(σ² + 1) − σ/√(σ² + 1)·v;  sample: x0 = output.
   */
  protected predictX0(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    const n = sample.length;
    switch (this.config.predictionType) {
      case "epsilon": {
        const x0 = like(sample);
        for (let k = 0; k < n; k++) x0[k] = sample[k] - sigma * modelOutput[k];
        return this.clip(x0);
      }
      case "sample":
        return this.clip(modelOutput);
      case "v_prediction": {
        const c = -sigma / Math.sqrt(sigma * sigma + 1);
        const d = 1 / (sigma * sigma + 1);
        const x0 = like(sample);
        for (let k = 0; k < n; k++) x0[k] = c * modelOutput[k] + d * sample[k];
        return this.clip(x0);
      }
    }
  }

  /**
   * The σ ladder of diffusers' Euler/Heun/LMS (variant "continuous": σ interpolated at fractional t,
   * Karras σ between the ladder's ends) or DPM-Solver (variant "multistep": Karras σ over the whole
   * training range, timesteps rounded). Returns n descending (t, σ) pairs, without the final 0.
   */
  protected sigmaLadder(n: number, variant: SpacingVariant): { timesteps: number[]; sigmas: number[] } {
    const comfy = this.comfy;
    if (comfy) {
      // ComfyUI: its own ladder; the U-Net sees the nearest integer timestep of each σ.
      const sigmas = comfySigmas(
        comfy,
        this.config.sigmaSchedule as Exclude<SigmaSchedule, "model">,
        n,
      ).slice(0, -1);
      this.ladderSteps = sigmas.length;
      return { timesteps: sigmas.map((s) => comfy.timestep(s)), sigmas };
    }
    this.ladderSteps = n;
    const timesteps = timestepsFor(this.config, n, variant);
    let sigmas = timesteps.map((t) => interpAtTimestep(t, this.trainSigmas));
    if (!this.config.karras) return { timesteps, sigmas };
    const T = this.trainSigmas.length;
    const [lo, hi] =
      variant === "multistep"
        ? [this.trainSigmas[0], this.trainSigmas[T - 1]]
        : [sigmas[sigmas.length - 1], sigmas[0]];
    sigmas = karrasSigmas(lo, hi, n);
    const logSigmas = Array.from(this.trainSigmas, Math.log);
    const ts = sigmas.map((s) => sigmaToT(s, logSigmas));
    if (variant !== "multistep") return { timesteps: ts, sigmas };
    // DPM-Solver: diffusers rounds these timesteps, except on the cosine schedule, where it leaves them
    // fractional and the int64 cast truncates them.
    const toInt = this.config.betaSchedule === "squaredcos_cap_v2" ? Math.trunc : roundHalfEven;
    return { timesteps: ts.map(toInt), sigmas };
  }

  /**
   * Multistep solvers divide by differences of σ (or log σ): a ladder that repeats a noise level (n close
   * to T, leading spacing with n = T) would give NaN, so it is refused before any model call.
   */
  protected requireDistinctSigmas(): void {
    for (let i = 0; i + 1 < this.numSteps; i++) {
      if (!(this.sigmas[i] > this.sigmas[i + 1])) {
        throw new RangeError(
          `${this.name}: ${this.numSteps} steps on a T = ${this.config.numTrainTimesteps} schedule with "${this.config.timestepSpacing}" spacing repeat a noise level (steps ${i} and ${i + 1}: σ = ${this.sigmas[i].toPrecision(6)}); use fewer steps or another spacing.`,
        );
      }
    }
  }
}
