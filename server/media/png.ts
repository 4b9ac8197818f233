/**
 * PNG/JPEG reading and writing for the server: images with embedded graph documents (text chunks),
 * uploads decoded under explicit limits, and conversions between image tensors and 8-bit pixels.
 *
 * Pixels are decoded by fast-png and jpeg-js, and encoded here with node:zlib. The chunk layer
 * (signature, lengths, CRCs, text chunks) is our own, so that text can be read from a hostile file
 * without decoding any pixels, and every failure is a `PngError` / `ImageError` with a specific message.
 */
import { Buffer } from "node:buffer";
import { crc32, deflateSync, inflateSync } from "node:zlib";
import { decode as fastPngDecode } from "fast-png";
import jpeg from "jpeg-js";
import { Tensor } from "../../core/node/values";
import { countJpegMarkers, MAX_JPEG_SCANS, MAX_JPEG_SEGMENTS } from "./jpeg-scans";

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

/** Bounds that `readPngText` enforces (and `encodePng` respects, so that what we write reads back). */
export const PNG_TEXT_LIMITS = {
  /** Most tEXt/zTXt/iTXt chunks in one file. */
  maxChunks: 64,
  /** Most bytes of text, all chunks together, after decompression. */
  maxTextBytes: 8 * 1024 * 1024,
} as const;

/** Keys Petalflow stores in its PNGs: the graph document JSON, and the seeds JSON. */
export const PNG_TEXT_KEYS = { document: "petalflow", seeds: "petalflow-seeds" } as const;

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

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_CHUNK_LENGTH = 0x7fffffff;
/** iTXt text at least this long (UTF-8 bytes) is stored deflated. */
const COMPRESS_TEXT_FROM = 1024;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

// ---------------------------------------------------------------------------------------------------
// Chunk layer

interface Chunk {
  type: string;
  /** Byte offset of the chunk's length field in the file. */
  at: number;
  data: Uint8Array;
}

interface Ihdr {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function latin1(b: Uint8Array): string {
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
function* chunks(bytes: Uint8Array): Generator<Chunk> {
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
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function parseIhdr(c: Chunk): Ihdr {
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

function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  putU32(out, 0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  putU32(out, 8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Text chunks

function checkKeyword(key: string): void {
  if (key.length < 1 || key.length > 79)
    throw new PngError(`PNG text keyword must have 1–79 characters: "${key}"`);
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 0x20 && c <= 0x7e) || (c >= 0xa1 && c <= 0xff))) {
      throw new PngError(`PNG text keyword must be printable Latin-1: "${key}"`);
    }
  }
  if (key.startsWith(" ") || key.endsWith(" ") || key.includes("  ")) {
    throw new PngError(`PNG text keyword must not have leading, trailing or double spaces: "${key}"`);
  }
}

/** An iTXt chunk (UTF-8; deflated when long), with empty language tag and translated keyword. */
function iTXtChunk(key: string, value: string): Uint8Array {
  checkKeyword(key);
  const text = utf8Encoder.encode(value);
  const compress = text.length >= COMPRESS_TEXT_FROM;
  const body = compress ? deflateSync(text) : text;
  const data = new Uint8Array(key.length + 5 + body.length);
  for (let i = 0; i < key.length; i++) data[i] = key.charCodeAt(i);
  let p = key.length;
  data[p++] = 0; // keyword terminator
  data[p++] = compress ? 1 : 0; // compression flag
  data[p++] = 0; // compression method: zlib
  data[p++] = 0; // empty language tag
  data[p++] = 0; // empty translated keyword
  data.set(body, p);
  return makeChunk("iTXt", data);
}

function inflateText(data: Uint8Array, budget: number, where: string): Uint8Array {
  try {
    return inflateSync(data, { maxOutputLength: Math.max(1, budget) });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new PngError(`PNG text is too large: over ${PNG_TEXT_LIMITS.maxTextBytes} bytes in all`);
    }
    throw new PngError(`corrupt PNG: the compressed text of ${where} does not inflate`, { cause: e });
  }
}

function nulAt(d: Uint8Array, from: number, where: string): number {
  const i = d.indexOf(0, from);
  if (i < 0) throw new PngError(`corrupt PNG: ${where} is missing a NUL separator`);
  return i;
}

/**
 * Reads the tEXt, zTXt and iTXt chunks of a PNG without decoding any pixels. Later chunks with the same
 * keyword override earlier ones. Every chunk's CRC is checked. Throws only `PngError`.
 */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  try {
    return readPngTextUnsafe(bytes);
  } catch (e) {
    if (e instanceof PngError) throw e;
    throw new PngError(`corrupt PNG: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function readPngTextUnsafe(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  let count = 0;
  let used = 0;
  const budget = () => PNG_TEXT_LIMITS.maxTextBytes - used;
  for (const c of chunks(bytes)) {
    if (c.type === "IHDR") parseIhdr(c);
    if (c.type !== "tEXt" && c.type !== "zTXt" && c.type !== "iTXt") continue;
    if (++count > PNG_TEXT_LIMITS.maxChunks) {
      throw new PngError(`PNG has more than ${PNG_TEXT_LIMITS.maxChunks} text chunks`);
    }
    const where = `the ${c.type} chunk at byte ${c.at}`;
    const d = c.data;
    const end = d.indexOf(0);
    if (end < 1 || end > 79) throw new PngError(`corrupt PNG: ${where} has an invalid keyword`);
    const key = latin1(d.subarray(0, end));
    let raw: Uint8Array;
    let utf8 = false;
    if (c.type === "tEXt") {
      raw = d.subarray(end + 1);
    } else if (c.type === "zTXt") {
      if (d.length < end + 2 || d[end + 1] !== 0) {
        throw new PngError(`corrupt PNG: ${where} has an unknown compression method`);
      }
      raw = inflateText(d.subarray(end + 2), budget(), where);
    } else {
      if (d.length < end + 3) throw new PngError(`corrupt PNG: ${where} is too short`);
      const flag = d[end + 1];
      const method = d[end + 2];
      if (flag > 1 || (flag === 1 && method !== 0)) {
        throw new PngError(`corrupt PNG: ${where} has an unknown compression flag or method`);
      }
      const langEnd = nulAt(d, end + 3, where);
      const transEnd = nulAt(d, langEnd + 1, where);
      raw = d.subarray(transEnd + 1);
      if (flag === 1) raw = inflateText(raw, budget(), where);
      utf8 = true;
    }
    used += raw.length;
    if (used > PNG_TEXT_LIMITS.maxTextBytes) {
      throw new PngError(`PNG text is too large: over ${PNG_TEXT_LIMITS.maxTextBytes} bytes in all`);
    }
    if (utf8) {
      try {
        out[key] = utf8Decoder.decode(raw);
      } catch (e) {
        throw new PngError(`corrupt PNG: the text of ${where} is not valid UTF-8`, { cause: e });
      }
    } else {
      out[key] = latin1(raw);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Encoding

export interface EncodePngOptions {
  /** zlib level for the pixel data, 0–9 (default 6). Live previews use 1. */
  compressionLevel?: number;
}

/**
 * Encodes 8-bit RGB or RGBA pixels as a PNG, with each `text` entry in an iTXt chunk (UTF-8, deflated
 * when 1 KiB or longer) placed right after IHDR, so readers find it before the pixel data.
 *
 * Written directly (rows with the "Up" filter, deflated by node:zlib) rather than through fast-png,
 * whose encoder is about ten times slower and writes only Latin-1 tEXt chunks.
 */
export function encodePng(
  rgb: RgbImage,
  text?: Record<string, string>,
  options?: EncodePngOptions,
): Uint8Array {
  const { width, height, data, channels } = rgb;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PngError(`cannot encode a ${width}×${height} PNG: dimensions must be positive integers`);
  }
  if (channels !== 3 && channels !== 4) throw new PngError(`cannot encode a PNG with ${channels} channels`);
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new PngError(
      `PNG pixel data has ${data.length} bytes; ${width}×${height}×${channels} needs ${width * height * channels}`,
    );
  }
  const entries = Object.entries(text ?? {});
  if (entries.length > PNG_TEXT_LIMITS.maxChunks) {
    throw new PngError(`cannot write more than ${PNG_TEXT_LIMITS.maxChunks} PNG text chunks`);
  }
  let textBytes = 0;
  const textChunks = entries.map(([k, v]) => {
    textBytes += Buffer.byteLength(v, "utf8");
    return iTXtChunk(k, v);
  });
  if (textBytes > PNG_TEXT_LIMITS.maxTextBytes) {
    throw new PngError(`cannot write more than ${PNG_TEXT_LIMITS.maxTextBytes} bytes of PNG text`);
  }

  const ihdr = new Uint8Array(13);
  putU32(ihdr, 0, width);
  putU32(ihdr, 4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 4 ? 6 : 2; // colour type: RGBA or RGB
  // compression, filter and interlace methods: 0

  // Filtered scanlines: row 0 unfiltered, then "Up" (difference with the row above).
  const line = width * channels;
  const raw = new Uint8Array(height * (line + 1));
  raw.set(data.subarray(0, line), 1);
  for (let y = 1; y < height; y++) {
    const o = y * (line + 1);
    raw[o] = 2;
    const cur = y * line;
    const prev = cur - line;
    for (let i = 0; i < line; i++) raw[o + 1 + i] = data[cur + i] - data[prev + i];
  }
  const level = options?.compressionLevel ?? 6;
  const idat = deflateSync(raw, { level });

  const parts = [
    Uint8Array.from(SIGNATURE),
    makeChunk("IHDR", ihdr),
    ...textChunks,
    makeChunk("IDAT", idat),
    makeChunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Decoding

/**
 * Decodes a PNG (any bit depth and colour type) or a JPEG (baseline or progressive), detected by its
 * magic bytes, to 8-bit RGBA. The dimensions are read from the header and checked against `limits`
 * before any pixel is decoded. Throws only `ImageError` (or its subclass `PngError`).
 */
export function decodeImage(bytes: Uint8Array, limits: DecodeLimits): RgbaImage {
  if (!(bytes instanceof Uint8Array)) throw new ImageError("expected the image file as a Uint8Array");
  if (!(limits.maxPixels > 0) || !(limits.maxBytes > 0)) throw new ImageError("invalid image decode limits");
  if (bytes.length === 0) throw new ImageError("empty image file (0 bytes)");
  if (bytes.length > limits.maxBytes) {
    throw new ImageError(`image file is ${bytes.length} bytes, over the limit of ${limits.maxBytes}`);
  }
  try {
    if (isPng(bytes)) return decodePngRgba(bytes, limits);
    if (isJpeg(bytes)) return decodeJpegRgba(bytes, limits);
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError(`corrupt image: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  throw new ImageError("not a PNG or JPEG image");
}

export function checkPixels(width: number, height: number, limits: DecodeLimits, kind: string): void {
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw new ImageError(
      `${kind} is ${width}×${height} = ${pixels} pixels, over the limit of ${limits.maxPixels}`,
    );
  }
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Bytes of filtered scanlines (filter byte included) that the IDAT stream must inflate to. */
function rawImageBytes(h: Ihdr): number {
  const bits = CHANNELS[h.colorType] * h.depth;
  const line = (w: number) => 1 + Math.ceil((w * bits) / 8);
  if (h.interlace === 0) return h.height * line(h.width);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const pw = Math.ceil((h.width - x0) / dx);
    const ph = Math.ceil((h.height - y0) / dy);
    if (pw > 0 && ph > 0) total += ph * line(pw);
  }
  return total;
}

function decodePngRgba(bytes: Uint8Array, limits: DecodeLimits): RgbaImage {
  let ihdr: Ihdr | undefined;
  const idat: Uint8Array[] = [];
  let hasPalette = false;
  // fast-png gets only the chunks that matter for pixels: it would inflate an iCCP profile without bound.
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const c of chunks(bytes)) {
    if (c.type === "IHDR") {
      ihdr = parseIhdr(c);
      checkPixels(ihdr.width, ihdr.height, limits, "PNG image");
    } else if (c.type === "IDAT") idat.push(c.data);
    else if (c.type === "PLTE") hasPalette = true;
    else if (c.type !== "tRNS" && c.type !== "IEND") continue;
    kept.push(bytes.subarray(c.at, c.at + 12 + c.data.length));
  }
  const h = ihdr as Ihdr;
  if (idat.length === 0) throw new PngError("corrupt PNG: no IDAT chunk");
  if (h.colorType === 3 && !hasPalette) throw new PngError("corrupt PNG: indexed-colour image without PLTE");
  if (h.interlace === 1 && h.depth < 8) {
    throw new PngError("unsupported PNG: interlaced images with fewer than 8 bits per sample");
  }
  // Inflate once under a cap, so a small file cannot expand without bound inside the decoder.
  const expected = rawImageBytes(h);
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new PngError("corrupt PNG: the image data inflates to more than its dimensions allow");
    }
    throw new PngError("corrupt PNG: the image data does not inflate", { cause: e });
  }
  if (inflated.length !== expected) {
    throw new PngError(`corrupt PNG: the image data holds ${inflated.length} of ${expected} bytes`);
  }
  let png: ReturnType<typeof fastPngDecode>;
  try {
    png = fastPngDecode(Buffer.concat(kept));
  } catch (e) {
    throw new PngError(`corrupt PNG: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return pngToRgba(png, h);
}

function pngToRgba(png: ReturnType<typeof fastPngDecode>, h: Ihdr): RgbaImage {
  const { width, height, depth } = h;
  const ch = CHANNELS[h.colorType];
  const out = new Uint8Array(width * height * 4);
  const src = png.data;
  const max = (1 << depth) - 1;
  // Packed rows (depth < 8) are byte-aligned; otherwise one array element per sample.
  const stride = depth < 8 ? Math.ceil((width * depth) / 8) : width * ch;
  const sample = (x: number, y: number, c: number): number => {
    if (depth >= 8) return src[y * stride + x * ch + c];
    const bit = x * depth;
    return (src[y * stride + (bit >> 3)] >> (8 - depth - (bit & 7))) & max;
  };
  const to8 = depth === 16 ? (v: number) => ((v * 255 + 32767) / 65535) | 0 : (v: number) => (v * 255) / max;
  const palette = png.palette ?? [];
  const key = png.transparency;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (h.colorType === 3) {
        const col = palette[sample(x, y, 0)];
        out[o] = col ? col[0] : 0;
        out[o + 1] = col ? col[1] : 0;
        out[o + 2] = col ? col[2] : 0;
        out[o + 3] = col && col.length > 3 ? col[3] : 255;
      } else if (ch <= 2) {
        const g = sample(x, y, 0);
        out[o] = out[o + 1] = out[o + 2] = to8(g);
        out[o + 3] = ch === 2 ? to8(sample(x, y, 1)) : key && key[0] === g ? 0 : 255;
      } else {
        const r = sample(x, y, 0);
        const g = sample(x, y, 1);
        const b = sample(x, y, 2);
        out[o] = to8(r);
        out[o + 1] = to8(g);
        out[o + 2] = to8(b);
        out[o + 3] =
          ch === 4 ? to8(sample(x, y, 3)) : key && key[0] === r && key[1] === g && key[2] === b ? 0 : 255;
      }
    }
  }
  return { width, height, data: out };
}

/** The frame size of a JPEG, read from its SOF segment without decoding. */
export function jpegFrame(bytes: Uint8Array): { width: number; height: number } {
  const n = bytes.length;
  let pos = 2;
  for (;;) {
    if (pos >= n) throw new ImageError("truncated JPEG: no frame header (SOF) found");
    if (bytes[pos] !== 0xff) throw new ImageError(`corrupt JPEG: expected a marker at byte ${pos}`);
    while (pos < n && bytes[pos] === 0xff) pos++; // fill bytes
    if (pos >= n) throw new ImageError("truncated JPEG: no frame header (SOF) found");
    const marker = bytes[pos];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      pos++;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) {
      throw new ImageError("corrupt JPEG: the image data starts before a frame header (SOF)");
    }
    if (pos + 3 > n) throw new ImageError(`truncated JPEG: the segment at byte ${pos - 1} is cut off`);
    const length = (bytes[pos + 1] << 8) | bytes[pos + 2];
    if (length < 2 || pos + 1 + length > n) {
      throw new ImageError(`truncated JPEG: the segment at byte ${pos - 1} runs past the end of the file`);
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (marker > 0xc2) {
        throw new ImageError("unsupported JPEG: only baseline and progressive (Huffman) JPEGs can be read");
      }
      if (length < 8) throw new ImageError("corrupt JPEG: frame header too short");
      const height = (bytes[pos + 4] << 8) | bytes[pos + 5];
      const width = (bytes[pos + 6] << 8) | bytes[pos + 7];
      if (width === 0 || height === 0)
        throw new ImageError(`unsupported JPEG: frame size ${width}×${height}`);
      return { width, height };
    }
    pos += 1 + length;
  }
}

/** Refuses a JPEG with more scans or segments than any encoder writes (each scan is a pass over the image). */
export function checkJpegScans(bytes: Uint8Array): void {
  const { scans, segments } = countJpegMarkers(bytes);
  if (scans > MAX_JPEG_SCANS)
    throw new ImageError(
      `unsupported JPEG: more than ${MAX_JPEG_SCANS} scans (each one is a pass over the whole image)`,
    );
  if (segments > MAX_JPEG_SEGMENTS)
    throw new ImageError(`unsupported JPEG: more than ${MAX_JPEG_SEGMENTS} segments`);
}

/** Whether an EOI marker (FF D9) sits in the last 32 bytes (encoders may pad a little after it). */
function hasEoiNearEnd(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 2; i >= Math.max(0, bytes.length - 32); i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  }
  return false;
}

function decodeJpegRgba(bytes: Uint8Array, limits: DecodeLimits): RgbaImage {
  const { width, height } = jpegFrame(bytes);
  checkPixels(width, height, limits, "JPEG image");
  checkJpegScans(bytes);
  // jpeg-js keeps one Int32 per coefficient per component (≤ 4 components) plus the RGBA output.
  const maxMemoryUsageInMB = Math.ceil((limits.maxPixels * 24) / (1024 * 1024)) + 32;
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: limits.maxPixels / 1e6,
      maxMemoryUsageInMB,
    });
  } catch (e) {
    const what = hasEoiNearEnd(bytes) ? "corrupt JPEG" : "truncated or corrupt JPEG (no end-of-image marker)";
    throw new ImageError(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (img.width !== width || img.height !== height || img.data.length !== width * height * 4) {
    throw new ImageError("corrupt JPEG: decoded size does not match the frame header");
  }
  return { width, height, data: img.data };
}

// ---------------------------------------------------------------------------------------------------
// Tensors ↔ pixels

function imageDims(t: Tensor): [number, number, number, number] {
  if (t.dims.length !== 4 || (t.dims[1] !== 3 && t.dims[1] !== 1)) {
    throw new Error(`expected an image tensor [B,3,H,W] (or [B,1,H,W]), got [${t.dims.join(",")}]`);
  }
  return [t.dims[0], t.dims[1], t.dims[2], t.dims[3]];
}

/** Batch item `i` of an image tensor [B,3,H,W] (or [B,1,H,W], as grey) in [0,1] → interleaved RGB8. */
export function tensorItemToRgb(t: Tensor, i: number): Uint8Array {
  const [b, c, h, w] = imageDims(t);
  if (!Number.isInteger(i) || i < 0 || i >= b)
    throw new Error(`batch item ${i} is out of range (batch ${b})`);
  const plane = h * w;
  const base = i * c * plane;
  const d = t.data;
  const out = new Uint8Array(plane * 3);
  for (let ch = 0; ch < 3; ch++) {
    const off = base + (c === 3 ? ch : 0) * plane;
    for (let p = 0; p < plane; p++) {
      const v = d[off + p];
      // NaN fails both comparisons and becomes 0.
      out[p * 3 + ch] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
    }
  }
  return out;
}

/**
 * One PNG per batch item of an image tensor [B,3,H,W]. `text` gives each item's text chunks (the same
 * record for all, or a function of the batch index).
 */
export function imageTensorToPngs(
  t: Tensor,
  text?: Record<string, string> | ((index: number) => Record<string, string> | undefined),
): Uint8Array[] {
  const [b, , height, width] = imageDims(t);
  const out: Uint8Array[] = [];
  for (let i = 0; i < b; i++) {
    const chunkText = typeof text === "function" ? text(i) : text;
    out.push(encodePng({ width, height, channels: 3, data: tensorItemToRgb(t, i) }, chunkText));
  }
  return out;
}

/**
 * RGBA8 pixels → an image tensor [1,3,H,W] in [0,1]. Alpha is dropped (as ComfyUI's Load Image does),
 * unless `background` (RGB in [0,1]) is given, in which case the pixels are composited over it.
 */
export function rgbaToTensor(
  img: RgbaImage,
  opts?: { background?: readonly [number, number, number] },
): Tensor {
  const { width, height, data } = img;
  const plane = width * height;
  if (data.length !== plane * 4) throw new Error(`RGBA data has ${data.length} bytes, expected ${plane * 4}`);
  const out = new Float32Array(plane * 3);
  const bg = opts?.background;
  for (let c = 0; c < 3; c++) {
    const off = c * plane;
    for (let p = 0; p < plane; p++) {
      const v = data[p * 4 + c] / 255;
      if (bg) {
        const a = data[p * 4 + 3] / 255;
        out[off + p] = v * a + bg[c] * (1 - a);
      } else {
        out[off + p] = v;
      }
    }
  }
  return new Tensor([1, 3, height, width], out);
}

/** The alpha channel as a mask [1,1,H,W], 1 where transparent (ComfyUI's Load Image convention). */
export function rgbaAlphaToMask(img: RgbaImage): Tensor {
  const plane = img.width * img.height;
  const out = new Float32Array(plane);
  for (let p = 0; p < plane; p++) out[p] = 1 - img.data[p * 4 + 3] / 255;
  return new Tensor([1, 1, img.height, img.width], out);
}

/**
 * Bilinear resize of RGBA8 pixels (pixel centres aligned, edges clamped). No antialiasing: shrinking by
 * more than 2× skips source pixels.
 */
export function resizeRgba(img: RgbaImage, width: number, height: number): RgbaImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`cannot resize to ${width}×${height}`);
  }
  const { width: sw, height: sh, data: src } = img;
  if (sw === width && sh === height) return { width, height, data: src.slice() };
  const out = new Uint8Array(width * height * 4);
  const sx = sw / width;
  const sy = sh / height;
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const fxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(x0s[x] + 1, sw - 1);
    fxs[x] = fx - x0s[x];
  }
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    const r0 = y0 * sw * 4;
    const r1 = y1 * sw * 4;
    for (let x = 0; x < width; x++) {
      const a = x0s[x] * 4;
      const b = x1s[x] * 4;
      const wx = fxs[x];
      const o = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) {
        const top = src[r0 + a + c] + (src[r0 + b + c] - src[r0 + a + c]) * wx;
        const bot = src[r1 + a + c] + (src[r1 + b + c] - src[r1 + a + c]) * wx;
        out[o + c] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { width, height, data: out };
}
