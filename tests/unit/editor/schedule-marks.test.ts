import { describe, expect, it } from "vitest";
import { forwardCoefficients, MAX_TICKS, thinTicks } from "../../../app/_lib/schedule-marks";
import { scheduleSeries } from "../../../core/schedulers/betas";
import { DEFAULT_SCHEDULER_CONFIG } from "../../../core/schedulers/config";

describe("Scheduler plot ticks", () => {
  it("a 1000-step schedule draws at most MAX_TICKS ticks, first and last kept, in order", () => {
    const ts = Array.from({ length: 1000 }, (_, i) => 999 - i);
    const kept = thinTicks(ts);
    expect(kept.length).toBeLessThanOrEqual(MAX_TICKS + 1);
    expect(kept[0]).toBe(999);
    expect(kept[kept.length - 1]).toBe(0);
    expect(kept).toEqual([...kept].sort((a, b) => b - a));
  });
  it("25 steps keep every tick", () => {
    const ts = Array.from({ length: 25 }, (_, i) => 960 - i * 40);
    expect(thinTicks(ts)).toEqual(ts);
  });
});

describe("Add Noise coefficients", () => {
  // SD's scaled_linear schedule (β from 0.00085 to 0.012 over T = 1000), as diffusers computes it:
  // β_t = (linspace(√0.00085, √0.012, 1000)_t)², ᾱ_t = Π_{s≤t} (1 − β_s).
  const config = {
    ...DEFAULT_SCHEDULER_CONFIG,
    betaSchedule: "scaled_linear" as const,
    numTrainTimesteps: 1000,
    betaStart: 0.00085,
    betaEnd: 0.012,
  };
  const { alphaBar } = scheduleSeries(config);
  const direct = (t: number) => {
    let prod = 1;
    const a = Math.sqrt(0.00085);
    const b = Math.sqrt(0.012);
    for (let s = 0; s <= t; s++) prod *= 1 - (a + ((b - a) * s) / 999) ** 2;
    return prod;
  };

  it.each([0, 250, 500, 999])("t = %i: ᾱ_t from the formula, √ᾱ_t² + √(1−ᾱ_t)² = 1", (t) => {
    const c = forwardCoefficients(alphaBar, t)!;
    expect(c.alphaBar).toBeCloseTo(direct(t), 10);
    expect(c.signal ** 2 + c.noise ** 2).toBeCloseTo(1, 12);
    expect(c.signal).toBeCloseTo(Math.sqrt(direct(t)), 10);
  });
  it("t outside 0 … T−1 has no coefficients", () => {
    expect(forwardCoefficients(alphaBar, 1000)).toBeNull();
    expect(forwardCoefficients(alphaBar, -1)).toBeNull();
  });
});
