/**
 * An imported ComfyUI KSampler reproduces ComfyUI's latent. tests/fixtures/comfy-reference.json is
 * written by scripts/reference/comfy_samplers.py, a numpy port of ComfyUI's ModelSamplingDiscrete,
 * schedulers and k-diffusion samplers (from ComfyUI's published source). Each case is imported as a
 * ComfyUI API prompt, so the mapping (sampler/scheduler names, denoise → step range) is under test too;
 * then Petalflow's Scheduler (σ ladder and U-Net timesteps) and its real sampler loop run with the same
 * stand-in U-Net, starting noise and per-step noise. Tolerance: 1e-4 on the final latent (float32 loop
 * against a float64 reference); σ within 1e-5 relative, timesteps exact.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { emptyDocument } from "../../core/graph/document";
import { Tensor } from "../../core/node/values";
import type { SigmaSchedule } from "../../core/schedulers/comfy-sigmas";
import { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from "../../core/schedulers/config";
import { createScheduler } from "../../core/schedulers/index";
import { scheduler } from "../../nodes/scheduler/definition";
import { schedulerImpl } from "../../nodes/scheduler/execute";
import { sample } from "../../server/diffusion/sampler";
import { importComfyJson } from "../../server/interop/comfy";

interface Case {
  sampler: string;
  scheduler: string;
  steps: number;
  denoise: number;
  sigmas: number[];
  calls: [number, number][];
  latent: number[];
  noise: number[];
  stepNoise: number[][];
  final: number[];
}

const { cases } = JSON.parse(readFileSync("tests/fixtures/comfy-reference.json", "utf8")) as {
  cases: Case[];
};
const DIMS = [1, 4, 4, 4];

/** The stand-in U-Net of comfy_samplers.py: ε(x_in, t). */
function standIn(x: Tensor, t: number): Promise<Tensor> {
  const out = x.data.map(
    (v, k) => Math.tanh(v) * (0.6 + (0.4 * t) / 1000) + 0.1 * Math.sin(k * 0.37 + t / 100),
  );
  return Promise.resolve(new Tensor(x.dims, out));
}

/** A ComfyUI API prompt around one KSampler, imported as a user would. */
function imported(c: Case) {
  const prompt = {
    "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "petalflow-shapes.safetensors" } },
    "5": { class_type: "EmptyLatentImage", inputs: { width: 32, height: 32, batch_size: 1 } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: "x", clip: ["4", 1] } },
    "3": {
      class_type: "KSampler",
      inputs: {
        seed: 1,
        steps: c.steps,
        cfg: 1,
        sampler_name: c.sampler,
        scheduler: c.scheduler,
        denoise: c.denoise,
        model: ["4", 0],
        positive: ["6", 0],
        negative: ["6", 0],
        latent_image: ["5", 0],
      },
    },
  };
  const got = importComfyJson(prompt, ["petalflow-shapes"]);
  expect(got?.problems).toEqual([]);
  const node = (id: string) => got!.document.nodes.find((n) => n.id === id)!.params;
  return { schedule: node("c3.schedule"), step: node("c3") };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe("ComfyUI KSampler vs the numpy reference of ComfyUI's maths", () => {
  for (const c of cases) {
    it(`${c.sampler}/${c.scheduler}, ${c.steps} steps, denoise ${c.denoise}`, async () => {
      const { schedule, step } = imported(c);
      const config: SchedulerConfig = {
        ...DEFAULT_SCHEDULER_CONFIG,
        sigmaSchedule: schedule.sigmaSchedule as SigmaSchedule,
      };
      const algorithm = schedule.algorithm as string;

      // 1. The σ ladder and the U-Net's timesteps, call by call.
      const sched = createScheduler(algorithm, config);
      sched.setTimesteps(schedule.steps as number);
      const [i0, i1] = sched.callRange(step.startStep as number, sched.stepCount);
      const sig = sched.sigmas.slice(i0, i1);
      const ts = sched.timesteps.slice(i0, i1);
      expect(sig.length).toBe(c.calls.length);
      for (let i = 0; i < sig.length; i++) {
        expect(Math.abs(sig[i] - c.calls[i][0]) / c.calls[i][0], `σ of call ${i}`).toBeLessThan(1e-5);
        expect(ts[i], `timestep of call ${i}`).toBe(c.calls[i][1]);
      }

      // 2. The real sampler loop from the same noise.
      let draw = 0;
      const out = await sample({
        denoise: standIn,
        algorithm,
        config,
        steps: schedule.steps as number,
        latent: new Tensor(DIMS, Float32Array.from(c.latent)),
        latentSigma: 0,
        noise: new Tensor(DIMS, Float32Array.from(c.noise)),
        positive: [{ embeds: new Tensor([1, 1, 1], new Float32Array(1)), weight: 1 }],
        negative: new Tensor([1, 1, 1], new Float32Array(1)),
        cfg: step.cfg as number,
        startStep: step.startStep as number,
        endStep: step.endStep as number,
        addNoise: step.addNoise as boolean,
        leftoverNoise: step.leftoverNoise as boolean,
        stepNoise: { randn: (n) => Float32Array.from(c.stepNoise[draw++] ?? new Array(n).fill(0)) },
      });
      expect(out.sigma).toBe(0);
      const diff = maxAbs(out.samples.data, c.final);
      if (process.env.COMFY_REF_PRINT)
        console.log(
          `${c.sampler}/${c.scheduler}/${c.steps}/${c.denoise}: max abs Δ ${diff.toExponential(2)}, max abs ${maxAbs(c.final, new Array(c.final.length).fill(0)).toFixed(3)}`,
        );
      expect(diff).toBeLessThan(1e-4);
    });
  }

  it("the four combinations issue #17 names are among the cases", () => {
    const names = cases.map((c) => `${c.sampler}/${c.scheduler}`);
    for (const n of ["euler/normal", "euler_ancestral/karras", "dpmpp_2m/karras", "ddim/ddim_uniform"])
      expect(names).toContain(n);
  });
});

interface Split {
  sampler: string;
  scheduler: string;
  steps: number;
  split: number;
  noise: number[];
  stepNoise: number[][];
  final: number[];
}

describe("a KSamplerAdvanced split (leftover noise, then no added noise) vs the reference", () => {
  const { splits } = JSON.parse(readFileSync("tests/fixtures/comfy-reference.json", "utf8")) as {
    splits: Split[];
  };
  for (const c of splits) {
    it(`${c.sampler}/${c.scheduler}: steps [0, ${c.split}) then [${c.split}, ${c.steps})`, async () => {
      const advanced = (
        start: number,
        end: number,
        addNoise: boolean,
        leftover: boolean,
        latent: unknown[],
      ) => ({
        class_type: "KSamplerAdvanced",
        inputs: {
          add_noise: addNoise ? "enable" : "disable",
          noise_seed: 1,
          steps: c.steps,
          cfg: 1,
          sampler_name: c.sampler,
          scheduler: c.scheduler,
          start_at_step: start,
          end_at_step: end,
          return_with_leftover_noise: leftover ? "enable" : "disable",
          model: ["4", 0],
          positive: ["6", 0],
          negative: ["6", 0],
          latent_image: latent,
        },
      });
      const got = importComfyJson(
        {
          "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "petalflow-shapes" } },
          "5": { class_type: "EmptyLatentImage", inputs: { width: 32, height: 32, batch_size: 1 } },
          "6": { class_type: "CLIPTextEncode", inputs: { text: "x", clip: ["4", 1] } },
          "10": advanced(0, c.split, true, true, ["5", 0]),
          "11": advanced(c.split, 10000, false, false, ["10", 0]),
        },
        ["petalflow-shapes"],
      )!;
      const params = (id: string) => got.document.nodes.find((n) => n.id === id)!.params;
      let draw = 0;
      const stepNoise = {
        randn: (n: number) => Float32Array.from(c.stepNoise[draw++] ?? new Array(n).fill(0)),
      };
      let latent = new Tensor(DIMS, new Float32Array(64));
      let sigma = 0;
      for (const id of ["c10", "c11"]) {
        const s = params(`${id}.schedule`);
        const u = params(id);
        const out = await sample({
          denoise: standIn,
          algorithm: s.algorithm as string,
          config: { ...DEFAULT_SCHEDULER_CONFIG, sigmaSchedule: s.sigmaSchedule as SigmaSchedule },
          steps: s.steps as number,
          latent,
          latentSigma: sigma,
          noise: new Tensor(DIMS, Float32Array.from(c.noise)),
          positive: [{ embeds: new Tensor([1, 1, 1], new Float32Array(1)), weight: 1 }],
          negative: new Tensor([1, 1, 1], new Float32Array(1)),
          cfg: 1,
          startStep: u.startStep as number,
          endStep: u.endStep as number,
          addNoise: u.addNoise as boolean,
          leftoverNoise: u.leftoverNoise as boolean,
          stepNoise,
        });
        latent = out.samples;
        sigma = out.sigma;
      }
      expect(maxAbs(latent.data, c.final)).toBeLessThan(1e-4);
    });
  }
});

describe("the Scheduler node's σ schedule option", () => {
  const run = (params: Record<string, unknown>) => {
    const warnings: string[] = [];
    const ctx = {
      runId: "r",
      nodeId: "schedule",
      nodeType: "scheduler",
      signal: new AbortController().signal,
      document: emptyDocument(),
      progress: () => {},
      warn: (m: string) => warnings.push(m),
      services: {} as never,
    };
    const defaults = Object.fromEntries(Object.entries(scheduler.widgets).map(([k, w]) => [k, w.default]));
    return { result: schedulerImpl.execute(ctx, {}, { ...defaults, ...params }), warnings };
  };

  it('defaults to "model": the ladder is diffusers\', unchanged', async () => {
    expect(scheduler.widgets.sigmaSchedule.default).toBe("model");
    const { result } = run({ algorithm: "euler", steps: 10 });
    const value = (await result).outputs.schedule as { sigmas: number[]; config: SchedulerConfig };
    expect(value.config.sigmaSchedule).toBeUndefined();
    const plain = createScheduler("euler", DEFAULT_SCHEDULER_CONFIG);
    plain.setTimesteps(10);
    expect(value.sigmas).toEqual(plain.sigmas);
  });

  it("gives ComfyUI's ladder and integer timesteps for σ-space samplers, and warns that Karras is then ignored", async () => {
    const { result, warnings } = run({
      algorithm: "euler",
      steps: 10,
      sigmaSchedule: "karras",
      karras: true,
    });
    const value = (await result).outputs.schedule as { sigmas: number[]; timesteps: number[] };
    const ref = cases.find((c) => c.sampler === "euler_ancestral" && c.scheduler === "karras")!;
    for (let i = 0; i < 11; i++)
      expect(Math.abs(value.sigmas[i] - ref.sigmas[i])).toBeLessThanOrEqual(1e-5 * ref.sigmas[i]);
    expect(value.timesteps).toEqual(ref.calls.map((c) => c[1]));
    expect(warnings).toEqual(['the Karras flag is ignored: σ schedule "karras" sets the σ spacing']);
  });

  it("refuses a ComfyUI σ schedule on a discrete-timestep sampler, saying what to use", async () => {
    await expect(run({ algorithm: "ddim", sigmaSchedule: "ddim_uniform" }).result).rejects.toThrow(
      /σ schedule "ddim_uniform" needs a σ-space sampler .*ComfyUI's ddim is euler on these σ/,
    );
  });
});
