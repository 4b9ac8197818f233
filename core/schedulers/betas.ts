/**
 * The noise schedule: β_t, ᾱ_t = ∏_{s≤t} (1 − β_s), σ_t = √((1 − ᾱ_t)/ᾱ_t), and the inference
 * timestep spacings of diffusers. Pure maths (float64), safe to import on the canvas.
 * diffusers computes β and ᾱ in float32; ours differ from it by float32 rounding only (≲ 1e-6 relative).
 */
import type { SchedulerConfig } from "./config";

/** numpy.linspace(start, stop, num): start + i·step, with the last value set to stop exactly. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

/** numpy's round: halves go to the even neighbour (np.round(2.5) = 2). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The 1000-step tables, memoised per β recipe: a run builds them in the Scheduler node, in each sampler's
 * scheduler and in the plots, each time the same. Keyed by the only fields β depends on; a few recipes
 * are kept (a model's, a user's override), the oldest dropped first. Shared: callers must not write them.
 */
export interface ScheduleTables {
  readonly beta: Float64Array;
  readonly alphaBar: Float64Array;
  readonly sigma: Float64Array;
}
const TABLES_KEPT = 16;
const tablesByRecipe = new Map<string, ScheduleTables>();

/** The β, ᾱ and σ tables of this config, built once per (T, betaStart, betaEnd, betaSchedule). */
export function scheduleTables(config: SchedulerConfig): ScheduleTables {
  const key = `${config.numTrainTimesteps}|${config.betaStart}|${config.betaEnd}|${config.betaSchedule}`;
  const hit = tablesByRecipe.get(key);
  if (hit) return hit;
  const beta = buildBetas(config);
  const alphaBar = cumprodOneMinus(beta);
  const tables = { beta, alphaBar, sigma: sigmasFromAlphasCumprod(alphaBar) };
  if (tablesByRecipe.size >= TABLES_KEPT) tablesByRecipe.delete(tablesByRecipe.keys().next().value as string);
  tablesByRecipe.set(key, tables);
  return tables;
}

/** β_1 … β_T as diffusers builds them for `betaSchedule` (a copy the caller may change). */
export function betas(config: SchedulerConfig): Float64Array {
  return scheduleTables(config).beta.slice();
}

function buildBetas(config: SchedulerConfig): Float64Array {
  const T = config.numTrainTimesteps;
  if (!Number.isInteger(T) || T < 2)
    throw new RangeError(`numTrainTimesteps must be an integer ≥ 2, got ${T}`);
  switch (config.betaSchedule) {
    case "linear":
      return Float64Array.from(linspace(config.betaStart, config.betaEnd, T));
    case "scaled_linear":
      // Linear in √β (Stable Diffusion).
      return Float64Array.from(
        linspace(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), T),
        (r) => r * r,
      );
    case "squaredcos_cap_v2": {
      // Nichol & Dhariwal (2021) eq. 17: ᾱ(t) = cos²((t/T + s)/(1 + s)·π/2), s = 0.008; β capped at 0.999.
      const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      return Float64Array.from({ length: T }, (_, i) =>
        Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), 0.999),
      );
    }
    default:
      throw new Error(
        `Unknown betaSchedule "${config.betaSchedule}"; use linear, scaled_linear or squaredcos_cap_v2.`,
      );
  }
}

/** ᾱ_t = ∏_{s ≤ t} α_s with α = 1 − β (the closed-form forward process x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε). */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  return scheduleTables(config).alphaBar.slice();
}

function cumprodOneMinus(b: Float64Array): Float64Array {
  const out = new Float64Array(b.length);
  let prod = 1;
  for (let i = 0; i < b.length; i++) {
    prod *= 1 - b[i];
    out[i] = prod;
  }
  return out;
}

/** σ_t = √((1 − ᾱ_t)/ᾱ_t): the noise level of x_t/√ᾱ_t = x0 + σ_t·ε. */
export function sigmasFromAlphasCumprod(alphaBar: ArrayLike<number>): Float64Array {
  return Float64Array.from(alphaBar, (a) => Math.sqrt((1 - a) / a));
}

/** Karras et al. (2022) eq. 5: σ_i = (σ_max^{1/ρ} + i/(n−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ, descending, n values. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return linspace(0, 1, n).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** Everything the canvas plots: β, ᾱ and σ for t = 0 … T−1 (the shared tables: read only). */
export function scheduleSeries(config: SchedulerConfig): ScheduleTables {
  return scheduleTables(config);
}

/**
 * Which diffusers recipe to space timesteps with:
 * - "discrete": DDIM/DDPM/PNDM — integer timesteps (linspace rounded).
 * - "continuous": Euler/Heun/LMS — linspace timesteps stay fractional (σ is interpolated between them).
 * - "multistep": DPMSolverMultistep — n + 1 points from T down to 0, the last (t = 0) dropped.
 */
export type SpacingVariant = "discrete" | "continuous" | "multistep";

/** The n inference timesteps, descending, exactly as diffusers' set_timesteps computes them. */
export function timestepsFor(
  config: SchedulerConfig,
  n: number,
  variant: SpacingVariant = "discrete",
): number[] {
  const T = config.numTrainTimesteps;
  if (!Number.isInteger(n) || n < 1 || n > T) {
    throw new RangeError(`numInferenceSteps must be an integer in 1 … ${T} (numTrainTimesteps), got ${n}`);
  }
  const points = variant === "multistep" ? n + 1 : n;
  let ts: number[];
  switch (config.timestepSpacing) {
    case "linspace":
      ts = linspace(0, T - 1, points).reverse();
      // Integer timesteps are rounded; Euler-type ones stay fractional, in float32 as diffusers makes them.
      ts = ts.map(variant === "continuous" ? Math.fround : roundHalfEven);
      break;
    case "leading": {
      const ratio = Math.floor(T / points);
      // diffusers adds steps_offset unchecked, so SD 1.5 (offset 1) at n = T asks for t = T, past the ᾱ
      // table (diffusers issue #10003: IndexError; here it was NaN, a black image). DDIM/DDPM/PNDM index
      // that table, so their offset shrinks to what fits: 1000 steps give 999 … 0. σ-ladder schedulers
      // interpolate (t = T is σ_max there), so they keep diffusers' timesteps.
      const top = (points - 1) * ratio;
      const offset = variant === "discrete" ? Math.min(config.stepsOffset, T - 1 - top) : config.stepsOffset;
      ts = Array.from({ length: points }, (_, i) => (points - 1 - i) * ratio + offset);
      break;
    }
    case "trailing":
      ts = numpyArangeDown(T, T / n).map((t) => roundHalfEven(t) - 1);
      break;
    default:
      throw new Error(
        `Unknown timestepSpacing "${config.timestepSpacing}"; use leading, trailing or linspace.`,
      );
  }
  return variant === "multistep" && config.timestepSpacing !== "trailing" ? ts.slice(0, n) : ts;
}

/** numpy.arange(start, 0, −step) for floats: start + i·(a₁ − start), with numpy's length rule. */
function numpyArangeDown(start: number, step: number): number[] {
  const length = Math.ceil(-start / -step);
  const a1 = start - step;
  const delta = a1 - start;
  return Array.from({ length }, (_, i) => (i === 0 ? start : i === 1 ? a1 : start + i * delta));
}

/** numpy.interp over xp = 0, 1, …, fp.length − 1 (σ at a fractional timestep). */
export function interpAtTimestep(t: number, fp: ArrayLike<number>): number {
  if (t <= 0) return fp[0];
  const last = fp.length - 1;
  if (t >= last) return fp[last];
  const j = Math.floor(t);
  if (t === j) return fp[j];
  return (fp[j + 1] - fp[j]) * (t - j) + fp[j];
}

/** diffusers' `_sigma_to_t`: the fractional timestep of σ, interpolating linearly in log σ. */
export function sigmaToT(sigma: number, logSigmas: ArrayLike<number>): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low];
  const hi = logSigmas[low + 1];
  const w = Math.min(Math.max((lo - logSigma) / (lo - hi), 0), 1);
  return (1 - w) * low + w * (low + 1);
}
