import type { SchedulerConfig } from "./config";

export interface StepResult {
  prevSample: Float32Array;
  predOriginalSample: Float32Array;
}

/** Source of standard normal noise; `TorchGenerator` from server/diffusion/noise fits. */
export interface NoiseSource {
  randn(count: number): Float32Array;
}

export interface Scheduler {
  readonly name: string;
  readonly config: SchedulerConfig;
  /** "vp": samples are sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε (DDPM/DDIM/LCM/PNDM); "ve": samples are x0 + σ·ε (Euler, Heun, DPM++, LMS). */
  readonly sampleSpace: "vp" | "ve";
  /** After setTimesteps: one entry per MODEL CALL (Heun has ~2 per step). */
  readonly timesteps: readonly number[];
  /** σ of the sample at each model call i (sigmas[i]), plus the final σ at the end (length timesteps.length + 1; 0 at the end unless stopped early). */
  readonly sigmas: readonly number[];
  readonly initNoiseSigma: number;
  /** Steps of the current schedule: the n of setTimesteps(n), except where a ComfyUI σ schedule gives another count. */
  readonly stepCount: number;
  /** Fills timesteps/sigmas for n user steps and clears any multistep history (start of a run). */
  setTimesteps(numInferenceSteps: number): void;
  /** Index range of model calls covering user steps [startStep, endStep) (Heun maps steps to call indices). */
  callRange(startStep: number, endStep: number): [number, number];
  scaleModelInput(sample: Float32Array, index: number): Float32Array;
  step(modelOutput: Float32Array, index: number, sample: Float32Array, rng: NoiseSource): StepResult;
  /** Forward process at model call index i: vp → sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε ; ve → x0 + σ_i·ε. */
  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array;
}
