/**
 * The Scheduler node's β/ᾱ/σ series: one frozen plain copy per β recipe, shared by every Schedule value
 * of that recipe (they were rebuilt from the tables on every run), equal to the tables' values.
 */
import { describe, expect, it } from "vitest";
import type { ScheduleValue } from "../../../core/node/values";
import { scheduleSeries } from "../../../core/schedulers/betas";
import { scheduler } from "../../../nodes/scheduler/definition";
import { schedulerImpl } from "../../../nodes/scheduler/execute";

const params = Object.fromEntries(
  Object.entries(scheduler.widgets).map(([k, w]) => [k, (w as { default: unknown }).default]),
) as Record<string, unknown>;

async function schedule(over: Record<string, unknown>): Promise<ScheduleValue> {
  const ctx = { warn: () => {} } as unknown as Parameters<typeof schedulerImpl.execute>[0];
  const r = await schedulerImpl.execute(ctx, {} as never, { ...params, ...over } as never);
  return r.outputs.schedule as ScheduleValue;
}

describe("Scheduler node series", () => {
  it("two runs of one recipe share one frozen series with the tables' values", async () => {
    const a = await schedule({ steps: 20 });
    const b = await schedule({ steps: 30, algorithm: "euler" });
    expect(b.series).toBe(a.series);
    expect(Object.isFrozen(a.series) && Object.isFrozen(a.series.sigma)).toBe(true);
    expect(() => (a.series.sigma as number[]).push(1)).toThrow();
    const tables = scheduleSeries(a.config);
    expect(a.series.beta).toEqual(Array.from(tables.beta));
    expect(a.series.alphaBar).toEqual(Array.from(tables.alphaBar));
    expect(a.series.sigma).toEqual(Array.from(tables.sigma));
  });

  it("another β recipe gets its own series", async () => {
    const a = await schedule({});
    const c = await schedule({ betaSchedule: "linear", betaEnd: 0.02 });
    expect(c.series).not.toBe(a.series);
    expect(c.series.beta.at(-1)).not.toBe(a.series.beta.at(-1));
  });
});
