/**
 * Image decoding for uploads and Load Image, off the JavaScript thread: JPEGs are decoded by sharp
 * (libvips, on libuv's thread pool) with its input-pixel limit and a time budget, after a cheap walk
 * over the markers has refused files with absurd scan counts. PNGs keep the checked decoder in
 * ./png.ts (its sizes and zlib output are bounded before inflating).
 */
import type { OutputInfo } from "sharp";
import {
  checkJpegScans,
  checkPixels,
  type DecodeLimits,
  decodeImage,
  ImageError,
  isJpeg,
  jpegFrame,
  type RgbaImage,
} from "./png";

/** A JPEG that takes longer than this to decode is refused (seconds of CPU, on a pool thread). */
export const JPEG_DECODE_TIMEOUT_S = 20;

/** Like `decodeImage` (same checks, same ImageError messages), without decoding JPEGs on this thread. */
export async function decodeImageAsync(bytes: Uint8Array, limits: DecodeLimits): Promise<RgbaImage> {
  if (
    !(bytes instanceof Uint8Array) ||
    bytes.length === 0 ||
    bytes.length > limits.maxBytes ||
    !isJpeg(bytes)
  )
    return decodeImage(bytes, limits);
  const { width, height } = jpegFrame(bytes);
  checkPixels(width, height, limits, "JPEG image");
  checkJpegScans(bytes);
  let out: { data: Buffer; info: OutputInfo };
  // Loaded on the first JPEG: libvips costs ~0.1 s at every start of the CLI and the runner otherwise.
  const { default: sharp } = await import("sharp");
  try {
    out = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: "error", sequentialRead: true })
      .timeout({ seconds: JPEG_DECODE_TIMEOUT_S })
      .toColourspace("srgb")
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/timeout/i.test(message))
      throw new ImageError(`JPEG image took more than ${JPEG_DECODE_TIMEOUT_S} s to decode: refused`, {
        cause: e,
      });
    throw new ImageError(`corrupt JPEG: ${message.split("\n")[0]}`, { cause: e });
  }
  const { info, data } = out;
  if (info.width !== width || info.height !== height || info.channels !== 4)
    throw new ImageError("corrupt JPEG: decoded size does not match the frame header");
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
