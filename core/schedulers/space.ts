/**
 * Sample spaces. Latents travel between nodes in "ve" form, x0 + σ·ε (like ComfyUI), whatever the
 * scheduler: a chain of sampler nodes can then switch schedulers mid-way, and "add noise" is one formula.
 * A "vp" scheduler (DDPM, DDIM, LCM, PNDM) works on √ᾱ·x0 + √(1−ᾱ)·ε instead; since ᾱ = 1/(1 + σ²),
 * the two differ by the factor √(σ² + 1). The U-Net step node converts at the boundary:
 *
 *   xVp = veToVp(xVe, scheduler.sigmas[i]);  out = unet(scheduler.scaleModelInput(xVp, i), t_i)
 *   next = vpToVe(scheduler.step(out, i, xVp, rng).prevSample, scheduler.sigmas[i + 1])
 *
 * vp schedulers report in `sigmas` the σ of each call's timestep; a chain converts with the same σ on
 * both sides of a boundary, so the round trip changes nothing but float32 rounding (≤ 1 ulp per
 * conversion). (DDIM and PNDM step to t − ⌊T/n⌋ as diffusers does, which is the next call's timestep
 * only for uniform spacings; with linspace the σ reported for a partial result is that of the next call.)
 * Starting from pure noise in ve form: ε·√(σ_0² + 1) for vp schedulers (their unit-variance start),
 * ε·initNoiseSigma for ve schedulers (server/diffusion/sampler.ts).
 */

/** x0 + σ·ε  →  √ᾱ·x0 + √(1−ᾱ)·ε : divide by √(σ² + 1). */
export function veToVp(x: Float32Array, sigma: number): Float32Array {
  const k = 1 / Math.sqrt(sigma * sigma + 1);
  return x.map((v) => v * k);
}

/** √ᾱ·x0 + √(1−ᾱ)·ε  →  x0 + σ·ε : multiply by √(σ² + 1). */
export function vpToVe(x: Float32Array, sigma: number): Float32Array {
  const k = Math.sqrt(sigma * sigma + 1);
  return x.map((v) => v * k);
}
