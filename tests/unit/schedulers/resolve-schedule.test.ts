/**
 * The editor's schedule plot and the Scheduler node's run resolve the schedule through the same
 * resolveScheduleConfig: for every combination here the plot's config and ticks equal what the node
 * outputs. Before, the plot repeated the merge without the σ schedule (and with DEFAULT instead of
 * diffusers' defaults for a model without a config), so it showed other timesteps than the run used.
 */
import { describe, expect, it } from "vitest";
import { schedulePlotData } from "../../../app/_lib/schedule-marks";
import { defaultParams } from "../../../core/node/define";
import type { ExecContext } from "../../../core/node/implement";
import type { ScheduleValue } from "../../../core/node/values";
import { createScheduler } from "../../../core/schedulers/index";
import { resolveScheduleConfig, type ScheduleParams } from "../../../core/schedulers/resolve";
import { scheduler } from "../../../nodes/scheduler/definition";
import { schedulerImpl } from "../../../nodes/scheduler/execute";

const SD_CONFIG = {
  _class_name: "EulerDiscreteScheduler",
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  prediction_type: "v_prediction",
  timestep_spacing: "trailing",
  steps_offset: 1,
};

async function runNode(params: Record<string, unknown>, modelConfig?: unknown) {
  const warnings: string[] = [];
  const ctx = { warn: (m: string) => warnings.push(m) } as unknown as ExecContext<never>;
  const unet = modelConfig === undefined ? undefined : { modelId: "m", schedulerConfig: modelConfig };
  const p = { ...defaultParams(scheduler), ...params };
  const { outputs } = await schedulerImpl.execute(ctx, { unet }, p);
  return { value: outputs.schedule as ScheduleValue, warnings };
}

const CASES: [string, Record<string, unknown>, unknown][] = [
  ["defaults, no model", {}, undefined],
  ["euler on ComfyUI's karras σ", { algorithm: "euler", sigmaSchedule: "karras", steps: 10 }, undefined],
  [
    "dpm++ 2m on sgm_uniform with the model",
    { algorithm: "dpmpp-2m", sigmaSchedule: "sgm_uniform", steps: 12 },
    SD_CONFIG,
  ],
  [
    "custom linear β, T = 2000",
    {
      algorithm: "ddim",
      betaSchedule: "linear",
      trainSteps: 2000,
      betaStart: 0.0001,
      betaEnd: 0.02,
      steps: 20,
    },
    undefined,
  ],
  ["a model without a scheduler config", { algorithm: "euler", steps: 8 }, null],
  ["the model's v-prediction, trailing", { algorithm: "heun", karras: true, steps: 6 }, SD_CONFIG],
];

describe("resolveScheduleConfig: the plot shows the schedule the run uses", () => {
  for (const [name, params, modelConfig] of CASES) {
    it(name, async () => {
      const { value } = await runNode(params, modelConfig);
      const plot = schedulePlotData({ ...defaultParams(scheduler), ...params }, modelConfig);
      if (!plot.ok) throw new Error(plot.error);
      expect(plot.config).toEqual(value.config);
      expect(plot.timesteps).toEqual(value.timesteps);
      expect(Array.from(plot.series.alphaBar)).toEqual(value.series.alphaBar);
    });
  }

  it("the σ schedule moves the timesteps: the old plot's merge (without it) would have shown others", async () => {
    const params = { ...defaultParams(scheduler), algorithm: "euler", sigmaSchedule: "karras", steps: 10 };
    const { value } = await runNode(params);
    const withoutSigma = resolveScheduleConfig({
      ...params,
      sigmaSchedule: "model",
    } as unknown as ScheduleParams).config;
    const s = createScheduler("euler", withoutSigma);
    s.setTimesteps(10);
    expect([...s.timesteps]).not.toEqual(value.timesteps);
    const plot = schedulePlotData(params);
    expect(plot.ok && plot.timesteps).toEqual(value.timesteps);
  });

  it("a combination the run refuses is refused by the plot with the same message", async () => {
    const params = { algorithm: "ddim", sigmaSchedule: "karras" };
    await expect(runNode(params)).rejects.toThrow(/needs a σ-space sampler/);
    const plot = schedulePlotData({ ...defaultParams(scheduler), ...params });
    expect(plot.ok).toBe(false);
    expect(!plot.ok && plot.error).toMatch(/needs a σ-space sampler/);
    const bad = { betaSchedule: "linear", betaStart: 0.02, betaEnd: 0.01 };
    await expect(runNode(bad)).rejects.toThrow(/β start \(0.02\) must be below β end/);
    expect(schedulePlotData({ ...defaultParams(scheduler), ...bad })).toMatchObject({ ok: false });
  });

  it("the warnings the run gives are the plot's (Karras flag ignored under a ComfyUI σ schedule)", async () => {
    const params = { algorithm: "euler", karras: true, sigmaSchedule: "exponential" };
    const { warnings } = await runNode(params);
    const plot = schedulePlotData({ ...defaultParams(scheduler), ...params });
    expect(warnings).toEqual(plot.ok ? plot.warnings : []);
    expect(warnings[0]).toMatch(/Karras flag is ignored/);
  });
});
