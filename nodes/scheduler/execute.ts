import { implement } from "../../core/node/implement";
import type { ScheduleValue } from "../../core/node/values";
import { scheduleSeries } from "../../core/schedulers/betas";
import type { SigmaSchedule } from "../../core/schedulers/comfy-sigmas";
import {
  DEFAULT_SCHEDULER_CONFIG,
  type SchedulerConfig,
  schedulerConfigFromDiffusers,
} from "../../core/schedulers/config";
import { createScheduler, SCHEDULERS } from "../../core/schedulers/index";
import type { RuntimeServices } from "../../server/runtime/services";
import { scheduler } from "./definition";

export const schedulerImpl = implement<typeof scheduler, RuntimeServices>(scheduler, {
  execute(ctx, { unet }, p) {
    // 1. The β schedule: the model's own config, or the one set on the node.
    let base: SchedulerConfig = DEFAULT_SCHEDULER_CONFIG;
    if (unet) {
      const warnings: string[] = [];
      base = schedulerConfigFromDiffusers(unet.schedulerConfig, warnings);
      for (const w of warnings) ctx.warn(`model "${unet.modelId}" scheduler config: ${w}`);
    }
    const custom = p.betaSchedule !== "model";
    const config: SchedulerConfig = {
      ...base,
      ...(custom
        ? {
            betaSchedule: p.betaSchedule as SchedulerConfig["betaSchedule"],
            numTrainTimesteps: p.trainSteps,
            betaStart: p.betaStart,
            betaEnd: p.betaEnd,
          }
        : {}),
      ...SCHEDULERS[p.algorithm as keyof typeof SCHEDULERS]?.overrides,
      karras: p.karras || Boolean(SCHEDULERS[p.algorithm as keyof typeof SCHEDULERS]?.overrides?.karras),
      eta: p.eta,
    };
    if (p.sigmaSchedule !== "model") {
      // ComfyUI's σ spacing exists for σ-space samplers only (its own "ddim" is Euler on these σ).
      const probe = createScheduler(p.algorithm, config);
      if (probe.sampleSpace !== "ve")
        throw new Error(
          `σ schedule "${p.sigmaSchedule}" needs a σ-space sampler (euler, euler-ancestral, heun, dpmpp-2m, lms); "${p.algorithm}" steps through discrete timesteps — set σ schedule to "model" (ComfyUI's ddim is euler on these σ)`,
        );
      if (config.karras)
        ctx.warn(`the Karras flag is ignored: σ schedule "${p.sigmaSchedule}" sets the σ spacing`);
      config.sigmaSchedule = p.sigmaSchedule as SigmaSchedule;
    }
    if (custom && p.betaSchedule !== "squaredcos_cap_v2" && !(p.betaStart < p.betaEnd))
      throw new Error(`β start (${p.betaStart}) must be below β end (${p.betaEnd}): β_t grows with t`);
    // 2. The sampler's timesteps and σ for this many steps.
    const s = createScheduler(p.algorithm, config);
    s.setTimesteps(p.steps);
    const value: ScheduleValue = {
      algorithm: p.algorithm,
      steps: p.steps,
      config,
      timesteps: [...s.timesteps],
      sigmas: [...s.sigmas],
      series: plainSeries(scheduleSeries(config)),
    };
    return { outputs: { schedule: value } };
  },
});

/** Plain arrays: the series travel in events and JSON. */
function plainSeries(s: { beta: ArrayLike<number>; alphaBar: ArrayLike<number>; sigma: ArrayLike<number> }) {
  return { beta: Array.from(s.beta), alphaBar: Array.from(s.alphaBar), sigma: Array.from(s.sigma) };
}
