import { describe, expect, it } from "vitest";
import { Tensor } from "../../core/node/values";
import {
  halfToFloat,
  readLatentFile,
  readSafetensors,
  SafetensorsError,
  writeLatentFile,
  writeSafetensors,
} from "../../server/media/safetensors";

/** A safetensors file from a header object and raw data bytes, as another writer would make it. */
function file(header: unknown, data: Uint8Array | number[] = [], headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const d = Uint8Array.from(data);
  const out = new Uint8Array(8 + json.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(d, 8 + json.length);
  return out;
}

function f32le(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  for (const [i, x] of values.entries()) v.setFloat32(i * 4, x, true);
  return b;
}

function u16le(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  const v = new DataView(b.buffer);
  for (const [i, x] of values.entries()) v.setUint16(i * 2, x, true);
  return b;
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("writeSafetensors / readSafetensors", () => {
  it("round-trips several float32 tensors and metadata", () => {
    const a = { dims: [2, 3], data: Float32Array.of(1, -2, 3.5, 1e-8, -0, 65504) };
    const b = { dims: [1, 1, 2, 2], data: Float32Array.of(Number.NaN, Number.POSITIVE_INFINITY, 0.1, 7) };
    const s = { dims: [], data: Float32Array.of(42) };
    const bytes = writeSafetensors({ a, b, s }, { format: "pt", note: "Blüte ✿ 花" });
    const back = readSafetensors(bytes);
    expect(Object.keys(back.tensors)).toEqual(["a", "b", "s"]);
    expect(back.tensors.a).toEqual(a);
    expect(back.tensors.b.dims).toEqual([1, 1, 2, 2]);
    expect(Array.from(back.tensors.b.data)).toEqual(Array.from(b.data));
    expect(back.tensors.s).toEqual(s);
    expect(back.metadata).toEqual({ format: "pt", note: "Blüte ✿ 花" });
  });

  it("writes the standard layout: u64 LE header length, space-padded JSON, 8-aligned data", () => {
    const bytes = writeSafetensors({ x: { dims: [2], data: Float32Array.of(1, 2) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } });
    expect(bytes.subarray(8 + n)).toEqual(f32le(1, 2));
    expect(bytes.length).toBe(8 + n + 8);
  });

  it("reads a file written by another writer, at an unaligned offset in a larger buffer", () => {
    const raw = file(
      { __metadata__: { format: "pt" }, w: { dtype: "F32", shape: [3], data_offsets: [0, 12] } },
      f32le(0.5, -1, 3),
    );
    const big = new Uint8Array(raw.length + 3);
    big.set(raw, 1);
    const back = readSafetensors(big.subarray(1, 1 + raw.length));
    expect(Array.from(back.tensors.w.data)).toEqual([0.5, -1, 3]);
  });

  it("reads F16, BF16 and F64 into float32", () => {
    const f16 = u16le(0x3c00, 0xc000, 0x7c00, 0x0001, 0x3555, 0x8000);
    const bf16 = u16le(0x3f80, 0xc040, 0x4049);
    const f64 = new Uint8Array(16);
    new DataView(f64.buffer).setFloat64(0, Math.PI, true);
    new DataView(f64.buffer).setFloat64(8, -0.25, true);
    const bytes = file(
      {
        h: { dtype: "F16", shape: [6], data_offsets: [0, 12] },
        b: { dtype: "BF16", shape: [3], data_offsets: [12, 18] },
        d: { dtype: "F64", shape: [2], data_offsets: [18, 34] },
      },
      [...f16, ...bf16, ...f64],
    );
    const t = readSafetensors(bytes).tensors;
    expect(Array.from(t.h.data)).toEqual([
      1,
      -2,
      Number.POSITIVE_INFINITY,
      2 ** -24,
      Math.fround(0.333251953125),
      -0,
    ]);
    expect(Array.from(t.b.data)).toEqual([1, -3, 3.140625]);
    expect(Array.from(t.d.data)).toEqual([Math.fround(Math.PI), -0.25]);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0xfbff)).toBe(-65504);
  });

  it("keeps a __proto__ tensor name as data", () => {
    const bytes = file({}, [], '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}    ');
    const withData = new Uint8Array(bytes.length + 4);
    withData.set(bytes);
    withData.set(f32le(9), bytes.length);
    const { tensors } = readSafetensors(withData);
    expect(Object.keys(tensors)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).dims).toBeUndefined();
  });

  it("rejects invalid input to the writer", () => {
    expect(() => writeSafetensors({ x: { dims: [3], data: new Float32Array(2) } })).toThrow(
      /need 3 float32 values/,
    );
    expect(() => writeSafetensors({ __metadata__: { dims: [0], data: new Float32Array(0) } })).toThrow(
      SafetensorsError,
    );
    expect(() => writeSafetensors({ x: { dims: [-1], data: new Float32Array(0) } })).toThrow(/non-negative/);
  });
});

describe("readSafetensors on malformed files", () => {
  const ok = { x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const cases: [string, () => Uint8Array, RegExp][] = [
    ["a file shorter than 8 bytes", () => new Uint8Array(5), /file is 5 bytes/],
    ["zero-length input", () => new Uint8Array(0), /file is 0 bytes/],
    [
      "a header length past the end",
      () => {
        const b = file(ok, f32le(1, 2));
        new DataView(b.buffer).setBigUint64(0, 5000n, true);
        return b;
      },
      /header length 5000 runs past the end of the file/,
    ],
    [
      "a gigantic header length",
      () => {
        const b = file(ok, f32le(1, 2));
        new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true);
        return b;
      },
      /over the limit of 100000000 bytes/,
    ],
    ["a header that is not JSON", () => file(null, [], "{not json}"), /not valid JSON/],
    ["a header that is a JSON array", () => file(null, [], "[1,2,3]"), /not a JSON object/],
    [
      "invalid UTF-8 in the header",
      () => {
        const b = file(null, [], '{"ab": 1}');
        b[10] = 0xff;
        return b;
      },
      /header is not valid UTF-8/,
    ],
    [
      "an unknown dtype",
      () => file({ x: { dtype: "F31", shape: [2], data_offsets: [0, 8] } }, f32le(1, 2)),
      /tensor "x": unknown dtype F31/,
    ],
    [
      "a known dtype we do not read",
      () => file({ x: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, f32le(1, 2)),
      /dtype I64; only F32, F16, BF16, F64 can be read/,
    ],
    [
      "a shape that does not match the byte length",
      () => file({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32le(1, 2)),
      /shape \[3\] of F32 needs 12 bytes, data_offsets give 8/,
    ],
    [
      "a gigantic shape",
      () => file({ x: { dtype: "F32", shape: [1e15, 1e15, 1e15], data_offsets: [0, 8] } }, f32le(1, 2)),
      /data_offsets give 8/,
    ],
    [
      "offsets outside the data",
      () => file({ x: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32le(1, 2)),
      /lie outside the data \(8 bytes\)/,
    ],
    [
      "backwards offsets",
      () => file({ x: { dtype: "F32", shape: [0], data_offsets: [8, 4] } }, f32le(1, 2)),
      /run backwards/,
    ],
    [
      "overlapping tensors",
      () =>
        file(
          {
            x: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
            y: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
          },
          f32le(1, 2),
        ),
      /"x" and "y" overlap/,
    ],
    [
      "non-integer offsets",
      () => file({ x: { dtype: "F32", shape: [2], data_offsets: [0.5, 8] } }, f32le(1, 2)),
      /data_offsets must be \[start, end\]/,
    ],
    [
      "a negative dimension",
      () => file({ x: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, f32le(1, 2)),
      /shape must be an array of non-negative integers/,
    ],
    [
      "a non-string metadata value",
      () => file({ __metadata__: { steps: 20 }, ...ok }, f32le(1, 2)),
      /__metadata__ value "steps" is not a string/,
    ],
    ["a tensor entry that is not an object", () => file({ x: 3 }), /tensor "x": entry is not an object/],
  ];
  for (const [what, make, message] of cases) {
    it(`rejects ${what}`, () => {
      const e = errorOf(() => readSafetensors(make()));
      expect(e).toBeInstanceOf(SafetensorsError);
      expect(e.message).toMatch(message);
    });
  }

  it("throws only SafetensorsError on random bytes and on every truncation", () => {
    const good = writeSafetensors({ a: { dims: [4, 4], data: new Float32Array(16).fill(1) } }, { k: "v" });
    for (let cut = 0; cut < good.length; cut += 7) {
      expect(errorOf(() => readSafetensors(good.subarray(0, cut)))).toBeInstanceOf(SafetensorsError);
    }
    let s = 5;
    const next = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s >>> 24;
    };
    for (let i = 0; i < 100; i++) {
      const b = Uint8Array.from({ length: (i * 53) % 400 }, next);
      if (b.length >= 8 && i % 2 === 0)
        new DataView(b.buffer).setBigUint64(0, BigInt(Math.min(i, b.length - 8)), true);
      expect(errorOf(() => readSafetensors(b))).toBeInstanceOf(SafetensorsError);
    }
  });
});

describe(".latent files", () => {
  it("writes latent_tensor with ComfyUI's version marker and reads it back unscaled", () => {
    const samples = new Tensor(
      [1, 4, 2, 2],
      Float32Array.from({ length: 16 }, (_, i) => i / 4 - 2),
    );
    const bytes = writeLatentFile(samples, { petalflow: '{"v":1}' });
    const raw = readSafetensors(bytes);
    expect(Object.keys(raw.tensors).sort()).toEqual(["latent_format_version_0", "latent_tensor"]);
    expect(raw.tensors.latent_format_version_0.dims).toEqual([0]);
    const back = readLatentFile(bytes);
    expect(back.legacyScaled).toBe(false);
    expect(back.samples.dims).toEqual([1, 4, 2, 2]);
    expect(Array.from(back.samples.data)).toEqual(Array.from(samples.data));
    expect(back.metadata).toEqual({ format: "pt", petalflow: '{"v":1}' });
  });

  it("reads an old ComfyUI file (no version marker) scaled by 1/0.18215, as ComfyUI does", () => {
    const bytes = file(
      {
        __metadata__: { prompt: "{}" },
        latent_tensor: { dtype: "F32", shape: [1, 1, 1, 2], data_offsets: [0, 8] },
      },
      f32le(0.18215, -0.3643),
    );
    const back = readLatentFile(bytes);
    expect(back.legacyScaled).toBe(true);
    expect(back.samples.data[0]).toBeCloseTo(1, 6);
    expect(back.samples.data[1]).toBeCloseTo(-2, 6);
  });

  it("reads a ComfyUI file saved in half precision", () => {
    const bytes = file(
      {
        latent_tensor: { dtype: "F16", shape: [1, 1, 1, 2], data_offsets: [0, 4] },
        latent_format_version_0: { dtype: "F32", shape: [0], data_offsets: [4, 4] },
      },
      u16le(0x3c00, 0xbc00),
    );
    expect(Array.from(readLatentFile(bytes).samples.data)).toEqual([1, -1]);
  });

  it("rejects files without latent_tensor or with the wrong rank", () => {
    const none = writeSafetensors({ other: { dims: [1], data: Float32Array.of(1) } });
    expect(errorOf(() => readLatentFile(none)).message).toMatch(/no tensor "latent_tensor"/);
    const flat = writeSafetensors({ latent_tensor: { dims: [4], data: new Float32Array(4) } });
    expect(errorOf(() => readLatentFile(flat)).message).toMatch(/expected \[B,C,h,w\]/);
  });
});
