import { implement } from "../../core/node/implement";
import type { ScheduleValue } from "../../core/node/values";
import { scheduleSeries } from "../../core/schedulers/betas";
import { createScheduler } from "../../core/schedulers/index";
import { resolveScheduleConfig } from "../../core/schedulers/resolve";
import type { RuntimeServices } from "../../server/runtime/services";
import { scheduler } from "./definition";

export const schedulerImpl = implement<typeof scheduler, RuntimeServices>(scheduler, {
  execute(ctx, { unet }, p) {
    // 1. The config: the same merge as the editor's plot (core/schedulers/resolve.ts).
    const { config, configWarnings, warnings } = resolveScheduleConfig(p, unet?.schedulerConfig);
    for (const w of configWarnings) ctx.warn(`model "${unet?.modelId}" scheduler config: ${w}`);
    for (const w of warnings) ctx.warn(w);
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
