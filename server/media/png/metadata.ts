/**
 * PNG text chunks (tEXt, zTXt, iTXt): Petalflow's keys, the bounds a reader enforces, writing iTXt and
 * reading all three from a hostile file without decoding any pixels.
 */
import { deflateSync, inflateSync } from "node:zlib";
import { chunks, latin1, makeChunk, PngError, parseIhdr } from "./chunks";

/** Bounds that `readPngText` enforces (and `encodePng` respects, so that what we write reads back). */
export const PNG_TEXT_LIMITS = {
  /** Most tEXt/zTXt/iTXt chunks in one file. */
  maxChunks: 64,
  /** Most bytes of text, all chunks together, after decompression. */
  maxTextBytes: 8 * 1024 * 1024,
} as const;

/** Keys Petalflow stores in its PNGs: the graph document JSON, and the seeds JSON. */
export const PNG_TEXT_KEYS = { document: "petalflow", seeds: "petalflow-seeds" } as const;

/**
 * iTXt text at least this long (UTF-8 bytes) is stored deflated. Below it, stored as it is (as ComfyUI
 * stores its prompt/workflow tEXt): a typical graph document is 5–15 KiB, and deflating it cost a
 * fresh zlib stream, ≈ 0.3 ms of Save Image's time in a run (a few KiB of file size saved).
 */
export const COMPRESS_TEXT_FROM = 16 * 1024;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

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
export function iTXtChunk(key: string, value: string): Uint8Array {
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
