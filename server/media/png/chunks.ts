/**
 * The PNG chunk layer: signature, chunk walk (lengths, types, CRCs), IHDR, chunk writing; the image
 * error types and pixel shapes shared by encoding and decoding. Our own, so that a hostile file can be
 * read without decoding pixels and every failure is a `PngError` / `ImageError` with a specific message.
 */
import { Buffer } from "node:buffer";
import { crc32 } from "node:zlib";

/** Any failure to read an image: unknown format, over the limits, corrupt data. */
export class ImageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ImageError";
  }
}

/** A PNG-specific failure (structure, CRC, text chunks). Also an `ImageError`. */
export class PngError extends ImageError {
  readonly code = "PNG_ERROR";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PngError";
  }
}

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved 8-bit samples, row-major, `channels` per pixel. */
  data: Uint8Array;
  channels: 3 | 4;
}

export interface RgbaImage {
  width: number;
  height: number;
  /** Interleaved RGBA, 8 bits per sample, row-major. */
  data: Uint8Array;
}

export interface DecodeLimits {
  /** Most pixels (width × height), checked against the header before anything is decoded. */
  maxPixels: number;
  /** Most bytes the encoded file may have. */
  maxBytes: number;
}

export const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_CHUNK_LENGTH = 0x7fffffff;

export interface Chunk {
  type: string;
  /** Byte offset of the chunk's length field in the file. */
  at: number;
  data: Uint8Array;
}

export interface Ihdr {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** True when `bytes` starts with the 8-byte PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((v, i) => bytes[i] === v);
}

/** True when `bytes` starts like a JPEG (SOI marker followed by another marker). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function checkSignature(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new PngError("expected the PNG file as a Uint8Array");
  if (bytes.length === 0) throw new PngError("empty input: 0 bytes, not a PNG file");
  if (bytes.length < 8) {
    const prefix = Array.from(bytes).every((v, i) => v === SIGNATURE[i]);
    throw new PngError(
      prefix
        ? `truncated PNG: the file ends inside the 8-byte signature (${bytes.length} bytes)`
        : "not a PNG file: bad signature",
    );
  }
  if (!isPng(bytes)) throw new PngError("not a PNG file: bad signature");
}

/**
 * Walks the chunks of a PNG up to IEND, checking lengths, chunk types and CRCs. Allocates nothing
 * from header values: each chunk's data is a view into `bytes`.
 */
export function* chunks(bytes: Uint8Array): Generator<Chunk> {
  checkSignature(bytes);
  const n = bytes.length;
  let pos = 8;
  let first = true;
  for (;;) {
    if (pos === n) throw new PngError(`truncated PNG: the file ends after ${n} bytes without an IEND chunk`);
    if (pos + 8 > n) throw new PngError(`truncated PNG: the chunk header at byte ${pos} is cut off`);
    const length = u32(bytes, pos);
    for (let i = 4; i < 8; i++) {
      if (!isLetter(bytes[pos + i])) throw new PngError(`corrupt PNG: invalid chunk type at byte ${pos}`);
    }
    const type = latin1(bytes.subarray(pos + 4, pos + 8));
    if (length > MAX_CHUNK_LENGTH) {
      throw new PngError(`corrupt PNG: chunk ${type} at byte ${pos} declares length ${length}, over 2^31−1`);
    }
    if (pos + 12 + length > n) {
      throw new PngError(
        `truncated PNG: chunk ${type} at byte ${pos} declares ${length} data bytes, past the end of the file (${n} bytes)`,
      );
    }
    const stored = u32(bytes, pos + 8 + length);
    const computed = crc32(bytes.subarray(pos + 4, pos + 8 + length)) >>> 0;
    if (stored !== computed) {
      throw new PngError(
        `corrupt PNG: CRC mismatch in chunk ${type} at byte ${pos} (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})`,
      );
    }
    if (first && type !== "IHDR") throw new PngError(`corrupt PNG: the first chunk is ${type}, not IHDR`);
    first = false;
    yield { type, at: pos, data: bytes.subarray(pos + 8, pos + 8 + length) };
    if (type === "IEND") return;
    pos += 12 + length;
  }
}

const VALID_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
export const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export function parseIhdr(c: Chunk): Ihdr {
  if (c.data.length !== 13) throw new PngError(`corrupt PNG: IHDR has ${c.data.length} bytes, not 13`);
  const d = c.data;
  const h: Ihdr = { width: u32(d, 0), height: u32(d, 4), depth: d[8], colorType: d[9], interlace: d[12] };
  if (h.width === 0 || h.height === 0 || h.width > MAX_CHUNK_LENGTH || h.height > MAX_CHUNK_LENGTH) {
    throw new PngError(`corrupt PNG: invalid dimensions ${h.width}×${h.height}`);
  }
  const depths = VALID_DEPTHS[h.colorType];
  if (!depths) throw new PngError(`corrupt PNG: unknown colour type ${h.colorType}`);
  if (!depths.includes(h.depth)) {
    throw new PngError(`corrupt PNG: bit depth ${h.depth} is not allowed for colour type ${h.colorType}`);
  }
  if (d[10] !== 0 || d[11] !== 0) throw new PngError("corrupt PNG: unknown compression or filter method");
  if (h.interlace > 1) throw new PngError(`corrupt PNG: unknown interlace method ${h.interlace}`);
  return h;
}

export function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  putU32(out, 0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  putU32(out, 8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}
