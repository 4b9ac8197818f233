/**
 * Decoding PNG (fast-png, after our own chunk and size checks) and JPEG (jpeg-js, after a frame and
 * scan-count check) to 8-bit RGBA under explicit limits.
 */
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import { decode as fastPngDecode } from "fast-png";
import jpeg from "jpeg-js";
import { countJpegMarkers, MAX_JPEG_SCANS, MAX_JPEG_SEGMENTS } from "../jpeg-scans";
import {
  CHANNELS,
  chunks,
  type DecodeLimits,
  type Ihdr,
  ImageError,
  isJpeg,
  isPng,
  PngError,
  parseIhdr,
  type RgbaImage,
} from "./chunks";

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
