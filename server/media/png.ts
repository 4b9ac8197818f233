/**
 * PNG/JPEG reading and writing for the server: images with embedded graph documents (text chunks),
 * uploads decoded under explicit limits, and conversions between image tensors and 8-bit pixels.
 *
 * Pixels are decoded by fast-png and jpeg-js, and encoded here with node:zlib. The chunk layer
 * (signature, lengths, CRCs, text chunks) is our own, so that text can be read from a hostile file
 * without decoding any pixels, and every failure is a `PngError` / `ImageError` with a specific message.
 */
// The parts live in ./png/ (chunks, metadata, encode, decode, tensors); this module is their public face.
export {
  type DecodeLimits,
  ImageError,
  isJpeg,
  isPng,
  PngError,
  type RgbaImage,
  type RgbImage,
} from "./png/chunks";
export { checkJpegScans, checkPixels, decodeImage, jpegFrame } from "./png/decode";
export { type EncodePngOptions, encodePng } from "./png/encode";
export { PNG_TEXT_KEYS, PNG_TEXT_LIMITS, readPngText } from "./png/metadata";
export { imageTensorToPngs, resizeRgba, rgbaAlphaToMask, rgbaToTensor, tensorItemToRgb } from "./png/tensors";
