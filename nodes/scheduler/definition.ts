import { defineNode } from "../../core/node/define";
import { SIGMA_SCHEDULES } from "../../core/schedulers/comfy-sigmas";
import { SCHEDULER_NAMES } from "../../core/schedulers/names";

export const BETA_SCHEDULE_OPTIONS = ["model", "linear", "scaled_linear", "squaredcos_cap_v2"] as const;

export const scheduler = defineNode({
  id: "scheduler",
  version: 1,
  title: "Scheduler",
  category: "sampling",
  aliases: ["BasicScheduler", "KSamplerSelect", "sigmas"],
  description:
    "The noise schedule and sampling algorithm: β_t grows with t, ᾱ_t = ∏(1−β_s), σ_t = sqrt((1−ᾱ_t)/ᾱ_t). Plots the series it chose.",
  inputs: {
    unet: {
      type: "UNET",
      optional: true,
      description: "Take the β schedule, T and prediction type from this model.",
    },
  },
  widgets: {
    algorithm: {
      kind: "enum",
      default: "ddim",
      options: SCHEDULER_NAMES,
      description: "The sampler that turns each model prediction into the next, less noisy latent.",
    },
    steps: {
      kind: "int",
      default: 25,
      min: 1,
      max: 1000,
      description: "Number of denoising steps.",
      linkable: true,
    },
    betaSchedule: {
      kind: "enum",
      default: "model",
      options: BETA_SCHEDULE_OPTIONS,
      label: "β schedule",
      description: 'How β_t grows with t; "model" uses the model\'s own scheduler config.',
    },
    trainSteps: {
      kind: "int",
      default: 1000,
      min: 2,
      max: 10000,
      label: "T",
      description: 'Training length T of the schedule (ignored when β schedule is "model").',
    },
    betaStart: {
      kind: "float",
      default: 0.00085,
      min: 0,
      max: 0.999,
      step: 0.0001,
      precision: 5,
      label: "β start",
      description: 'β_1 (ignored for "model").',
    },
    betaEnd: {
      kind: "float",
      default: 0.012,
      min: 0,
      max: 0.999,
      step: 0.001,
      precision: 4,
      label: "β end",
      description: 'β_T (ignored for "model").',
    },
    karras: {
      kind: "boolean",
      default: false,
      description: "Use the Karras σ spacing (ρ = 7) for σ-space samplers.",
    },
    sigmaSchedule: {
      kind: "enum",
      default: "model",
      options: SIGMA_SCHEDULES,
      label: "σ schedule",
      description:
        "σ-space samplers (Euler, Euler a, Heun, DPM++ 2M, LMS): ComfyUI's σ spacing by its scheduler name, as an imported KSampler uses it; \"model\" keeps diffusers' spacing and the Karras flag.",
    },
    eta: {
      kind: "float",
      default: 0,
      min: 0,
      max: 1,
      step: 0.05,
      label: "η",
      description: "DDIM η: 0 is deterministic, 1 is DDPM-like.",
    },
  },
  ui: { extras: ["schedule-plot"] },
  outputs: { schedule: { type: "SCHEDULE" } },
});
