import { describe, expect, it } from "vitest";
import {
  alphasCumprod,
  betas,
  interpAtTimestep,
  karrasSigmas,
  roundHalfEven,
  scheduleSeries,
  sigmasFromAlphasCumprod,
  sigmaToT,
  timestepsFor,
} from "../../core/schedulers/betas";
import {
  type BetaSchedule,
  DEFAULT_SCHEDULER_CONFIG,
  type SchedulerConfig,
  schedulerConfigFromDiffusers,
} from "../../core/schedulers/config";

const SD15: SchedulerConfig = { ...DEFAULT_SCHEDULER_CONFIG };
const SCHEDULES: BetaSchedule[] = ["linear", "scaled_linear", "squaredcos_cap_v2"];
const withT = (betaSchedule: BetaSchedule, T: number): SchedulerConfig => ({
  ...SD15,
  betaSchedule,
  numTrainTimesteps: T,
});

describe("β, ᾱ and σ", () => {
  it.each(SCHEDULES.flatMap((s) => [1000, 2000].map((T) => [s, T] as const)))(
    "%s with T = %i: ᾱ_t is the product of the α's and σ_t = √((1−ᾱ_t)/ᾱ_t)",
    (schedule, T) => {
      const config = withT(schedule, T);
      const { beta, alphaBar, sigma } = scheduleSeries(config);
      expect(beta.length).toBe(T);
      expect(alphaBar.length).toBe(T);
      let prod = 1;
      for (let t = 0; t < T; t++) {
        prod *= 1 - beta[t];
        expect(alphaBar[t]).toBeCloseTo(prod, 14);
        expect(sigma[t]).toBeCloseTo(Math.sqrt((1 - alphaBar[t]) / alphaBar[t]), 10);
      }
    },
  );

  it.each(SCHEDULES.flatMap((s) => [1000, 2000].map((T) => [s, T] as const)))(
    "%s with T = %i: β grows with t (later steps add more noise)",
    (schedule, T) => {
      const b = betas(withT(schedule, T));
      for (let t = 1; t < T; t++) {
        // The cosine schedule is flat once capped at 0.999.
        if (schedule === "squaredcos_cap_v2") expect(b[t]).toBeGreaterThanOrEqual(b[t - 1]);
        else expect(b[t]).toBeGreaterThan(b[t - 1]);
      }
    },
  );

  it("scaled_linear is linear in √β and hits both endpoints", () => {
    const b = betas(SD15);
    expect(b[0]).toBeCloseTo(0.00085, 15);
    expect(b[999]).toBeCloseTo(0.012, 15);
    const r = Array.from(b, Math.sqrt);
    expect(r[500] - r[499]).toBeCloseTo(r[1] - r[0], 12);
  });

  it("the cosine schedule is capped at 0.999", () => {
    for (const T of [1000, 2000]) {
      const b = betas(withT("squaredcos_cap_v2", T));
      expect(Math.max(...b)).toBe(0.999);
      expect(b[T - 1]).toBe(0.999);
      expect(b[0]).toBeGreaterThan(0);
    }
  });

  it("SD 1.5 has the known σ range 0.0292 … 14.6", () => {
    const s = sigmasFromAlphasCumprod(alphasCumprod(SD15));
    expect(s[0]).toBeCloseTo(0.02916, 4);
    expect(s[999]).toBeCloseTo(14.6146, 3);
  });

  it("rejects T < 2", () => {
    expect(() => betas({ ...SD15, numTrainTimesteps: 1 })).toThrow(/numTrainTimesteps/);
  });
});

describe("timestepsFor (diffusers spacings)", () => {
  const range = (from: number, step: number, n: number) =>
    Array.from({ length: n }, (_, i) => from - i * step);

  it("leading, SD 1.5, 50 steps: 981, 961, …, 1 (steps_offset 1)", () => {
    expect(timestepsFor(SD15, 50)).toEqual(range(981, 20, 50));
  });

  it("trailing, 50 steps: 999, 979, …, 19", () => {
    expect(timestepsFor({ ...SD15, timestepSpacing: "trailing" }, 50)).toEqual(range(999, 20, 50));
  });

  it("trailing with a non-divisor step count follows numpy's arange and rounding", () => {
    const ts = timestepsFor({ ...SD15, timestepSpacing: "trailing" }, 30);
    expect(ts.slice(0, 6)).toEqual([999, 966, 932, 899, 866, 832]);
    expect(ts.at(-1)).toBe(32);
    expect(timestepsFor({ ...SD15, timestepSpacing: "trailing" }, 3)).toEqual([999, 666, 332]);
  });

  it("linspace, 50 steps, rounded half to even", () => {
    const ts = timestepsFor({ ...SD15, timestepSpacing: "linspace" }, 50);
    expect(ts.slice(0, 8)).toEqual([999, 979, 958, 938, 917, 897, 877, 856]);
    expect(ts.slice(-4)).toEqual([61, 41, 20, 0]);
    expect(timestepsFor({ ...SD15, timestepSpacing: "linspace" }, 3)).toEqual([999, 500, 0]);
  });

  it("Euler-type linspace keeps fractional timesteps", () => {
    expect(timestepsFor({ ...SD15, timestepSpacing: "linspace" }, 3, "continuous")).toEqual([999, 499.5, 0]);
  });

  it("DPM-Solver's multistep spacing uses n + 1 points and drops t = 0", () => {
    expect(timestepsFor({ ...SD15, timestepSpacing: "linspace" }, 10, "multistep")).toEqual([
      999, 899, 799, 699, 599, 500, 400, 300, 200, 100,
    ]);
    expect(timestepsFor(SD15, 10, "multistep")).toEqual([901, 811, 721, 631, 541, 451, 361, 271, 181, 91]);
  });

  it("T = 2000 spaces over the longer schedule", () => {
    const config = { ...SD15, numTrainTimesteps: 2000 };
    expect(timestepsFor(config, 50)).toEqual(range(1961, 40, 50));
    expect(timestepsFor({ ...config, timestepSpacing: "trailing" }, 50)).toEqual(range(1999, 40, 50));
  });

  it("rejects step counts outside 1 … T with the valid range", () => {
    expect(() => timestepsFor(SD15, 0)).toThrow(/1 … 1000/);
    expect(() => timestepsFor(SD15, 1001)).toThrow(/1 … 1000/);
    expect(() => timestepsFor(SD15, 2.5)).toThrow(/integer/);
  });
});

describe("σ helpers", () => {
  it("karrasSigmas runs from σ_max down to σ_min", () => {
    const s = karrasSigmas(0.0292, 14.6146, 10);
    expect(s).toHaveLength(10);
    expect(s[0]).toBeCloseTo(14.6146, 10);
    expect(s[9]).toBeCloseTo(0.0292, 10);
    for (let i = 1; i < 10; i++) expect(s[i]).toBeLessThan(s[i - 1]);
    // ρ = 1 is a straight line in σ.
    expect(karrasSigmas(1, 3, 3, 1)).toEqual([3, 2, 1]);
  });

  it("sigmaToT inverts σ(t) at integer timesteps", () => {
    const sigma = sigmasFromAlphasCumprod(alphasCumprod(SD15));
    const logSigmas = Array.from(sigma, Math.log);
    for (const t of [0, 1, 250, 500, 998, 999]) expect(sigmaToT(sigma[t], logSigmas)).toBeCloseTo(t, 9);
    expect(interpAtTimestep(499.5, sigma)).toBeCloseTo((sigma[499] + sigma[500]) / 2, 12);
  });

  it("roundHalfEven matches numpy", () => {
    expect([0.5, 1.5, 2.5, 499.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 500, 2, 3]);
  });
});

describe("schedulerConfigFromDiffusers", () => {
  it("reads SD 1.5's PNDM config", () => {
    const json = {
      _class_name: "PNDMScheduler",
      _diffusers_version: "0.6.0",
      beta_end: 0.012,
      beta_schedule: "scaled_linear",
      beta_start: 0.00085,
      num_train_timesteps: 1000,
      set_alpha_to_one: false,
      skip_prk_steps: true,
      steps_offset: 1,
      trained_betas: null,
      clip_sample: false,
    };
    const warnings: string[] = [];
    expect(schedulerConfigFromDiffusers(json, warnings)).toEqual(SD15);
    expect(warnings).toEqual([]);
  });

  it("gives missing fields diffusers' class defaults", () => {
    const euler = schedulerConfigFromDiffusers({ _class_name: "EulerDiscreteScheduler" });
    expect(euler.timestepSpacing).toBe("linspace");
    expect(euler.betaSchedule).toBe("linear");
    const ddim = schedulerConfigFromDiffusers({ _class_name: "DDIMScheduler" });
    expect(ddim.setAlphaToOne).toBe(true);
    expect(ddim.clipSample).toBe(true);
  });

  it("never throws on junk: defaults plus warnings", () => {
    for (const junk of [null, 42, "x", [1, 2], undefined]) {
      const warnings: string[] = [];
      expect(schedulerConfigFromDiffusers(junk, warnings).numTrainTimesteps).toBe(1000);
      expect(warnings.length).toBe(1);
    }
    const warnings: string[] = [];
    const c = schedulerConfigFromDiffusers(
      {
        num_train_timesteps: "many",
        beta_schedule: "exotic",
        prediction_type: 3,
        thresholding: true,
        beta_start: 0.5,
        beta_end: 0.1,
      },
      warnings,
    );
    expect(c.numTrainTimesteps).toBe(1000);
    expect(c.betaSchedule).toBe("linear");
    expect(c.predictionType).toBe("epsilon");
    expect(c.betaStart).toBeLessThan(c.betaEnd);
    expect(warnings.join("\n")).toMatch(/num_train_timesteps[\s\S]*beta_schedule[\s\S]*prediction_type/);
    expect(warnings.join("\n")).toMatch(/thresholding is not supported/);
  });
});
