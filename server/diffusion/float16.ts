/** IEEE 754 binary16 ↔ float32 conversion: onnxruntime-node takes and gives float16 tensors as Uint16Array bits. */

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * IEEE 754 binary16 bits of a number, rounded to nearest, ties to even (the value is first
 * rounded to float32, as a Float32Array would store it). Overflow gives ±Infinity, NaN stays NaN.
 */
export function float32ToFloat16(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;

  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // Inf / NaN (quiet)
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00; // too large: Infinity
  if (e >= 1) {
    // Normal: keep 10 mantissa bits, round on the 13 dropped ones. A carry may ripple into the
    // exponent, which is right (1.11…1 × 2^e rounds to 1.0 × 2^(e+1); 65520 and up become Inf).
    let half = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
    return sign | half;
  }
  // Subnormal half (or zero): value = full × 2^(exp−150) = (full >> shift) × 2^−24.
  const shift = 126 - exp;
  if (shift > 24) return sign; // below half of the smallest subnormal: ±0
  const full = mant | 0x800000;
  let half = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
  return sign | half;
}

/** The number that binary16 bits stand for. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

let f16Table: Float32Array | null = null;

/** Float values → binary16 bits (what onnxruntime-node takes for a float16 tensor on Node 20). */
export function toFloat16Array(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16(src[i]);
  return out;
}

/** binary16 bits → Float32Array. */
export function fromFloat16Array(src: Uint16Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = float16ToFloat32(i);
  }
  const table = f16Table;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}
