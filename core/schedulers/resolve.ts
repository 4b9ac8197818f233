/**
 * The ONE merge of a Scheduler node's parameters with its model's scheduler config: the node's execute
 * (which makes the schedule a run samples) and the editor's schedule plot (which shows it while editing)
 * both call it, so the plot cannot show a schedule other than the one the run uses.
 */
import type { SigmaSchedule } from "./comfy-sigmas";
import {
  type BetaSchedule,
  DEFAULT_SCHEDULER_CONFIG,
  type SchedulerConfig,
  schedulerConfigFromDiffusers,
} from "./config";
import { createScheduler, SCHEDULERS } from "./index";
import type { SchedulerName } from "./names";

/** The Scheduler node's parameters that shape its schedule (its declaration's widgets). */
export interface ScheduleParams {
  algorithm: SchedulerName;
  /** "model": the model's own β schedule (or the default one without a model). */
  betaSchedule: "model" | BetaSchedule;
  trainSteps: number;
  betaStart: number;
  betaEnd: number;
  karras: boolean;
  /** "model": diffusers' σ spacing; otherwise ComfyUI's σ schedule by name. */
  sigmaSchedule: SigmaSchedule;
  eta: number;
}

export interface ResolvedScheduleConfig {
  config: SchedulerConfig;
  /** Values of the model's scheduler_config.json that were ignored or replaced. */
  configWarnings: string[];
  /** Node settings that do not take effect with this combination. */
  warnings: string[];
}

/**
 * The sampler's config for these parameters and the model's raw diffusers `scheduler_config.json`
 * (undefined without a model). Throws, with a message for the node, on combinations that cannot run.
 */
export function resolveScheduleConfig(p: ScheduleParams, modelConfig?: unknown): ResolvedScheduleConfig {
  const configWarnings: string[] = [];
  const warnings: string[] = [];
  // 1. The β schedule: the model's own config, or the one set on the node.
  const base: SchedulerConfig =
    modelConfig === undefined || modelConfig === null
      ? DEFAULT_SCHEDULER_CONFIG
      : schedulerConfigFromDiffusers(modelConfig, configWarnings);
  const custom = p.betaSchedule !== "model";
  const algorithm = SCHEDULERS[p.algorithm];
  const config: SchedulerConfig = {
    ...base,
    ...(p.betaSchedule !== "model"
      ? {
          betaSchedule: p.betaSchedule,
          numTrainTimesteps: p.trainSteps,
          betaStart: p.betaStart,
          betaEnd: p.betaEnd,
        }
      : {}),
    ...algorithm?.overrides,
    karras: p.karras || Boolean(algorithm?.overrides?.karras),
    eta: p.eta,
  };
  // 2. ComfyUI's σ spacing exists for σ-space samplers only (its own "ddim" is Euler on these σ).
  if (p.sigmaSchedule !== "model") {
    const probe = createScheduler(p.algorithm, config);
    if (probe.sampleSpace !== "ve")
      throw new Error(
        `σ schedule "${p.sigmaSchedule}" needs a σ-space sampler (euler, euler-ancestral, heun, dpmpp-2m, lms); "${p.algorithm}" steps through discrete timesteps — set σ schedule to "model" (ComfyUI's ddim is euler on these σ)`,
      );
    if (config.karras)
      warnings.push(`the Karras flag is ignored: σ schedule "${p.sigmaSchedule}" sets the σ spacing`);
    config.sigmaSchedule = p.sigmaSchedule;
  }
  if (custom && p.betaSchedule !== "squaredcos_cap_v2" && !(p.betaStart < p.betaEnd))
    throw new Error(`β start (${p.betaStart}) must be below β end (${p.betaEnd}): β_t grows with t`);
  return { config, configWarnings, warnings };
}
