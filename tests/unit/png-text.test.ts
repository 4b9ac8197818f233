/**
 * Save Image's text chunks: a graph document under COMPRESS_TEXT_FROM (16 KiB) is stored as it is
 * (no zlib stream on the run's path, as ComfyUI stores its tEXt), a larger one deflated; both read back.
 */
import { describe, expect, it } from "vitest";
import { encodePng, PNG_TEXT_KEYS, readPngText } from "../../server/media/png";
import { COMPRESS_TEXT_FROM } from "../../server/media/png/metadata";

/** The compression flag of each iTXt chunk, by keyword (chunk layout: length, type, keyword\0, flag…). */
function itxtFlags(png: Uint8Array): Record<string, number> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Record<string, number> = {};
  for (let p = 8; p < png.length; ) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    if (type === "iTXt") {
      const data = png.subarray(p + 8, p + 8 + len);
      const nul = data.indexOf(0);
      out[String.fromCharCode(...data.subarray(0, nul))] = data[nul + 1];
    }
    p += 12 + len;
  }
  return out;
}

const px = { width: 2, height: 2, channels: 3 as const, data: new Uint8Array(12).fill(90) };
const docOf = (bytes: number) => JSON.stringify({ nodes: [{ id: "n", note: "x".repeat(bytes) }] });

describe("PNG document text chunk", () => {
  it("a 10 KiB document is stored uncompressed and reads back", () => {
    const doc = docOf(10 * 1024);
    expect(doc.length).toBeLessThan(COMPRESS_TEXT_FROM);
    const png = encodePng(px, { [PNG_TEXT_KEYS.document]: doc });
    expect(itxtFlags(png)[PNG_TEXT_KEYS.document]).toBe(0);
    expect(png.length).toBeGreaterThan(doc.length);
    expect(readPngText(png)[PNG_TEXT_KEYS.document]).toBe(doc);
  });

  it("a document over 16 KiB is deflated and reads back", () => {
    const doc = docOf(40 * 1024);
    const png = encodePng(px, { [PNG_TEXT_KEYS.document]: doc });
    expect(itxtFlags(png)[PNG_TEXT_KEYS.document]).toBe(1);
    expect(png.length).toBeLessThan(doc.length / 4);
    expect(readPngText(png)[PNG_TEXT_KEYS.document]).toBe(doc);
  });
});
