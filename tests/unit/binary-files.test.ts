/**
 * Binary readers on bytes as they come from the file system: a Node Buffer from fs.readFileSync of a
 * small file is a view into Node's shared 8 KiB pool, and fs.promises.readFile gives a Buffer whose
 * sub-views share the whole file. A reader that takes `.buffer` (or Buffer#slice().buffer, also a view)
 * gets other bytes than the ones it was given. In-memory Uint8Array copies hide this.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { encode as fastPngEncode } from "fast-png";
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { Tensor } from "../../core/node/values";
import { decodeImage, encodePng, readPngText } from "../../server/media/png";
import {
  readLatentFile,
  readSafetensors,
  writeLatentFile,
  writeSafetensors,
} from "../../server/media/safetensors";

const dir = mkdtempSync(path.join(tmpdir(), "pf-binary-"));
const limits = { maxPixels: 1 << 20, maxBytes: 1 << 24 };

/** The file read back both ways; asserts the sync read really is a view into a larger buffer. */
async function readBack(name: string, bytes: Uint8Array): Promise<Uint8Array[]> {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  const pooled = readFileSync(file);
  expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength); // the condition of the bug
  return [pooled, await readFile(file)];
}

describe("binary readers on bytes read from disk", () => {
  it("reads a .latent file written by writeLatentFile: shape, values, metadata", async () => {
    const samples = new Tensor(
      [1, 4, 8, 8],
      Float32Array.from({ length: 256 }, (_, i) => Math.sin(i) * 3),
    );
    for (const bytes of await readBack("a.latent", writeLatentFile(samples, { petalflow_sigma: "1.5" }))) {
      const back = readLatentFile(bytes);
      expect(back.samples.dims).toEqual([1, 4, 8, 8]);
      expect(back.samples.data).toEqual(samples.data);
      expect(back.metadata.petalflow_sigma).toBe("1.5");
    }
  });

  it("reads float32 tensors from a safetensors file", async () => {
    const w = { dims: [2, 3], data: Float32Array.of(1, -2, 0.5, 4, 8, -16) };
    for (const bytes of await readBack("a.safetensors", writeSafetensors({ w, v: w }))) {
      const t = readSafetensors(bytes).tensors;
      expect(t.w).toEqual(w);
      expect(t.v).toEqual(w);
    }
  });

  it("decodes PNG (8- and 16-bit), reads its text, and decodes JPEG", async () => {
    const rgb = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 37) % 256);
    const png = encodePng({ width: 4, height: 4, data: rgb, channels: 3 }, { petalflow: '{"a":1}' });
    for (const bytes of await readBack("a.png", png)) {
      const img = decodeImage(bytes, limits);
      expect([img.width, img.height]).toEqual([4, 4]);
      expect(Array.from(img.data.subarray(0, 8))).toEqual([
        rgb[0],
        rgb[1],
        rgb[2],
        255,
        rgb[3],
        rgb[4],
        rgb[5],
        255,
      ]);
      expect(readPngText(bytes)).toEqual({ petalflow: '{"a":1}' });
    }
    const deep = fastPngEncode({
      width: 2,
      height: 1,
      depth: 16,
      channels: 3,
      data: Uint16Array.of(0, 65535, 257 * 10, 257 * 200, 0, 65535),
    });
    for (const bytes of await readBack("b.png", deep))
      expect(Array.from(decodeImage(bytes, limits).data)).toEqual([0, 255, 10, 255, 200, 0, 255, 255]);
    const jpg = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(200) }, 95).data;
    for (const bytes of await readBack("a.jpg", jpg)) {
      const img = decodeImage(bytes, limits);
      expect([img.width, img.height]).toEqual([8, 8]);
      for (const v of img.data) expect(Math.abs(v - 200) <= 2 || v === 255).toBe(true);
    }
  });
});
