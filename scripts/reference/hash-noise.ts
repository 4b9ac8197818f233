/**
 * Deterministic standard normals from a counter (lowbias32 hash + Box–Muller), reproduced bit for bit by
 * `HashNoise` in scripts/reference/diffusers_schedulers.py. The scheduler reference uses it instead of
 * torch's generator so that the numpy reference needs no torch; it is not for user-facing noise.
 */
import type { NoiseSource } from "../../core/schedulers/types";

function lowbias32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

export class HashNoise implements NoiseSource {
  private counter: number;

  /** `float64`: return a Float64Array (typed as Float32Array) to drive a scheduler in float64. */
  constructor(
    seed = 0,
    private readonly float64 = false,
  ) {
    this.counter = Math.imul(seed, 0x9e3779b9) >>> 0;
  }

  randn(count: number): Float32Array {
    const out = this.float64 ? (new Float64Array(count) as unknown as Float32Array) : new Float32Array(count);
    for (let k = 0; k < count; k++) {
      const c = (this.counter + 2 * k) >>> 0;
      const u1 = (lowbias32(c) + 0.5) / 4294967296;
      const u2 = (lowbias32((c + 1) >>> 0) + 0.5) / 4294967296;
      out[k] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
    this.counter = (this.counter + 2 * count) >>> 0;
    return out;
  }
}
