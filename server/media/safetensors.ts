/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * (`{"name": {"dtype", "shape", "data_offsets": [start, end]}, "__metadata__": {string: string}}`),
 * then the raw little-endian tensor data, offsets relative to its start.
 *
 * We write float32 and read F32, F16, BF16 and F64 into float32. ComfyUI's `.latent` files are
 * safetensors with the latent in `latent_tensor`; see `readLatentFile` / `writeLatentFile`.
 */
import { Tensor } from "../../core/node/values";

export class SafetensorsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SafetensorsError";
  }
}

export interface RawTensor {
  dims: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Record<string, RawTensor>;
  metadata: Record<string, string>;
}

/** The largest header we accept (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype the format defines; the readable ones are in `READABLE`. */
const DTYPE_SIZE: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};
const READABLE = ["F32", "F16", "BF16", "F64"];
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------------
// Reading

function fail(message: string): never {
  throw new SafetensorsError(message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  start: number;
  end: number;
}

/**
 * Parses and validates a safetensors file: header length within the file and ≤ 100 MB, JSON object
 * header, known dtypes, offsets inside the data and non-overlapping, and shape × element size equal to
 * each tensor's byte length. Throws `SafetensorsError` for anything malformed.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) fail("expected the safetensors file as a Uint8Array");
  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes; a safetensors file starts with an 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${declared} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  const headerLength = Number(declared);
  if (headerLength < 2) fail(`header length ${headerLength} is too small for a JSON object`);
  if (8 + headerLength > bytes.length) {
    fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch (e) {
    throw new SafetensorsError("header is not valid UTF-8", { cause: e });
  }
  if (!text.startsWith("{")) fail("header is not a JSON object");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isRecord(header)) fail("header is not a JSON object");

  const metadata: Record<string, string> = Object.create(null);
  const entries: Entry[] = [];
  const dataLength = bytes.length - 8 - headerLength;
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isRecord(info)) fail("__metadata__ must be an object of strings");
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== "string") fail(`__metadata__ value "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isRecord(info)) fail(`tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== "string" || !(dtype in DTYPE_SIZE))
      fail(`tensor "${name}": unknown dtype ${String(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isIndex)) {
      fail(`tensor "${name}": shape must be an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      fail(`tensor "${name}": data_offsets must be [start, end] with non-negative integers`);
    }
    const [start, end] = offsets as [number, number];
    if (start > end) fail(`tensor "${name}": data_offsets [${start}, ${end}] run backwards`);
    if (end > dataLength) {
      fail(`tensor "${name}": data_offsets [${start}, ${end}] lie outside the data (${dataLength} bytes)`);
    }
    // The product could overflow; the bytes it names must fit in the data anyway.
    let count = (shape as number[]).includes(0) ? 0 : 1;
    for (const d of shape as number[]) {
      if (count > dataLength) break;
      count *= d;
    }
    const size = DTYPE_SIZE[dtype];
    if (count * size !== end - start) {
      fail(
        `tensor "${name}": shape [${(shape as number[]).join(",")}] of ${dtype} needs ${count * size} bytes, data_offsets give ${end - start}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], start, end });
  }
  const sorted = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start < sorted[i - 1].end) {
      fail(`tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`);
    }
  }

  const tensors: Record<string, RawTensor> = Object.create(null);
  const base = 8 + headerLength;
  for (const e of entries) {
    if (!READABLE.includes(e.dtype)) {
      fail(`tensor "${e.name}" has dtype ${e.dtype}; only ${READABLE.join(", ")} can be read`);
    }
    tensors[e.name] = {
      dims: e.shape,
      data: toFloat32(bytes.subarray(base + e.start, base + e.end), e.dtype),
    };
  }
  return { tensors, metadata };
}

function toFloat32(raw: Uint8Array, dtype: string): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === "F32") {
    if (littleEndianHost) {
      // Copy into a buffer of exactly this size: `raw` is often a view into a larger Node Buffer (a
      // file's bytes, or Node's shared pool for small reads), and Buffer#slice() is another view.
      const out = new Float32Array(raw.length / 4);
      new Uint8Array(out.buffer).set(raw);
      return out;
    }
    const out = new Float32Array(raw.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (dtype === "F64") {
    const out = new Float32Array(raw.length / 8);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  }
  const n = raw.length / 2;
  if (dtype === "BF16") {
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
    return new Float32Array(bits.buffer);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  return out;
}

/** IEEE 754 binary16 → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// ---------------------------------------------------------------------------------------------------
// Writing

/**
 * Writes float32 tensors (in the given order, contiguous) and optional string metadata. The header is
 * padded with spaces so the data starts 8-byte aligned, as the reference writer does.
 */
export function writeSafetensors(
  tensors: Record<string, { dims: readonly number[]; data: Float32Array }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") fail(`metadata value "${k}" is not a string`);
    }
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  const parts: Float32Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name === "__metadata__" || name.length === 0) fail(`invalid tensor name "${name}"`);
    if (!t.dims.every(isIndex)) fail(`tensor "${name}": dims must be non-negative integers`);
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (!(t.data instanceof Float32Array) || count !== t.data.length) {
      fail(`tensor "${name}": dims [${t.dims.join(",")}] need ${count} float32 values, got ${t.data.length}`);
    }
    Object.defineProperty(header, name, {
      value: { dtype: "F32", shape: [...t.dims], data_offsets: [offset, offset + t.data.byteLength] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += t.data.byteLength;
    parts.push(t.data);
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const view = new DataView(out.buffer);
  let p = 8 + json.length;
  for (const data of parts) {
    if (littleEndianHost) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(p + i * 4, data[i], true);
    }
    p += data.byteLength;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// ComfyUI .latent files

/** ComfyUI's latent scale for SD 1.x, applied to `.latent` files saved before format version 0. */
const LEGACY_LATENT_SCALE = 0.18215;

export interface LatentFile {
  samples: Tensor;
  metadata: Record<string, string>;
  /**
   * True when the file lacked ComfyUI's `latent_format_version_0` marker: such (old) files hold latents
   * that ComfyUI multiplies by 1/0.18215 on load, and so do we.
   */
  legacyScaled: boolean;
}

/** Reads a `.latent` file (ComfyUI's or ours): the tensor `latent_tensor`, [B,C,h,w]. */
export function readLatentFile(bytes: Uint8Array): LatentFile {
  const { tensors, metadata } = readSafetensors(bytes);
  const t = tensors.latent_tensor;
  if (!t) fail('not a latent file: no tensor "latent_tensor"');
  if (t.dims.length !== 4) fail(`latent_tensor has shape [${t.dims.join(",")}], expected [B,C,h,w]`);
  const legacyScaled = !("latent_format_version_0" in tensors);
  if (legacyScaled) for (let i = 0; i < t.data.length; i++) t.data[i] /= LEGACY_LATENT_SCALE;
  return { samples: new Tensor(t.dims, t.data), metadata, legacyScaled };
}

/**
 * Writes latents [B,C,h,w] as a `.latent` file ComfyUI's Load Latent reads unchanged: `latent_tensor`
 * plus the empty `latent_format_version_0` marker, and metadata (with `format: "pt"` unless given).
 */
export function writeLatentFile(samples: Tensor, metadata?: Record<string, string>): Uint8Array {
  if (samples.dims.length !== 4) fail(`latents must be [B,C,h,w], got [${samples.dims.join(",")}]`);
  return writeSafetensors(
    {
      latent_tensor: { dims: [...samples.dims], data: samples.data },
      latent_format_version_0: { dims: [0], data: new Float32Array(0) },
    },
    { format: "pt", ...metadata },
  );
}
