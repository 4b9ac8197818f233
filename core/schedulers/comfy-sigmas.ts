/**
 * ComfyUI's σ schedules (comfy/samplers.py: normal, karras, exponential, simple, sgm_uniform,
 * ddim_uniform) over ComfyUI's discrete model sampling (comfy/model_sampling.py ModelSamplingDiscrete):
 * the training σ table computed in float64 and stored as float32, σ(t) interpolated linearly in log σ
 * between integer t, and the U-Net's timestep for a σ = the integer t whose log σ is nearest (argmin).
 * Pure maths, client-safe.
 */

export const SIGMA_SCHEDULES = [
  "model",
  "normal",
  "karras",
  "exponential",
  "simple",
  "sgm_uniform",
  "ddim_uniform",
] as const;
export type SigmaSchedule = (typeof SIGMA_SCHEDULES)[number];

const f32 = Math.fround;

export class ComfyModelSampling {
  /** σ_t for t = 0 … T−1, float32 as ComfyUI stores them. */
  readonly sigmas: Float64Array;
  /** log σ_t, computed in float64 then stored as float32 (ComfyUI's `sigmas.log().float()`). */
  readonly logSigmas: Float64Array;

  constructor(trainSigmas: ArrayLike<number>) {
    this.sigmas = Float64Array.from(trainSigmas, (s) => f32(s));
    this.logSigmas = Float64Array.from(trainSigmas, (s) => f32(Math.log(s)));
  }

  get sigmaMin(): number {
    return this.sigmas[0];
  }

  get sigmaMax(): number {
    return this.sigmas[this.sigmas.length - 1];
  }

  /** ModelSamplingDiscrete.timestep: the nearest table entry in log σ (first on ties, as torch.argmin). */
  timestep(sigma: number): number {
    const ls = f32(Math.log(sigma));
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let t = 0; t < this.logSigmas.length; t++) {
      const d = Math.abs(f32(ls - this.logSigmas[t]));
      if (d < bestD) {
        bestD = d;
        best = t;
      }
    }
    return best;
  }

  /** ModelSamplingDiscrete.sigma: log-linear interpolation at a (fractional) timestep. */
  sigma(t: number): number {
    const c = Math.min(Math.max(t, 0), this.sigmas.length - 1);
    const lo = Math.floor(c);
    const hi = Math.ceil(c);
    const w = f32(c - lo);
    return f32(Math.exp(f32(f32((1 - w) * this.logSigmas[lo]) + f32(w * this.logSigmas[hi]))));
  }
}

/** torch.linspace(start, end, n) in float32 (torch computes start + i·step, from the end for the upper half). */
function linspace32(start: number, end: number, n: number): number[] {
  if (n === 1) return [f32(start)];
  const step = (end - start) / (n - 1);
  const half = Math.floor(n / 2);
  return Array.from({ length: n }, (_, i) => f32(i < half ? start + step * i : end - step * (n - 1 - i)));
}

/**
 * The σ ladder (ending in 0) of a ComfyUI scheduler for `steps` steps. ddim_uniform may return a
 * different number of steps than asked, as ComfyUI's does (7 steps → 8 over T = 1000).
 */
export function comfySigmas(
  ms: ComfyModelSampling,
  schedule: Exclude<SigmaSchedule, "model">,
  steps: number,
): number[] {
  const T = ms.sigmas.length;
  switch (schedule) {
    case "normal":
    case "sgm_uniform": {
      const start = ms.timestep(ms.sigmaMax);
      const end = ms.timestep(ms.sigmaMin);
      const ts =
        schedule === "sgm_uniform"
          ? linspace32(start, end, steps + 1).slice(0, -1)
          : linspace32(start, end, steps);
      return [...ts.map((t) => ms.sigma(t)), 0];
    }
    case "karras": {
      // k-diffusion get_sigmas_karras (ρ = 7), float32 tensors.
      const rho = 7;
      const minInv = ms.sigmaMin ** (1 / rho);
      const maxInv = ms.sigmaMax ** (1 / rho);
      const ramp = linspace32(0, 1, steps);
      return [...ramp.map((r) => f32(f32(maxInv + f32(r * f32(minInv - maxInv))) ** rho)), 0];
    }
    case "exponential": {
      // k-diffusion get_sigmas_exponential: exp of a float32 linspace in log σ.
      const ls = linspace32(Math.log(ms.sigmaMax), Math.log(ms.sigmaMin), steps);
      return [...ls.map((l) => f32(Math.exp(l))), 0];
    }
    case "simple": {
      const ss = T / steps;
      return [...Array.from({ length: steps }, (_, x) => ms.sigmas[T - 1 - Math.floor(x * ss)]), 0];
    }
    case "ddim_uniform": {
      const ss = Math.max(Math.floor(T / steps), 1);
      const sigs: number[] = [];
      for (let x = 1; x < T; x += ss) sigs.push(ms.sigmas[x]);
      return [...sigs.reverse(), 0];
    }
  }
}

/** ComfyUI's starting noise scale (EPS.noise_scaling): √(1 + σ²) when σ_0 is the model's σ_max (max denoise), else σ_0. */
export function comfyStartNoiseScale(ms: ComfyModelSampling, sigma0: number): number {
  const max = ms.sigmaMax;
  const maxDenoise =
    Math.abs(sigma0 - max) <= 1e-5 * Math.max(Math.abs(sigma0), Math.abs(max)) || sigma0 > max;
  return maxDenoise ? Math.sqrt(1 + sigma0 * sigma0) : sigma0;
}
