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

type Tables = ReturnType<typeof scheduleSeries>;
type PlainSeries = ScheduleValue["series"];
/** One plain copy per memoised table (scheduleSeries shares its tables per β recipe). */
const plainCopies = new WeakMap<Tables, PlainSeries>();

/**
 * Plain arrays: the series travel in events and JSON. Made once per β recipe (3 × T values, rebuilt
 * on every run before) and frozen, since every Schedule value of that recipe shares them.
 */
function plainSeries(s: Tables): PlainSeries {
  let plain = plainCopies.get(s);
  if (!plain) {
    plain = Object.freeze({
      beta: Object.freeze(Array.from(s.beta)),
      alphaBar: Object.freeze(Array.from(s.alphaBar)),
      sigma: Object.freeze(Array.from(s.sigma)),
    }) as PlainSeries;
    plainCopies.set(s, plain);
  }
  return plain;
}
