/**
 * Teaching-view arithmetic for the Scheduler plot and the Add Noise node, kept free of React so it can
 * be tested against the formulas: which sampled timesteps to draw as ticks (a 1000-step DDPM schedule
 * drew 1000 ticks, merged into one bar), and the forward-process coefficients at t.
 */

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
