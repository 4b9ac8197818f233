/**
 * Saved PNGs are deflated at ComfyUI's Save Image level (compress_level 4), and still decode to the
 * exact pixels that went in.
 */
import { deflateSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Tensor } from "../../core/node/values";
import { decodeImage, imageTensorToPngs, tensorItemToRgb } from "../../server/media/png";
import { chunks } from "../../server/media/png/chunks";
import { SAVED_PNG_LEVEL, windowBitsFor } from "../../server/media/png/encode";

const LIMITS = { maxPixels: 4_000_000, maxBytes: 50_000_000 };

/** A 2-item [2,3,H,W] render-like image: smooth gradients plus a deterministic pseudo-random texture. */
function image(h: number, w: number): Tensor {
  const data = new Float32Array(2 * 3 * h * w);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const p = i % (h * w);
    data[i] = 0.5 + 0.4 * Math.sin(p / 97 + Math.floor(i / (h * w))) + ((s >>> 16) / 65536 - 0.5) * 0.2;
  }
  return new Tensor([2, 3, h, w], data);
}

function idat(png: Uint8Array): Uint8Array {
  const parts = [...chunks(png)].filter((c) => c.type === "IDAT").map((c) => c.data);
  expect(parts.length).toBe(1);
  return parts[0];
}

describe("saved PNG compression", () => {
  it("is zlib level 4, as ComfyUI's Save Image writes", () => {
    expect(SAVED_PNG_LEVEL).toBe(4);
    const pngs = imageTensorToPngs(image(64, 80), { petalflow: "{}" });
    for (const png of pngs) {
      const stream = idat(png);
      const filtered = inflateSync(stream);
      // Same bytes as zlib gives at level 4 (and not what its default level 6 gives), with the window
      // sized to the data (windowBitsFor; the stream's body is the same as with zlib's default window).
      const windowBits = windowBitsFor(filtered.length);
      expect(Buffer.from(stream).equals(deflateSync(filtered, { level: 4, windowBits }))).toBe(true);
      expect(Buffer.from(stream).equals(deflateSync(filtered, { level: 6, windowBits }))).toBe(false);
    }
  });

  it("decodes to exactly the pixels that went in", () => {
    const t = image(48, 40);
    const pngs = imageTensorToPngs(t);
    pngs.forEach((png, i) => {
      const img = decodeImage(png, LIMITS);
      const rgb = tensorItemToRgb(t, i);
      expect([img.width, img.height]).toEqual([40, 48]);
      for (let p = 0; p < 40 * 48; p++) {
        expect([img.data[p * 4], img.data[p * 4 + 1], img.data[p * 4 + 2], img.data[p * 4 + 3]]).toEqual([
          rgb[p * 3],
          rgb[p * 3 + 1],
          rgb[p * 3 + 2],
          255,
        ]);
      }
    });
  });

  it("sizes zlib's window to a small image's data: the same deflate stream, a header naming the smaller window", () => {
    // 64×64 RGB: 64 rows of 1 + 192 bytes = 12352 bytes, which a 16 KiB window holds (with zlib's 262-byte lookahead).
    const [png] = imageTensorToPngs(image(64, 64));
    const stream = idat(png);
    const filtered = inflateSync(stream);
    expect(filtered.length).toBe(12352);
    expect(windowBitsFor(filtered.length)).toBe(14);
    expect(stream[0] >> 4).toBe(14 - 8); // CINFO: log2(window) − 8
    expect(Buffer.from(stream.subarray(2)).equals(deflateSync(filtered, { level: 4 }).subarray(2))).toBe(
      true,
    );
    // Larger data keeps the full 32 KiB window: the very bytes zlib's defaults give.
    const [big] = imageTensorToPngs(image(128, 128));
    const bigStream = idat(big);
    expect(Buffer.from(bigStream).equals(deflateSync(inflateSync(bigStream), { level: 4 }))).toBe(true);
  });

  it("picks the smallest window that holds the data with the lookahead", () => {
    expect(windowBitsFor(0)).toBe(9);
    expect(windowBitsFor(512 - 262)).toBe(9);
    expect(windowBitsFor(512 - 261)).toBe(10);
    expect(windowBitsFor(16384 - 262)).toBe(14);
    expect(windowBitsFor(16384 - 261)).toBe(15);
    expect(windowBitsFor(10_000_000)).toBe(15);
  });
});
