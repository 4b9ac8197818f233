/**
 * Scheduler configuration: the camelCase mirror of a diffusers `scheduler_config.json`.
 * Pure data and maths (no Node imports): the canvas imports it for its plots.
 */
import type { SigmaSchedule } from "./comfy-sigmas";

export type BetaSchedule = "linear" | "scaled_linear" | "squaredcos_cap_v2";
export type PredictionType = "epsilon" | "v_prediction" | "sample";
export type TimestepSpacing = "leading" | "trailing" | "linspace";

export interface SchedulerConfig {
  /** T, the training length of the diffusion process (diffusers `num_train_timesteps`; SD: 1000). */
  numTrainTimesteps: number;
  /** β of the first training step (`beta_start`). */
  betaStart: number;
  /** β of the last training step (`beta_end`). */
  betaEnd: number;
  /** How β grows from betaStart to betaEnd (`beta_schedule`); the cosine schedule ignores both ends. */
  betaSchedule: BetaSchedule;
  /** What the model predicts: the noise ε, the velocity v = √ᾱ·ε − √(1−ᾱ)·x0, or x0 itself. */
  predictionType: PredictionType;
  /** How inference timesteps are spread over 0 … T−1 (`timestep_spacing`). */
  timestepSpacing: TimestepSpacing;
  /** Added to every timestep with "leading" spacing (`steps_offset`; SD 1.5: 1). */
  stepsOffset: number;
  /** vp schedulers: the last step lands on ᾱ = 1 (σ = 0) instead of ᾱ_0 (`set_alpha_to_one`). */
  setAlphaToOne: boolean;
  /** Clamp the predicted x0 to ±clipSampleRange (`clip_sample`; for pixel-space models). */
  clipSample: boolean;
  /** Bound used by clipSample (`clip_sample_range`). */
  clipSampleRange: number;
  /** σ-space schedulers: use the Karras et al. (2022) σ ladder, ρ = 7 (`use_karras_sigmas`). */
  karras: boolean;
  /** DDIM: 0 = deterministic, 1 = DDPM-like stochastic sampling (η of DDIM eq. 16). */
  eta: number;
  /** LCM: length of the distillation schedule the inference steps are taken from (`original_inference_steps`). */
  originalInferenceSteps: number;
  /**
   * σ-space samplers: ComfyUI's σ spacing (core/schedulers/comfy-sigmas.ts) instead of diffusers'
   * timestep spacing and Karras flag; absent or "model" = diffusers' (the default).
   */
  sigmaSchedule?: SigmaSchedule;
}

/** Stable Diffusion 1.5's scheduler config (its PNDM config, plus neutral values for the other fields). */
export const DEFAULT_SCHEDULER_CONFIG: Readonly<SchedulerConfig> = Object.freeze({
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: "scaled_linear",
  predictionType: "epsilon",
  timestepSpacing: "leading",
  stepsOffset: 1,
  setAlphaToOne: false,
  clipSample: false,
  clipSampleRange: 1,
  karras: false,
  eta: 0,
  originalInferenceSteps: 50,
});

/** diffusers' constructor defaults (DDIMScheduler's), used for fields a config file leaves out. */
const DIFFUSERS_DEFAULTS: SchedulerConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: "linear",
  predictionType: "epsilon",
  timestepSpacing: "leading",
  stepsOffset: 0,
  setAlphaToOne: true,
  clipSample: true,
  clipSampleRange: 1,
  karras: false,
  eta: 0,
  originalInferenceSteps: 50,
};

/** Per-class defaults that differ from DDIMScheduler's. */
const CLASS_DEFAULTS: Record<string, Partial<SchedulerConfig>> = {
  PNDMScheduler: { setAlphaToOne: false, clipSample: false },
  DDPMScheduler: {},
  LCMScheduler: { betaStart: 0.00085, betaEnd: 0.012, betaSchedule: "scaled_linear", clipSample: false },
  EulerDiscreteScheduler: { timestepSpacing: "linspace", clipSample: false },
  EulerAncestralDiscreteScheduler: { timestepSpacing: "linspace", clipSample: false },
  HeunDiscreteScheduler: { timestepSpacing: "linspace", clipSample: false },
  LMSDiscreteScheduler: { timestepSpacing: "linspace", clipSample: false },
  DPMSolverMultistepScheduler: { timestepSpacing: "linspace", clipSample: false },
};

/** Settings we read but do not implement: a true value gets a warning. */
const UNSUPPORTED_FLAGS = [
  "rescale_betas_zero_snr",
  "thresholding",
  "use_exponential_sigmas",
  "use_beta_sigmas",
];

/**
 * Reads a diffusers `scheduler_config.json` (snake_case). Never throws: missing fields get diffusers'
 * defaults for the config's `_class_name`, and anything unusable is replaced by its default with a
 * message pushed onto `warnings` (pass an array to collect them).
 */
export function schedulerConfigFromDiffusers(json: unknown, warnings: string[] = []): SchedulerConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    warnings.push("Scheduler config is not a JSON object; using diffusers defaults.");
    return { ...DIFFUSERS_DEFAULTS };
  }
  const raw = json as Record<string, unknown>;
  const className = typeof raw._class_name === "string" ? raw._class_name : "";
  const d: SchedulerConfig = { ...DIFFUSERS_DEFAULTS, ...CLASS_DEFAULTS[className] };

  const num = (key: string, fallback: number, ok: (v: number) => boolean): number => {
    const v = raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === "number" && Number.isFinite(v) && ok(v)) return v;
    warnings.push(`${key}: ${JSON.stringify(v)} is not valid; using ${fallback}.`);
    return fallback;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === "boolean") return v;
    warnings.push(`${key}: ${JSON.stringify(v)} is not a boolean; using ${fallback}.`);
    return fallback;
  };
  const oneOf = <T extends string>(key: string, fallback: T, allowed: readonly T[]): T => {
    const v = raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    warnings.push(`${key}: ${JSON.stringify(v)} is not one of ${allowed.join(", ")}; using "${fallback}".`);
    return fallback;
  };

  const config: SchedulerConfig = {
    numTrainTimesteps: num("num_train_timesteps", d.numTrainTimesteps, (v) => Number.isInteger(v) && v >= 2),
    betaStart: num("beta_start", d.betaStart, (v) => v > 0 && v < 1),
    betaEnd: num("beta_end", d.betaEnd, (v) => v > 0 && v < 1),
    betaSchedule: oneOf("beta_schedule", d.betaSchedule, ["linear", "scaled_linear", "squaredcos_cap_v2"]),
    predictionType: oneOf("prediction_type", d.predictionType, ["epsilon", "v_prediction", "sample"]),
    timestepSpacing: oneOf("timestep_spacing", d.timestepSpacing, ["leading", "trailing", "linspace"]),
    stepsOffset: num("steps_offset", d.stepsOffset, (v) => Number.isInteger(v) && v >= 0),
    setAlphaToOne: bool("set_alpha_to_one", d.setAlphaToOne),
    clipSample: bool("clip_sample", d.clipSample),
    clipSampleRange: num("clip_sample_range", d.clipSampleRange, (v) => v > 0),
    karras: bool("use_karras_sigmas", d.karras),
    eta: num("eta", d.eta, (v) => v >= 0),
    originalInferenceSteps: num(
      "original_inference_steps",
      d.originalInferenceSteps,
      (v) => Number.isInteger(v) && v >= 1,
    ),
  };
  if (config.betaStart > config.betaEnd) {
    warnings.push(
      `beta_start ${config.betaStart} > beta_end ${config.betaEnd}; using ${d.betaStart} → ${d.betaEnd}.`,
    );
    config.betaStart = d.betaStart;
    config.betaEnd = d.betaEnd;
  }
  if (config.originalInferenceSteps > config.numTrainTimesteps) {
    warnings.push(`original_inference_steps exceeds num_train_timesteps; using ${config.numTrainTimesteps}.`);
    config.originalInferenceSteps = config.numTrainTimesteps;
  }
  if (Array.isArray(raw.trained_betas) && raw.trained_betas.length > 0) {
    warnings.push("trained_betas is not supported; using the beta_schedule instead.");
  }
  for (const flag of UNSUPPORTED_FLAGS) {
    if (raw[flag] === true) warnings.push(`${flag} is not supported and is ignored.`);
  }
  if (className === "PNDMScheduler" && raw.skip_prk_steps === false) {
    warnings.push(
      "PNDM's Runge–Kutta warm-up (skip_prk_steps = false) is not implemented; using the PLMS warm-up.",
    );
  }
  return config;
}
