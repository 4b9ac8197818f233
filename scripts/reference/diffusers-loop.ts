/**
 * A diffusers-style txt2img loop (StableDiffusionPipeline's denoising loop) written independently of
 * core/schedulers and server/diffusion/sampler: its own ᾱ table, timestep spacing, init_noise_sigma,
 * scale_model_input and step functions for DDIM, Euler, Euler ancestral and DPM-Solver++(2M), following
 * diffusers' scheduler sources, and the raw ONNX U-Net through onnxruntime-node directly.
 *
 * What it shares with the engine, and so does not check: the text embeddings and the starting noise ε
 * (torch-exact randn, tested on its own against torch in tests/unit/noise.test.ts) are inputs; Euler
 * ancestral's per-step noise is drawn from a torch generator seeded seed + 1, Petalflow's documented
 * rule (diffusers would continue the pipeline's generator).
 *
 *   latents = ε · init_noise_sigma
 *   for t in timesteps:
 *     out = unet(scale_model_input([latents, latents], t), t, [uncond; cond])
 *     latents = step(out_uncond + cfg · (out_cond − out_uncond), t, latents)
 */
import * as ort from "onnxruntime-node";

export type ReferenceAlgorithm = "ddim" | "euler" | "euler-ancestral" | "dpmpp-2m";

export interface ReferenceRequest {
  unetPath: string;
  /** The model's diffusers scheduler_config.json (snake_case), used as diffusers' from_config would. */
  schedulerConfig: Record<string, unknown>;
  algorithm: ReferenceAlgorithm;
  steps: number;
  cfg: number;
  /** [1, 77, D] each. */
  cond: Float32Array;
  uncond: Float32Array;
  contextDims: readonly number[];
  /** ε, [1, C, h, w]. */
  noise: Float32Array;
  latentDims: readonly number[];
  /** Euler ancestral's noise per step. */
  stepNoise?: { randn(count: number): Float32Array };
}

interface Sched {
  timesteps: number[];
  initNoiseSigma: number;
  scale(x: Float64Array, i: number): Float64Array;
  step(out: Float64Array, i: number, x: Float64Array): Float64Array;
}

function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
}

function alphasCumprod(c: Record<string, unknown>): number[] {
  const T = Number(c.num_train_timesteps ?? 1000);
  const b0 = Number(c.beta_start ?? 0.0001);
  const b1 = Number(c.beta_end ?? 0.02);
  const kind = String(c.beta_schedule ?? "linear");
  let betas: number[];
  if (kind === "scaled_linear") betas = linspace(Math.sqrt(b0), Math.sqrt(b1), T).map((v) => v * v);
  else if (kind === "linear") betas = linspace(b0, b1, T);
  else throw new Error(`reference loop: beta_schedule ${kind} not implemented`);
  let p = 1;
  return betas.map((b) => {
    p *= 1 - b;
    return p;
  });
}

/** DDIM/Euler "leading"/"linspace"/"trailing" spacing of `n` points, descending (diffusers' set_timesteps). */
function spacing(c: Record<string, unknown>, n: number, integer: boolean): number[] {
  const T = Number(c.num_train_timesteps ?? 1000);
  const kind = String(c.timestep_spacing ?? "leading");
  const offset = Number(c.steps_offset ?? 0);
  if (kind === "leading") {
    const r = Math.floor(T / n);
    return Array.from({ length: n }, (_, i) => (n - 1 - i) * r + offset);
  }
  if (kind === "linspace") {
    const ts = linspace(0, T - 1, n).reverse();
    return integer ? ts.map(Math.round) : ts;
  }
  throw new Error(`reference loop: timestep_spacing ${kind} not implemented`);
}

function interp(t: number, table: number[]): number {
  if (t <= 0) return table[0];
  if (t >= table.length - 1) return table[table.length - 1];
  const j = Math.floor(t);
  return table[j] + (table[j + 1] - table[j]) * (t - j);
}

function ddim(c: Record<string, unknown>, n: number): Sched {
  const ac = alphasCumprod(c);
  const T = ac.length;
  const final = c.set_alpha_to_one === false ? ac[0] : 1;
  const timesteps = spacing(c, n, true);
  return {
    timesteps,
    initNoiseSigma: 1,
    scale: (x) => x,
    step(eps, i, x) {
      const t = timesteps[i];
      const prev = t - Math.floor(T / n);
      const a = ac[t];
      const ap = prev >= 0 ? ac[prev] : final;
      // eta = 0: x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε, x0 = (x − √(1−ᾱ)·ε)/√ᾱ
      return x.map((v, k) => {
        const x0 = (v - Math.sqrt(1 - a) * eps[k]) / Math.sqrt(a);
        return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * eps[k];
      });
    },
  };
}

function euler(
  c: Record<string, unknown>,
  n: number,
  ancestral: boolean,
  rng?: ReferenceRequest["stepNoise"],
): Sched {
  const ac = alphasCumprod(c);
  const train = ac.map((a) => Math.sqrt((1 - a) / a));
  const timesteps = spacing(c, n, false);
  const sigmas = [...timesteps.map((t) => interp(t, train)), 0];
  const max = Math.max(...sigmas);
  const lead = String(c.timestep_spacing ?? "leading") === "leading";
  return {
    timesteps,
    initNoiseSigma: lead ? Math.sqrt(max * max + 1) : max,
    scale: (x, i) => x.map((v) => v / Math.sqrt(sigmas[i] ** 2 + 1)),
    step(eps, i, x) {
      const s = sigmas[i];
      const next = sigmas[i + 1];
      const d = x.map((v, k) => (v - (v - s * eps[k])) / s); // (x − x0)/σ with x0 = x − σ·ε
      if (!ancestral) return x.map((v, k) => v + d[k] * (next - s));
      const up = Math.sqrt((next * next * (s * s - next * next)) / (s * s));
      const down = Math.sqrt(next * next - up * up);
      if (!rng) throw new Error("Euler ancestral needs stepNoise");
      const z = rng.randn(x.length);
      return x.map((v, k) => v + d[k] * (down - s) + z[k] * up);
    },
  };
}

function dpmpp2m(c: Record<string, unknown>, n: number): Sched {
  const ac = alphasCumprod(c);
  const T = ac.length;
  const train = ac.map((a) => Math.sqrt((1 - a) / a));
  const kind = String(c.timestep_spacing ?? "leading");
  let timesteps: number[];
  if (kind === "leading") {
    const r = Math.floor(T / (n + 1));
    timesteps = Array.from({ length: n }, (_, i) => (n - i) * r + Number(c.steps_offset ?? 0));
  } else if (kind === "linspace")
    timesteps = linspace(0, T - 1, n + 1)
      .map(Math.round)
      .reverse()
      .slice(0, n);
  else throw new Error(`reference loop: timestep_spacing ${kind} not implemented`);
  const sigmas = [...timesteps.map((t) => interp(t, train)), 0];
  const alphaSigma = (s: number) => [1 / Math.sqrt(s * s + 1), s / Math.sqrt(s * s + 1)];
  const lambda = (s: number) => {
    const [a, sg] = alphaSigma(s);
    return Math.log(a) - Math.log(sg);
  };
  const outputs: Float64Array[] = [];
  return {
    timesteps,
    initNoiseSigma: 1,
    scale: (x) => x,
    step(eps, i, x) {
      // dpmsolver++ data prediction, midpoint 2nd order; first order at the start and on the last step
      const [aS, sS] = alphaSigma(sigmas[i]);
      const m0 = x.map((v, k) => (v - sS * eps[k]) / aS);
      outputs.push(m0);
      if (sigmas[i + 1] === 0) return m0;
      const [aT, sT] = alphaSigma(sigmas[i + 1]);
      const h = lambda(sigmas[i + 1]) - lambda(sigmas[i]);
      const em1 = Math.expm1(-h);
      if (i === 0) return x.map((v, k) => (sT / sS) * v - aT * em1 * m0[k]);
      const m1 = outputs[outputs.length - 2];
      const r0 = (lambda(sigmas[i]) - lambda(sigmas[i - 1])) / h;
      return x.map((v, k) => {
        const d1 = (m0[k] - m1[k]) / r0;
        return (sT / sS) * v - aT * em1 * m0[k] - 0.5 * aT * em1 * d1;
      });
    },
  };
}

/** Runs the loop; returns the final latents (before the VAE's scaling factor), float64. */
export async function referenceTxt2img(req: ReferenceRequest): Promise<Float64Array> {
  const c = req.schedulerConfig;
  const sched =
    req.algorithm === "ddim"
      ? ddim(c, req.steps)
      : req.algorithm === "dpmpp-2m"
        ? dpmpp2m(c, req.steps)
        : euler(c, req.steps, req.algorithm === "euler-ancestral", req.stepNoise);
  const session = await ort.InferenceSession.create(req.unetPath, { executionProviders: ["cpu"] });
  try {
    const size = req.noise.length;
    const context = new Float32Array(2 * req.cond.length);
    context.set(req.uncond, 0);
    context.set(req.cond, req.cond.length);
    const [, ...ctxRest] = req.contextDims;
    const [, ...latRest] = req.latentDims;
    let x: Float64Array = Float64Array.from(req.noise, (v) => v * sched.initNoiseSigma);
    for (let i = 0; i < sched.timesteps.length; i++) {
      const t = sched.timesteps[i];
      const scaled = sched.scale(x, i);
      const batch = new Float32Array(2 * size);
      batch.set(scaled, 0);
      batch.set(scaled, size);
      const out = await session.run({
        sample: new ort.Tensor("float32", batch, [2, ...latRest]),
        timestep: new ort.Tensor("float32", new Float32Array([t, t]), [2]),
        encoder_hidden_states: new ort.Tensor("float32", context, [2, ...ctxRest]),
      });
      const pred = out[session.outputNames[0]].data as Float32Array;
      const guided = Float64Array.from(
        { length: size },
        (_, k) => pred[k] + req.cfg * (pred[size + k] - pred[k]),
      );
      x = sched.step(guided, i, x);
    }
    return x;
  } finally {
    await session.release();
  }
}
