/**
 * Teaching-view arithmetic for the Scheduler plot and the Add Noise node, kept free of React so it can
 * be tested against the formulas: which sampled timesteps to draw as ticks (a 1000-step DDPM schedule
 * drew 1000 ticks, merged into one bar), the forward-process coefficients at t, and the plot's data.
 */
import { defaultParams } from "@/core/node/define";
import { scheduleSeries } from "@/core/schedulers/betas";
import type { SchedulerConfig } from "@/core/schedulers/config";
import { createScheduler } from "@/core/schedulers/index";
import { resolveScheduleConfig, type ScheduleParams } from "@/core/schedulers/resolve";
import { scheduler } from "@/nodes/scheduler/definition";

/** At most this many sampled-timestep ticks are drawn; beyond that every k-th, ends always kept. */
export const MAX_TICKS = 40;

export function thinTicks(timesteps: readonly number[], max = MAX_TICKS): number[] {
  if (timesteps.length <= max) return [...timesteps];
  const stride = Math.ceil(timesteps.length / max);
  const kept = timesteps.filter((_, i) => i % stride === 0);
  const last = timesteps[timesteps.length - 1];
  if (kept[kept.length - 1] !== last) kept.push(last);
  return kept;
}

/** x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε: the coefficients Add Noise uses at training timestep t. */
export function forwardCoefficients(
  alphaBar: ArrayLike<number>,
  t: number,
): { t: number; alphaBar: number; signal: number; noise: number } | null {
  if (!Number.isInteger(t) || t < 0 || t >= alphaBar.length) return null;
  const a = alphaBar[t];
  return { t, alphaBar: a, signal: Math.sqrt(a), noise: Math.sqrt(1 - a) };
}

/** A Scheduler node's parameters as the document holds them, with the declaration's defaults filled in. */
export function scheduleParamsOf(params: Record<string, unknown>): ScheduleParams & { steps: number } {
  // The document was validated against the declaration; a value being edited may be off, which
  // resolveScheduleConfig / createScheduler then reject with a message the plot shows.
  return { ...defaultParams(scheduler), ...params } as unknown as ScheduleParams & { steps: number };
}

type ScheduleSeries = ReturnType<typeof scheduleSeries>;

export type SchedulePlotData =
  | { ok: true; config: SchedulerConfig; series: ScheduleSeries; timesteps: number[]; warnings: string[] }
  | { ok: false; error: string };

/**
 * What the Scheduler node's plot shows: the config, series and sampled timesteps a run of the node
 * with these parameters and this model config would use (the same resolveScheduleConfig).
 */
export function schedulePlotData(params: Record<string, unknown>, modelConfig?: unknown): SchedulePlotData {
  try {
    const p = scheduleParamsOf(params);
    const { config, warnings } = resolveScheduleConfig(p, modelConfig);
    const series = scheduleSeries(config);
    let timesteps: number[] = [];
    try {
      const s = createScheduler(p.algorithm, config);
      s.setTimesteps(p.steps);
      timesteps = [...s.timesteps];
    } catch {
      // steps out of range for this T: plot the schedule without ticks
    }
    return { ok: true, config, series, timesteps, warnings };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
