/**
 * ComfyUI sampler_name / scheduler → the Scheduler node's settings. Only exact equivalents map
 * silently; anything else is reported on the KSampler's node.
 */
import { SIGMA_SCHEDULES, type SigmaSchedule } from "../../../core/schedulers/comfy-sigmas";
import type { SchedulerName } from "../../../core/schedulers/names";

/** ComfyUI's k-diffusion samplers that Petalflow implements (comfy/samplers.py KSAMPLER_NAMES). */
export const COMFY_SAMPLERS: Readonly<Record<string, SchedulerName>> = {
  euler: "euler",
  euler_ancestral: "euler-ancestral",
  heun: "heun",
  dpmpp_2m: "dpmpp-2m",
  lms: "lms",
  // ComfyUI's "ddim" is k-diffusion's Euler (comfy/samplers.py: ksampler("euler")), which on a σ ladder is DDIM η = 0.
  ddim: "euler",
  lcm: "lcm",
  ddpm: "ddpm",
};

/** ComfyUI's scheduler names (comfy/samplers.py SCHEDULER_NAMES) that have a Petalflow σ schedule: all but "model". */
export type ComfySchedule = Exclude<SigmaSchedule, "model">;
export const COMFY_SCHEDULES: readonly ComfySchedule[] = SIGMA_SCHEDULES.filter(
  (s): s is ComfySchedule => s !== "model",
);

export interface SamplerSetting {
  algorithm: SchedulerName;
  sigmaSchedule: ComfySchedule;
  /** Set when the sampler or schedule could not be mapped (the node still opens, with `algorithm`). */
  samplerProblem?: string;
  scheduleProblem?: string;
}

export function samplerSetting(samplerName: unknown, scheduler: unknown): SamplerSetting {
  const s = String(samplerName ?? "");
  const sch = String(scheduler ?? "");
  const algorithm = COMFY_SAMPLERS[s];
  const schedule = (COMFY_SCHEDULES as readonly string[]).includes(sch) ? (sch as ComfySchedule) : null;
  return {
    algorithm: algorithm ?? "euler",
    sigmaSchedule: schedule ?? "normal",
    samplerProblem: algorithm
      ? undefined
      : `sampler "${s}" is not supported (supported: ${Object.keys(COMFY_SAMPLERS).join(", ")}); set to euler — choose one`,
    scheduleProblem: schedule
      ? undefined
      : `scheduler "${sch}" is not supported (supported: ${COMFY_SCHEDULES.join(", ")}); set to normal — choose one`,
  };
}

/** Samplers Petalflow runs on its own (diffusers') timesteps: ComfyUI's σ schedule cannot apply. */
const OWN_TIMESTEPS = new Set<string>(["lcm", "ddpm"]);

/** The Scheduler node's params for a mapped sampler, and a note when it is not ComfyUI's exact maths. */
export function schedulerParams(s: SamplerSetting): { params: Record<string, unknown>; problem?: string } {
  if (OWN_TIMESTEPS.has(s.algorithm))
    return {
      params: { algorithm: s.algorithm, karras: false, sigmaSchedule: "model" },
      problem: `"${s.algorithm}" runs on diffusers' ${s.algorithm.toUpperCase()} timesteps, not ComfyUI's k-diffusion sampler over its "${s.sigmaSchedule}" σ: images will differ`,
    };
  return { params: { algorithm: s.algorithm, karras: false, sigmaSchedule: s.sigmaSchedule } };
}
