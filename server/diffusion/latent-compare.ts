/**
 * How far two latents are apart, for "the GPU gives the same image as the CPU": compared as latents
 * (PNG bytes would hide differences under 8-bit rounding and show ones that do not matter).
 */

export interface LatentDifference {
  maxAbs: number;
  /** ‖a − b‖₂ / ‖b‖₂ with b the reference (the CPU's latent). */
  relL2: number;
  /** Largest |b| in the reference, for scale. */
  refMaxAbs: number;
}

/**
 * The tolerance a GPU run must meet against the CPU's 25-step latent of the demo model. Float32 on the
 * GPU reorders sums (and CUDA may use TF32 matrix units, ~1e-3 relative per product); 25 DDIM steps
 * carry such differences along. 1e-2 relative (L2) and 0.05 absolute on a latent of unit scale are far
 * under what changes a decoded 8-bit pixel by more than a few levels.
 */
export const GPU_LATENT_TOLERANCE = { relL2: 1e-2, maxAbs: 0.05 } as const;

export function latentDifference(a: ArrayLike<number>, ref: ArrayLike<number>): LatentDifference {
  if (a.length !== ref.length)
    throw new RangeError(`latents differ in size: ${a.length} values against ${ref.length}`);
  let maxAbs = 0;
  let diff2 = 0;
  let ref2 = 0;
  let refMaxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - ref[i];
    // A NaN anywhere must fail the comparison, not vanish in Math.max.
    if (Number.isNaN(d)) return { maxAbs: Number.NaN, relL2: Number.NaN, refMaxAbs: Number.NaN };
    maxAbs = Math.max(maxAbs, Math.abs(d));
    diff2 += d * d;
    ref2 += ref[i] * ref[i];
    refMaxAbs = Math.max(refMaxAbs, Math.abs(ref[i]));
  }
  return { maxAbs, relL2: ref2 > 0 ? Math.sqrt(diff2 / ref2) : Math.sqrt(diff2), refMaxAbs };
}

export function withinTolerance(d: LatentDifference, tol = GPU_LATENT_TOLERANCE): boolean {
  return d.relL2 <= tol.relL2 && d.maxAbs <= tol.maxAbs; // false for NaN
}
