/**
 * The scheduler registry: user-facing name → algorithm + config overrides (InvokeAI's SCHEDULER_MAP).
 * The names (client-safe, in ./names) feed the sampler node's enum widget.
 */
import type { SchedulerConfig } from "./config";
import { DDIMScheduler } from "./ddim";
import { DDPMScheduler } from "./ddpm";
import { DPMSolverPP2MScheduler } from "./dpmpp-2m";
import { EulerScheduler } from "./euler";
import { EulerAncestralScheduler } from "./euler-ancestral";
import { HeunScheduler } from "./heun";
import { LCMScheduler } from "./lcm";
import { LMSScheduler } from "./lms";
import { SCHEDULER_NAMES, type SchedulerName } from "./names";
import { PNDMScheduler } from "./pndm";
import type { Scheduler } from "./types";

export interface SchedulerEntry {
  label: string;
  description: string;
  create(config: SchedulerConfig): Scheduler;
  /** Applied on top of the model's config by createScheduler (e.g. Karras σ). */
  overrides?: Partial<SchedulerConfig>;
}

export { SCHEDULER_NAMES, type SchedulerName };

export const SCHEDULERS: Readonly<Record<SchedulerName, SchedulerEntry>> = {
  ddpm: {
    label: "DDPM",
    description: "Ancestral DDPM sampling; needs many steps (≥ 100).",
    create: (c) => new DDPMScheduler(c),
  },
  ddim: {
    label: "DDIM",
    description: "Deterministic DDIM (η from the config; 0 = deterministic). Good at 20–50 steps.",
    create: (c) => new DDIMScheduler(c),
  },
  euler: {
    label: "Euler",
    description: "First-order ODE solver in σ; deterministic and robust, 20–40 steps.",
    create: (c) => new EulerScheduler(c),
  },
  "euler-karras": {
    label: "Euler (Karras)",
    description: "Euler on the Karras σ ladder (ρ = 7), which spends more steps at low noise.",
    create: (c) => new EulerScheduler(c),
    overrides: { karras: true },
  },
  "euler-ancestral": {
    label: "Euler ancestral",
    description: "Euler with fresh noise each step; varied, never converges to one image as steps grow.",
    create: (c) => new EulerAncestralScheduler(c),
  },
  heun: {
    label: "Heun",
    description: "Second-order ODE solver: two model calls per step, accurate at 10–30 steps.",
    create: (c) => new HeunScheduler(c),
  },
  "dpmpp-2m": {
    label: "DPM++ 2M",
    description: "DPM-Solver++ second-order multistep; sharp results at 15–30 steps.",
    create: (c) => new DPMSolverPP2MScheduler(c),
  },
  "dpmpp-2m-karras": {
    label: "DPM++ 2M Karras",
    description: "DPM-Solver++ 2M on the Karras σ ladder; the common default at 20–30 steps.",
    create: (c) => new DPMSolverPP2MScheduler(c),
    overrides: { karras: true },
  },
  lms: {
    label: "LMS",
    description: "Fourth-order linear multistep in σ; smooth at 30–50 steps.",
    create: (c) => new LMSScheduler(c),
  },
  "lms-karras": {
    label: "LMS (Karras)",
    description: "LMS on the Karras σ ladder.",
    create: (c) => new LMSScheduler(c),
    overrides: { karras: true },
  },
  lcm: {
    label: "LCM",
    description: "Latent Consistency Model sampling for LCM-distilled models; 4–8 steps, CFG off.",
    create: (c) => new LCMScheduler(c),
  },
  pndm: {
    label: "PNDM (PLMS)",
    description: "Pseudo-numerical multistep; the default of diffusers' ONNX Stable Diffusion pipelines.",
    create: (c) => new PNDMScheduler(c),
  },
};

export function isSchedulerName(name: string): name is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(name);
}

/** Builds a scheduler by registry name, applying its overrides to `config`. */
export function createScheduler(name: string, config: SchedulerConfig): Scheduler {
  if (!isSchedulerName(name)) {
    throw new Error(`Unknown scheduler "${name}"; valid names: ${SCHEDULER_NAMES.join(", ")}.`);
  }
  const entry = SCHEDULERS[name];
  return entry.create({ ...config, ...entry.overrides });
}

/** Registry name matching a diffusers `scheduler_config.json`'s `_class_name` (null when we have none). */
export function schedulerNameFromDiffusers(json: unknown): SchedulerName | null {
  if (typeof json !== "object" || json === null) return null;
  const raw = json as Record<string, unknown>;
  const karras = raw.use_karras_sigmas === true;
  switch (raw._class_name) {
    case "DDPMScheduler":
      return "ddpm";
    case "DDIMScheduler":
      return "ddim";
    case "PNDMScheduler":
      return "pndm";
    case "LCMScheduler":
      return "lcm";
    case "EulerDiscreteScheduler":
      return karras ? "euler-karras" : "euler";
    case "EulerAncestralDiscreteScheduler":
      return "euler-ancestral";
    case "HeunDiscreteScheduler":
      return "heun";
    case "LMSDiscreteScheduler":
      return karras ? "lms-karras" : "lms";
    case "DPMSolverMultistepScheduler":
      return karras ? "dpmpp-2m-karras" : "dpmpp-2m";
    default:
      return null;
  }
}

export type { SchedulerConfig } from "./config";
export { DEFAULT_SCHEDULER_CONFIG, schedulerConfigFromDiffusers } from "./config";
export type { NoiseSource, Scheduler, StepResult } from "./types";
