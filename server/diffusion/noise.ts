/**
 * Torch-exact CPU noise: `torch.manual_seed(seed); torch.randn(n)` reproduced bit for bit, so a seed
 * pasted from ComfyUI or diffusers gives the same starting latent here.
 *
 * What torch 1.13 does on x86-64 (ATen `CPUGeneratorImpl`, `normal_kernel`):
 * - mt19937 seeded with the LOW 32 BITS of the seed (`init_with_uint32`): seeds 0 and 2^32 collide.
 * - n ≥ 16 (float, contiguous): fill all n with float uniforms `(u32 & 0xffffff)·2^-24`, then Box–Muller
 *   on blocks of 16 pairing element j with j+8, in float32 with the Cephes `log256_ps`/`sincos256_ps`
 *   of avx_mathfun.h (the AVX2 kernel; torch 1.13 also picks it with ATEN_CPU_CAPABILITY=avx512), whose
 *   multiply–adds GCC fused into FMAs (without them ~1% of values differ); we emulate each float32 op.
 *   When 16 ∤ n the last 16 elements are redrawn from fresh uniforms and transformed again.
 * - n < 16: one double Box–Muller per pair of values from 53-bit uniforms, cos first; the sin half is
 *   cached in the generator and returned by the next draw (even across calls) until reseeded.
 * Machines without AVX2 (ARM, "default" capability) use libm's logf/sinf/cosf for n ≥ 16: ~40% of values
 * then differ by up to ~2e-6; we follow the AVX2 kernel, which x86 users of ComfyUI/diffusers get.
 */

const TWO_POW_M24 = 2 ** -24;
const TWO_POW_M53 = 2 ** -53;
const f32 = Math.fround;

// Bit views for the float32 bit tricks of avx_mathfun.h.
const fbuf = new Float32Array(1);
const ibuf = new Int32Array(fbuf.buffer);
const bitsOf = (x: number): number => {
  fbuf[0] = x;
  return ibuf[0];
};
const fromBits = (b: number): number => {
  ibuf[0] = b;
  return fbuf[0];
};

const nextFloatUp = (r: number): number => (r === 0 ? 2 ** -149 : fromBits(bitsOf(r) + (r > 0 ? 1 : -1)));
const nextFloatDown = (r: number): number => -nextFloatUp(-r);

/** Float32 fused multiply-add a·b + c with one rounding (GCC contracts the Cephes mul/add pairs to FMA). */
function fmaf(a: number, b: number, c: number): number {
  const p = a * b; // exact: two float32 significands fit in a double
  const s = p + c;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb); // TwoSum: p + c = s + err exactly
  const r = f32(s);
  if (err === 0 || r === s) return r;
  // s may sit exactly halfway between two floats; then err decides the side.
  const other = f32(s > r ? nextFloatUp(r) : nextFloatDown(r));
  if ((r + other) / 2 !== s) return r;
  return err > 0 === other > r ? other : r;
}

/** mt19937 exactly as ATen's `mt19937_engine`. */
class Mt19937 {
  private readonly state = new Uint32Array(624);
  private next = 0;
  private left = 1;

  constructor(seed: bigint) {
    const s = this.state;
    s[0] = Number(BigInt.asUintN(64, seed) & 0xffffffffn);
    for (let j = 1; j < 624; j++) {
      const p = s[j - 1];
      s[j] = (Math.imul(1812433253, p ^ (p >>> 30)) + j) >>> 0;
    }
  }

  nextU32(): number {
    if (--this.left === 0) this.twist();
    let y = this.state[this.next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    for (let k = 0; k < 624; k++) {
      const y = (s[k] & 0x80000000) | (s[(k + 1) % 624] & 0x7fffffff);
      s[k] = s[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.left = 624;
    this.next = 0;
  }
}

// avx_mathfun.h constants, as the float32 values the C initialisers produce (long literals shortened to
// the same double).
const SQRTHF = f32(Math.SQRT1_2);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f32);
const LOG_Q1 = f32(-2.1219444e-4);
const LOG_Q2 = f32(0.693359375);
const FOPI = f32(1.27323954473516);
const DP1 = f32(-0.78515625);
const DP2 = f32(-2.4187564849853516e-4);
const DP3 = f32(-3.774894977445941e-8);
const SIN_P0 = f32(-1.9515295891e-4);
const SIN_P1 = f32(8.3321608736e-3);
const SIN_P2 = f32(-1.6666654611e-1);
const COS_P0 = f32(2.443315711809948e-5);
const COS_P1 = f32(-1.388731625493765e-3);
const COS_P2 = f32(4.166664568298827e-2);
const TWO_PI_F = f32(2 * Math.PI);

/** `log256_ps` for one lane, x in (0, 1]: Cephes logf in float32, every operation rounded. */
function cephesLogf(x0: number): number {
  const bits = bitsOf(x0);
  let x = fromBits((bits & ~0x7f800000) | 0x3f000000); // mantissa in [0.5, 1)
  let e = f32((bits >>> 23) - 127 + 1);
  if (x < SQRTHF) {
    e = f32(e - 1);
    x = f32(f32(x - 1) + x);
  } else {
    x = f32(x - 1);
  }
  const z = f32(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < 9; k++) y = fmaf(y, x, LOG_P[k]);
  y = f32(y * x);
  y = fmaf(y, z, f32(e * LOG_Q1));
  y = f32(y - f32(z * 0.5));
  return fmaf(e, LOG_Q2, f32(x + y));
}

/** `sincos256_ps` for one lane, x ≥ 0 (θ = 2π·u here). Writes [sin, cos] into `out`. */
function cephesSinCosf(x0: number, out: Float32Array): void {
  let x = Math.abs(x0);
  let j = Math.trunc(f32(x * FOPI));
  j = (j + 1) & ~1;
  const y = j;
  const sinSwap = (j & 4) !== 0;
  const polyMask = (j & 2) === 0;
  const cosSwap = (~(j - 2) & 4) !== 0;
  // Extended precision modular arithmetic: x = ((x − y·DP1) − y·DP2) − y·DP3.
  x = fmaf(y, DP1, x);
  x = fmaf(y, DP2, x);
  x = fmaf(y, DP3, x);
  const z = f32(x * x);
  let c = fmaf(COS_P0, z, COS_P1);
  c = fmaf(c, z, COS_P2);
  c = f32(fmaf(f32(c * z), z, -0.5 * z) + 1);
  let s = fmaf(SIN_P0, z, SIN_P1);
  s = fmaf(s, z, SIN_P2);
  s = fmaf(f32(s * z), x, x);
  const sinV = polyMask ? s : c;
  const cosV = polyMask ? c : s;
  out[0] = sinSwap !== x0 < 0 ? -sinV : sinV;
  out[1] = cosSwap ? -cosV : cosV;
}

const sc = new Float32Array(2);

/** `normal_fill_16_AVX2`: Box–Muller on data[i..i+16), pairing j with j+8. */
function normalFill16(data: Float32Array, i: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f32(1 - data[i + j]);
    const u2 = data[i + j + 8];
    const radius = f32(Math.sqrt(f32(-2 * cephesLogf(u1))));
    cephesSinCosf(f32(TWO_PI_F * u2), sc);
    data[i + j] = f32(radius * sc[1]) + 0; // + 0: the fmadd(n, std=1, mean=0) turns −0 into +0
    data[i + j + 8] = f32(radius * sc[0]) + 0;
  }
}

/** One torch CPU generator: successive `randn` calls continue its stream like `torch.randn(a); torch.randn(b)`. */
export class TorchGenerator {
  private readonly mt: Mt19937;
  /** ATen's `next_double_normal_sample`: the sin half of the last scalar Box–Muller. */
  private cachedNormal: number | null = null;

  constructor(seed: bigint) {
    if (seed < 0n || seed >= 1n << 64n) {
      throw new RangeError(`Seed ${seed} is outside 0 … 2^64−1; wrap it with BigInt.asUintN(64, seed).`);
    }
    this.mt = new Mt19937(seed);
  }

  private uniformFloat(): number {
    return (this.mt.nextU32() & 0xffffff) * TWO_POW_M24;
  }

  private uniformDouble(): number {
    const hi = this.mt.nextU32() & 0x1fffff; // make64BitsFrom32Bits(first, second) & (2^53 − 1)
    const lo = this.mt.nextU32();
    return (hi * 2 ** 32 + lo) * TWO_POW_M53;
  }

  /** `at::normal_distribution<double>`: returns the cached sin half first. */
  private normalDouble(): number {
    if (this.cachedNormal !== null) {
      const v = this.cachedNormal;
      this.cachedNormal = null;
      return v;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  randn(count: number): Float32Array {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`randn count must be an integer ≥ 0, got ${count}`);
    const out = new Float32Array(count);
    if (count < 16) {
      for (let i = 0; i < count; i++) out[i] = this.normalDouble();
      return out;
    }
    for (let i = 0; i < count; i++) out[i] = this.uniformFloat();
    for (let i = 0; i + 16 <= count; i += 16) normalFill16(out, i);
    if (count % 16 !== 0) {
      const start = count - 16;
      for (let i = 0; i < 16; i++) out[start + i] = this.uniformFloat();
      normalFill16(out, start);
    }
    return out;
  }
}

/** `torch.manual_seed(seed); torch.randn(shape)` on CPU, flattened row-major. */
export function torchRandn(seed: bigint, shape: readonly number[]): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  return new TorchGenerator(seed).randn(count);
}

/**
 * Batch noise where item i is `torchRandn(seed + i, [1, ...itemShape])` (mod 2^64), so any image of a
 * batch can be reproduced alone from its own seed (unlike torch.randn([B, ...]), which couples items).
 */
export function batchNoise(
  seed: bigint,
  batch: number,
  itemShape: readonly number[],
): { data: Float32Array; seeds: string[] } {
  const itemSize = itemShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(batch * itemSize);
  const seeds: string[] = [];
  for (let i = 0; i < batch; i++) {
    const s = BigInt.asUintN(64, seed + BigInt(i));
    seeds.push(s.toString());
    data.set(torchRandn(s, [1, ...itemShape]), i * itemSize);
  }
  return { data, seeds };
}

/**
 * Batch noise as ComfyUI and diffusers make it: one `torch.manual_seed(seed); torch.randn([B, ...itemShape])`
 * for the whole batch. Every image reports the batch's seed; item 0 equals `torchRandn(seed, [1, ...])`
 * when an item holds a multiple of 16 values (torch fills blocks of 16 in order), the others do not
 * come from any seed alone.
 */
export function batchNoiseOneDraw(
  seed: bigint,
  batch: number,
  itemShape: readonly number[],
): { data: Float32Array; seeds: string[] } {
  const s = BigInt.asUintN(64, seed);
  return {
    data: torchRandn(s, [batch, ...itemShape]),
    seeds: Array.from({ length: batch }, () => s.toString()),
  };
}
