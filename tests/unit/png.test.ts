import { crc32, deflateSync } from "node:zlib";
import { encode as fastPngEncode } from "fast-png";
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { Tensor } from "../../core/node/values";
import {
  decodeImage,
  encodePng,
  ImageError,
  imageTensorToPngs,
  PngError,
  readPngText,
  resizeRgba,
  rgbaAlphaToMask,
  rgbaToTensor,
  tensorItemToRgb,
} from "../../server/media/png";

const LIMITS = { maxPixels: 4_000_000, maxBytes: 50_000_000 };

// --- helpers: build PNG chunks by hand, to make files our encoder never would -----------------------

function chunk(type: string, data: Uint8Array | number[]): Uint8Array {
  const d = Uint8Array.from(data);
  const out = new Uint8Array(12 + d.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, d.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(d, 8);
  v.setUint32(8 + d.length, crc32(out.subarray(4, 8 + d.length)) >>> 0);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

const latin1Bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Inserts chunks right after IHDR of a PNG. */
function withChunks(png: Uint8Array, ...chunks: Uint8Array[]): Uint8Array {
  return concat(png.subarray(0, 33), ...chunks, png.subarray(33));
}

/** Offsets of each chunk (its length field) by type. */
function chunkOffsets(png: Uint8Array): { type: string; at: number; length: number }[] {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out = [];
  for (let p = 8; p < png.length; ) {
    const length = v.getUint32(p);
    out.push({ type: String.fromCharCode(...png.subarray(p + 4, p + 8)), at: p, length });
    p += 12 + length;
  }
  return out;
}

function ihdr(width: number, height: number, depth = 8, colorType = 2): Uint8Array {
  const d = new Uint8Array(13);
  const v = new DataView(d.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  d[8] = depth;
  d[9] = colorType;
  return chunk("IHDR", d);
}

const SIG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IEND = chunk("IEND", []);

function gradient(width: number, height: number, channels: 3 | 4): Uint8Array {
  const d = new Uint8Array(width * height * channels);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37 + (i >> 5)) & 255;
  return d;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

/** Runs `f` and returns the error it threw (failing if it returned). */
function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

// --- encoding and text ------------------------------------------------------------------------------

describe("encodePng / decodeImage round trip", () => {
  it("keeps RGB pixels exactly", () => {
    const data = gradient(23, 17, 3);
    const img = decodeImage(encodePng({ width: 23, height: 17, channels: 3, data }), LIMITS);
    expect([img.width, img.height]).toEqual([23, 17]);
    for (let p = 0; p < 23 * 17; p++) {
      expect([...img.data.subarray(p * 4, p * 4 + 4)]).toEqual([
        data[p * 3],
        data[p * 3 + 1],
        data[p * 3 + 2],
        255,
      ]);
    }
  });

  it("keeps RGBA pixels exactly", () => {
    const data = gradient(9, 31, 4);
    const img = decodeImage(encodePng({ width: 9, height: 31, channels: 4, data }), LIMITS);
    expect(img.data).toEqual(data);
  });

  it("rejects pixel data of the wrong size", () => {
    const e = errorOf(() => encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(47) }));
    expect(e).toBeInstanceOf(PngError);
    expect(e.message).toMatch(/needs 48/);
  });
});

describe("PNG text chunks", () => {
  const px = { width: 2, height: 2, channels: 3 as const, data: gradient(2, 2, 3) };

  it("round-trips non-ASCII text in iTXt chunks placed before IDAT", () => {
    const doc = JSON.stringify({ title: "Fleur de cerisier ✿ 桜 — naïve Ωmega 🌸" });
    const png = encodePng(px, { petalflow: doc, "petalflow-seeds": '["18446744073709551615"]' });
    expect(readPngText(png)).toEqual({ petalflow: doc, "petalflow-seeds": '["18446744073709551615"]' });
    const types = chunkOffsets(png).map((c) => c.type);
    expect(types).toEqual(["IHDR", "iTXt", "iTXt", "IDAT", "IEND"]);
    // And the pixels still decode.
    expect(decodeImage(png, LIMITS).data[0]).toBe(px.data[0]);
  });

  it("round-trips a 200 KB JSON document (stored compressed)", () => {
    const rnd = seeded(7);
    const nodes = Array.from({ length: 2000 }, (_, i) => ({
      id: `n${i}`,
      label: `Nœud ${i} ${String.fromCharCode(0x4e00 + rnd() * 64)}`,
      x: rnd() * 1000,
    }));
    const doc = JSON.stringify({ nodes }).padEnd(200_000, " ");
    expect(doc.length).toBeGreaterThanOrEqual(200_000);
    const png = encodePng(px, { petalflow: doc });
    expect(png.length).toBeLessThan(150_000);
    expect(readPngText(png).petalflow).toBe(doc);
  });

  it("reads tEXt (Latin-1, as ComfyUI writes prompt/workflow) and zTXt chunks", () => {
    const base = encodePng(px);
    const png = withChunks(
      base,
      chunk("tEXt", concat(latin1Bytes("prompt\0"), latin1Bytes('{"1":"café ©"}'))),
      chunk("zTXt", concat(latin1Bytes("workflow\0"), Uint8Array.of(0), deflateSync(latin1Bytes("{}")))),
    );
    expect(readPngText(png)).toEqual({ prompt: '{"1":"café ©"}', workflow: "{}" });
  });

  it("reads the tEXt chunks fast-png writes", () => {
    const png = fastPngEncode({
      width: 1,
      height: 1,
      data: Uint8Array.of(1, 2, 3),
      channels: 3,
      text: { a: "b" },
    });
    expect(readPngText(png)).toEqual({ a: "b" });
  });

  it("returns an empty record for a PNG without text", () => {
    expect(readPngText(encodePng(px))).toEqual({});
  });

  it("rejects invalid keywords when writing", () => {
    expect(() => encodePng(px, { "": "x" })).toThrow(PngError);
    expect(() => encodePng(px, { ["k".repeat(80)]: "x" })).toThrow(/1–79/);
    expect(() => encodePng(px, { "clé✿": "x" })).toThrow(/Latin-1/);
  });

  it("does not let a __proto__ keyword touch the prototype", () => {
    const png = withChunks(encodePng(px), chunk("tEXt", latin1Bytes("__proto__\0polluted")));
    const text = readPngText(png);
    expect(Object.keys(text)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// --- hostile input ----------------------------------------------------------------------------------

describe("readPngText on hostile input", () => {
  const doc = JSON.stringify({ graph: "x".repeat(3000), name: "ünïcode ✿" });
  const good = encodePng(
    { width: 20, height: 20, channels: 3, data: gradient(20, 20, 3) },
    { petalflow: doc },
  );

  it("rejects zero-length input", () => {
    const e = errorOf(() => readPngText(new Uint8Array(0)));
    expect(e).toBeInstanceOf(PngError);
    expect(e.message).toMatch(/empty input/);
  });

  it("rejects a bad signature and a truncated one", () => {
    expect(errorOf(() => readPngText(utf8("GIF89a....."))).message).toMatch(/bad signature/);
    expect(errorOf(() => readPngText(good.subarray(0, 5))).message).toMatch(/inside the 8-byte signature/);
  });

  it("rejects the file truncated at every 97th byte with a truncation error", () => {
    for (let cut = 1; cut < good.length; cut += 97) {
      const e = errorOf(() => readPngText(good.subarray(0, cut)));
      expect(e, `cut at ${cut}`).toBeInstanceOf(PngError);
      expect(e.message, `cut at ${cut}`).toMatch(/truncated PNG/);
    }
  });

  it("rejects a flipped CRC, naming the chunk", () => {
    const bad = good.slice();
    bad[29] ^= 0x01; // last byte of IHDR's CRC
    expect(errorOf(() => readPngText(bad)).message).toMatch(/CRC mismatch in chunk IHDR/);
    const itxt = chunkOffsets(good).find((c) => c.type === "iTXt")!;
    const bad2 = good.slice();
    bad2[itxt.at + 20] ^= 0x40; // a data byte
    expect(errorOf(() => readPngText(bad2)).message).toMatch(/CRC mismatch in chunk iTXt/);
  });

  it("rejects chunk lengths beyond the file or over 2^31−1", () => {
    const itxt = chunkOffsets(good).find((c) => c.type === "iTXt")!;
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(itxt.at, 0x7ffffff0);
    expect(errorOf(() => readPngText(bad)).message).toMatch(/declares 2147483632 data bytes, past the end/);
    new DataView(bad.buffer).setUint32(itxt.at, 0xfffffff0);
    expect(errorOf(() => readPngText(bad)).message).toMatch(/over 2\^31−1/);
  });

  it("reads text from a 100000×100000 header without allocating for it", () => {
    const png = concat(
      SIG,
      ihdr(100_000, 100_000),
      chunk("tEXt", latin1Bytes("k\0v")),
      chunk("IDAT", [0]),
      IEND,
    );
    expect(readPngText(png)).toEqual({ k: "v" });
  });

  it("rejects a first chunk other than IHDR, and invalid IHDR fields", () => {
    const e = errorOf(() => readPngText(concat(SIG, chunk("tEXt", latin1Bytes("k\0v")), IEND)));
    expect(e.message).toMatch(/first chunk is tEXt, not IHDR/);
    expect(errorOf(() => readPngText(concat(SIG, ihdr(0, 5), IEND))).message).toMatch(/invalid dimensions/);
    expect(errorOf(() => readPngText(concat(SIG, ihdr(5, 5, 3, 2), IEND))).message).toMatch(/bit depth 3/);
    expect(errorOf(() => readPngText(concat(SIG, ihdr(5, 5, 8, 5), IEND))).message).toMatch(/colour type 5/);
  });

  it("rejects more than 64 text chunks", () => {
    const texts = Array.from({ length: 65 }, (_, i) => chunk("tEXt", latin1Bytes(`k${i}\0v`)));
    const e = errorOf(() => readPngText(concat(SIG, ihdr(1, 1), ...texts, IEND)));
    expect(e).toBeInstanceOf(PngError);
    expect(e.message).toMatch(/more than 64 text chunks/);
    const ok = Array.from({ length: 64 }, (_, i) => chunk("tEXt", latin1Bytes(`k${i}\0v`)));
    expect(Object.keys(readPngText(concat(SIG, ihdr(1, 1), ...ok, IEND)))).toHaveLength(64);
  });

  it("rejects more than 8 MB of text, plain or compressed (a zip bomb)", () => {
    const big = new Uint8Array(8 * 1024 * 1024 + 3).fill(0x61);
    big.set(latin1Bytes("k\0"));
    expect(errorOf(() => readPngText(concat(SIG, ihdr(1, 1), chunk("tEXt", big), IEND))).message).toMatch(
      /text is too large/,
    );
    const bomb = deflateSync(new Uint8Array(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    const z = chunk("zTXt", concat(latin1Bytes("k\0"), Uint8Array.of(0), bomb));
    expect(errorOf(() => readPngText(concat(SIG, ihdr(1, 1), z, IEND))).message).toMatch(/text is too large/);
    const i = chunk("iTXt", concat(latin1Bytes("k\0"), Uint8Array.of(1, 0, 0, 0), bomb));
    expect(errorOf(() => readPngText(concat(SIG, ihdr(1, 1), i, IEND))).message).toMatch(/text is too large/);
  });

  it("rejects malformed text chunks specifically", () => {
    const wrap = (c: Uint8Array) => errorOf(() => readPngText(concat(SIG, ihdr(1, 1), c, IEND)));
    expect(wrap(chunk("tEXt", latin1Bytes("no separator"))).message).toMatch(/invalid keyword/);
    expect(wrap(chunk("tEXt", latin1Bytes("\0empty keyword"))).message).toMatch(/invalid keyword/);
    expect(wrap(chunk("zTXt", concat(latin1Bytes("k\0"), Uint8Array.of(0, 1, 2, 3)))).message).toMatch(
      /does not inflate/,
    );
    expect(wrap(chunk("zTXt", concat(latin1Bytes("k\0"), Uint8Array.of(7)))).message).toMatch(
      /compression method/,
    );
    expect(wrap(chunk("iTXt", concat(latin1Bytes("k\0"), Uint8Array.of(0, 0, 0)))).message).toMatch(/NUL/);
    expect(
      wrap(chunk("iTXt", concat(latin1Bytes("k\0"), Uint8Array.of(0, 0, 0, 0, 0xff, 0xfe)))).message,
    ).toMatch(/not valid UTF-8/);
  });

  it("rejects a file without IEND", () => {
    const noEnd = good.subarray(0, good.length - 12);
    expect(errorOf(() => readPngText(noEnd)).message).toMatch(/without an IEND chunk/);
  });

  it("throws only PngError on random bytes, with or without a PNG signature", () => {
    const rnd = seeded(42);
    for (let i = 0; i < 300; i++) {
      const b = Uint8Array.from({ length: 1 + ((i * 131) % 2000) }, rnd);
      if (i % 2 === 0) b.set(SIG.subarray(0, Math.min(8, b.length)));
      if (i % 4 === 0 && b.length > 40) b.set(ihdr(10, 10), 8);
      const e = errorOf(() => readPngText(b));
      expect(e).toBeInstanceOf(PngError);
    }
  });

  it("rejects what is not a Uint8Array", () => {
    expect(errorOf(() => readPngText("PNG" as unknown as Uint8Array))).toBeInstanceOf(PngError);
  });
});

// --- decoding ---------------------------------------------------------------------------------------

describe("decodeImage", () => {
  const rgbaAt = (img: { width: number; data: Uint8Array }, x: number, y: number) => [
    ...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4),
  ];

  it("decodes 16-bit RGB, 8- and 16-bit grey, grey+alpha", () => {
    const rgb16 = fastPngEncode({
      width: 2,
      height: 1,
      depth: 16,
      channels: 3,
      data: Uint16Array.of(65535, 0, 257, 32896, 1, 65534),
    });
    const a = decodeImage(rgb16, LIMITS);
    expect(rgbaAt(a, 0, 0)).toEqual([255, 0, 1, 255]);
    expect(rgbaAt(a, 1, 0)).toEqual([128, 0, 255, 255]);
    const g8 = decodeImage(
      fastPngEncode({ width: 2, height: 1, channels: 1, data: Uint8Array.of(10, 200) }),
      LIMITS,
    );
    expect(rgbaAt(g8, 1, 0)).toEqual([200, 200, 200, 255]);
    const g16 = fastPngEncode({ width: 1, height: 1, depth: 16, channels: 1, data: Uint16Array.of(0x8080) });
    expect(rgbaAt(decodeImage(g16, LIMITS), 0, 0)).toEqual([128, 128, 128, 255]);
    const ga = fastPngEncode({ width: 1, height: 1, channels: 2, data: Uint8Array.of(60, 70) });
    expect(rgbaAt(decodeImage(ga, LIMITS), 0, 0)).toEqual([60, 60, 60, 70]);
  });

  it("decodes 1-bit grey and a 4-bit palette with transparency", () => {
    // 10 px wide, 1 bit: 0b10110000 0b01000000 → 1,0,1,1,0,0,0,0,0,1
    const g1 = fastPngEncode({
      width: 10,
      height: 1,
      depth: 1,
      channels: 1,
      data: Uint8Array.of(0b10110000, 0b01000000),
    });
    const img = decodeImage(g1, LIMITS);
    const greys = Array.from({ length: 10 }, (_, x) => img.data[x * 4]);
    expect(greys).toEqual([255, 0, 255, 255, 0, 0, 0, 0, 0, 255]);
    // (fast-png's encoder writes tRNS as the non-opaque alphas only, so those come first here.)
    const palette = [
      [0, 0, 255, 0],
      [0, 255, 0, 128],
      [255, 0, 0, 255],
    ];
    // 3 px, 4 bits: indices 2, 0, 1 → bytes 0x20, 0x10
    const p4 = fastPngEncode({
      width: 3,
      height: 1,
      depth: 4,
      channels: 1,
      palette,
      data: Uint8Array.of(0x20, 0x10),
    });
    const pi = decodeImage(p4, LIMITS);
    expect([rgbaAt(pi, 0, 0), rgbaAt(pi, 1, 0), rgbaAt(pi, 2, 0)]).toEqual([
      [255, 0, 0, 255],
      [0, 0, 255, 0],
      [0, 255, 0, 128],
    ]);
  });

  it("applies a tRNS colour key to grey images", () => {
    const g = fastPngEncode({ width: 2, height: 1, channels: 1, data: Uint8Array.of(5, 6) });
    const keyed = concat(g.subarray(0, 33), chunk("tRNS", [0, 5]), g.subarray(33));
    const img = decodeImage(keyed, LIMITS);
    expect([img.data[3], img.data[7]]).toEqual([0, 255]);
  });

  it("decodes Adam7-interlaced images", () => {
    const data = gradient(13, 11, 3);
    const png = fastPngEncode({ width: 13, height: 11, channels: 3, data }, { interlace: "Adam7" });
    const img = decodeImage(png, LIMITS);
    expect(rgbaAt(img, 12, 10)).toEqual([...data.subarray((10 * 13 + 12) * 3, (10 * 13 + 12) * 3 + 3), 255]);
  });

  it("decodes a JPEG made by jpeg-js", () => {
    const w = 32;
    const h = 16;
    const rgba = new Uint8Array(w * h * 4);
    for (let p = 0; p < w * h; p++) rgba.set([200, 100, 50, 255], p * 4);
    const jpg = new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 95).data);
    const img = decodeImage(jpg, LIMITS);
    expect([img.width, img.height]).toEqual([w, h]);
    const [r, g, b, a] = rgbaAt(img, 7, 9);
    expect(Math.abs(r - 200)).toBeLessThanOrEqual(3);
    expect(Math.abs(g - 100)).toBeLessThanOrEqual(3);
    expect(Math.abs(b - 50)).toBeLessThanOrEqual(3);
    expect(a).toBe(255);
  });

  it("refuses a 100000×100000 PNG from its header, before decoding", () => {
    const png = concat(SIG, ihdr(100_000, 100_000), chunk("IDAT", deflateSync(new Uint8Array(10))), IEND);
    const e = errorOf(() => decodeImage(png, LIMITS));
    expect(e).toBeInstanceOf(ImageError);
    expect(e.message).toBe("PNG image is 100000×100000 = 10000000000 pixels, over the limit of 4000000");
  });

  it("refuses a 60000×60000 JPEG from its frame header", () => {
    const jpg = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256) }, 50).data);
    // Patch the SOF0 frame size.
    let sof = 2;
    while (!(jpg[sof] === 0xff && jpg[sof + 1] === 0xc0)) sof += 2 + ((jpg[sof + 2] << 8) | jpg[sof + 3]);
    jpg.set([0xea, 0x60, 0xea, 0x60], sof + 5);
    expect(errorOf(() => decodeImage(jpg, LIMITS)).message).toMatch(
      /JPEG image is 60000×60000 = 3600000000 pixels/,
    );
  });

  it("refuses image data that inflates beyond the declared size", () => {
    const bomb = deflateSync(new Uint8Array(20 * 1024 * 1024));
    const png = concat(SIG, ihdr(4, 4), chunk("IDAT", bomb), IEND);
    expect(errorOf(() => decodeImage(png, LIMITS)).message).toMatch(
      /inflates to more than its dimensions allow/,
    );
    const short = concat(SIG, ihdr(4, 4), chunk("IDAT", deflateSync(new Uint8Array(20))), IEND);
    expect(errorOf(() => decodeImage(short, LIMITS)).message).toMatch(/holds 20 of 52 bytes/);
  });

  it("does not inflate ancillary chunks such as an iCCP profile bomb", () => {
    const px = encodePng({ width: 3, height: 3, channels: 3, data: gradient(3, 3, 3) });
    const iccp = chunk(
      "iCCP",
      concat(latin1Bytes("bomb\0"), Uint8Array.of(0), deflateSync(new Uint8Array(64 << 20))),
    );
    const img = decodeImage(withChunks(px, iccp), LIMITS);
    expect(img.data.subarray(0, 3)).toEqual(gradient(3, 3, 3).subarray(0, 3));
  });

  it("names unknown formats, empty files and oversize files", () => {
    expect(errorOf(() => decodeImage(utf8("GIF89a\x01\x00"), LIMITS)).message).toBe(
      "not a PNG or JPEG image",
    );
    expect(errorOf(() => decodeImage(new Uint8Array(0), LIMITS)).message).toMatch(/empty image file/);
    const png = encodePng({ width: 4, height: 4, channels: 3, data: gradient(4, 4, 3) });
    expect(errorOf(() => decodeImage(png, { maxPixels: 100, maxBytes: 10 })).message).toMatch(
      /over the limit of 10/,
    );
    expect(errorOf(() => decodeImage(png, { maxPixels: 15, maxBytes: 1e6 })).message).toMatch(/= 16 pixels/);
  });

  it("throws a specific ImageError for PNG and JPEG truncated at every 97th byte", () => {
    const png = encodePng(
      { width: 30, height: 30, channels: 3, data: gradient(30, 30, 3) },
      { petalflow: "{}" },
    );
    for (let cut = 1; cut < png.length; cut += 97) {
      const e = errorOf(() => decodeImage(png.subarray(0, cut), LIMITS));
      expect(e, `png cut at ${cut}`).toBeInstanceOf(ImageError);
      expect(e.message).toMatch(cut < 8 ? /not a PNG or JPEG/ : /truncated PNG/);
    }
    const rgba = gradient(40, 24, 4);
    const jpg = new Uint8Array(jpeg.encode({ width: 40, height: 24, data: rgba }, 80).data);
    for (let cut = 1; cut < jpg.length; cut += 97) {
      const e = errorOf(() => decodeImage(jpg.subarray(0, cut), LIMITS));
      expect(e, `jpeg cut at ${cut}`).toBeInstanceOf(ImageError);
      expect(e.message).toMatch(/truncated|not a PNG or JPEG/);
    }
  });

  it("throws only ImageError on random bytes behind PNG and JPEG magic", () => {
    const rnd = seeded(9);
    for (let i = 0; i < 150; i++) {
      const b = Uint8Array.from({ length: 4 + ((i * 97) % 1500) }, rnd);
      if (i % 3 === 0) b.set(SIG.subarray(0, Math.min(8, b.length)));
      if (i % 3 === 1) b.set([0xff, 0xd8, 0xff]);
      const e = errorOf(() => decodeImage(b, LIMITS));
      expect(e).toBeInstanceOf(ImageError);
    }
  });
});

// --- tensors ----------------------------------------------------------------------------------------

describe("image tensors and pixels", () => {
  it("tensorItemToRgb clamps to [0,1] and rounds x·255", () => {
    // [1,3,1,5]: R plane then G then B.
    const t = new Tensor(
      [1, 3, 1, 5],
      Float32Array.of(-0.5, 0, 0.5, 1.2, Number.NaN, 0.1, 0.2, 0.3, 0.4, 1, 1, 1, 1, 1, 1),
    );
    const rgb = tensorItemToRgb(t, 0);
    expect([...rgb.filter((_, i) => i % 3 === 0)]).toEqual([0, 0, 128, 255, 0]);
    expect([...rgb.subarray(0, 3)]).toEqual([0, 26, 255]);
  });

  it("imageTensorToPngs encodes each batch item, with per-item text", () => {
    const t = new Tensor([2, 3, 2, 2], new Float32Array(24));
    t.data.fill(1, 12); // item 1 white, item 0 black
    const pngs = imageTensorToPngs(t, (i) => ({ "petalflow-seeds": JSON.stringify([String(100 + i)]) }));
    expect(pngs).toHaveLength(2);
    expect(decodeImage(pngs[0], LIMITS).data[0]).toBe(0);
    expect(decodeImage(pngs[1], LIMITS).data[0]).toBe(255);
    expect(readPngText(pngs[1])["petalflow-seeds"]).toBe('["101"]');
  });

  it("rgbaToTensor gives [1,3,H,W] in [0,1], dropping alpha or compositing over a background", () => {
    const img = { width: 2, height: 1, data: Uint8Array.of(255, 0, 51, 255, 0, 255, 0, 0) };
    const t = rgbaToTensor(img);
    expect(t.dims).toEqual([1, 3, 1, 2]);
    expect([...t.data]).toEqual([1, 0, 0, 1, 0.2, 0].map((v) => Math.fround(v)));
    const c = rgbaToTensor(img, { background: [1, 1, 1] });
    expect(c.data[1]).toBe(1); // transparent pixel → background
    expect([...rgbaAlphaToMask(img).data]).toEqual([0, 1]);
  });

  it("round-trips tensor → PNG → tensor", () => {
    const t = new Tensor(
      [1, 3, 3, 4],
      Float32Array.from({ length: 36 }, (_, i) => (i * 7) / 255),
    );
    const back = rgbaToTensor(decodeImage(imageTensorToPngs(t)[0], LIMITS));
    expect(back.dims).toEqual(t.dims);
    for (let i = 0; i < 36; i++) expect(back.data[i]).toBeCloseTo(t.data[i], 6);
  });

  it("resizeRgba interpolates bilinearly with centred pixels", () => {
    const img = { width: 2, height: 1, data: Uint8Array.of(0, 0, 0, 255, 200, 100, 40, 255) };
    const up = resizeRgba(img, 4, 1);
    expect(Array.from({ length: 4 }, (_, x) => up.data[x * 4])).toEqual([0, 50, 150, 200]);
    const flat = { width: 3, height: 3, data: new Uint8Array(36).fill(77) };
    expect(resizeRgba(flat, 7, 5).data.every((v) => v === 77)).toBe(true);
    expect(resizeRgba(flat, 1, 1).data[0]).toBe(77);
  });
});
