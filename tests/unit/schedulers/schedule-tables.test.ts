import { describe, expect, it } from "vitest";
import { alphasCumprod, betas, scheduleSeries, scheduleTables } from "../../../core/schedulers/betas";
import { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from "../../../core/schedulers/config";
import { createScheduler } from "../../../core/schedulers/index";

const SD15: SchedulerConfig = { ...DEFAULT_SCHEDULER_CONFIG };

/** diffusers' recipe for scaled_linear, written out here independently: β = linspace(√β0, √β1, T)². */
function referenceScaledLinear(c: SchedulerConfig): { beta: number[]; alphaBar: number[]; sigma: number[] } {
  const T = c.numTrainTimesteps;
  const a = Math.sqrt(c.betaStart);
  const b = Math.sqrt(c.betaEnd);
  const beta = Array.from({ length: T }, (_, i) => (i === T - 1 ? b : a + (i * (b - a)) / (T - 1)) ** 2);
  let prod = 1;
  const alphaBar = beta.map((x) => (prod *= 1 - x));
  return { beta, alphaBar, sigma: alphaBar.map((x) => Math.sqrt((1 - x) / x)) };
}

describe("memoised schedule tables", () => {
  it("two equal configs (different objects) share one table; fields β does not depend on do not split it", () => {
    const first = scheduleTables({ ...SD15 });
    const second = scheduleTables({ ...SD15, predictionType: "v_prediction", eta: 1, stepsOffset: 0 });
    expect(second).toBe(first);
    expect(scheduleSeries({ ...SD15 })).toBe(first);
  });

  it("a config with another β recipe gets its own table", () => {
    const sd = scheduleTables(SD15);
    for (const other of [
      { ...SD15, betaEnd: 0.0121 },
      { ...SD15, betaStart: 0.0009 },
      { ...SD15, betaSchedule: "linear" as const },
      { ...SD15, numTrainTimesteps: 999 },
    ]) {
      const t = scheduleTables(other);
      expect(t).not.toBe(sd);
      expect(t.beta).not.toEqual(sd.beta);
    }
  });

  it("values are the formula's, on a first build and on a hit (relative 1e-12)", () => {
    const c = { ...SD15, betaEnd: 0.0137 }; // a recipe no other test builds
    const ref = referenceScaledLinear(c);
    for (const t of [scheduleTables(c), scheduleTables({ ...c })]) {
      for (const [got, want] of [
        [t.beta, ref.beta],
        [t.alphaBar, ref.alphaBar],
        [t.sigma, ref.sigma],
      ] as const) {
        expect(got.length).toBe(want.length);
        for (let i = 0; i < want.length; i += 37)
          expect(Math.abs(got[i] - want[i]) / want[i]).toBeLessThan(1e-12);
      }
    }
  });

  it("betas() and alphasCumprod() hand out copies: writing one does not change the shared table", () => {
    const b = betas(SD15);
    const a = alphasCumprod(SD15);
    b.fill(0);
    a.fill(0);
    expect(scheduleTables(SD15).beta[10]).toBeGreaterThan(0);
    expect(scheduleTables(SD15).alphaBar[10]).toBeGreaterThan(0);
    expect(betas(SD15)[10]).toBeGreaterThan(0);
  });

  it("schedulers step identically whether the table was fresh or shared", () => {
    const c = { ...SD15, betaEnd: 0.0139 };
    const s1 = createScheduler("ddim", c);
    const s2 = createScheduler("ddim", { ...c });
    s1.setTimesteps(10);
    s2.setTimesteps(10);
    expect(s2.sigmas).toEqual(s1.sigmas);
    expect(s2.timesteps).toEqual(s1.timesteps);
  });
});
