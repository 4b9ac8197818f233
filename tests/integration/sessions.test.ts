import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelPart } from "../../server/diffusion/models";
import {
  cudaProviderAvailable,
  float16ToFloat32,
  float32ToFloat16,
  fromFloat16Array,
  ModelLoadError,
  OnnxInputError,
  type ProviderChoice,
  SessionCache,
  textHiddenSizeOf,
  toFloat16Array,
} from "../../server/diffusion/sessions";

const fixtures = fileURLToPath(new URL("../fixtures/models", import.meta.url));
const key = (modelId: string, part: ModelPart) => ({
  modelId,
  part,
  file: path.join(fixtures, modelId, part, "model.onnx"),
});

const caches: SessionCache[] = [];
function makeCache(opts: { budgetBytes?: number; provider?: ProviderChoice } = {}) {
  const logs: string[] = [];
  const cache = new SessionCache({
    budgetBytes: opts.budgetBytes ?? 1 << 30,
    provider: opts.provider ?? "cpu",
    log: (m) => logs.push(m),
  });
  caches.push(cache);
  return { cache, logs };
}
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.clear()));
});

const ids77 = Array.from({ length: 77 }, (_, i) => (i * 7) % 500);
/** The fixture text encoder: hidden[t, d] = id[t] · (d+1) / 1000. */
const expectedHidden = (t: number, d: number) => (ids77[t] * (d + 1)) / 1000;

describe("float16 conversion", () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65519, 0x7bff],
    [65520, 0x7c00],
    [1e6, 0x7c00],
    [Number.NEGATIVE_INFINITY, 0xfc00],
    [2 ** -14, 0x0400],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // halfway between subnormals 1 and 2: ties to even (2)
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between 0x3c01 and 0x3c02: ties to even (up)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above halfway: up
    [2047.5, 0x6800], // halfway between 2047 and 2048: ties to even (2048)
    [2046.5, 0x67fe], // halfway between 2046 and 2047: ties to even (2046)
  ])("encodes %d as %i", (value, bits) => {
    expect(float32ToFloat16(value)).toBe(bits);
  });

  it("keeps NaN a NaN", () => {
    const bits = float32ToFloat16(Number.NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x3ff).not.toBe(0);
    expect(float16ToFloat32(bits)).toBeNaN();
  });

  it("round-trips every non-NaN half exactly", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const floats = fromFloat16Array(all);
    const back = toFloat16Array(floats);
    const wrong: number[] = [];
    for (let i = 0; i < 65536; i++) {
      const nan = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (nan ? !Number.isNaN(floats[i]) : back[i] !== i) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    expect(floats[0x3555]).toBeCloseTo(0.333251953125, 12);
  });
});

describe("OnnxModel feeds and outputs", () => {
  it("feeds JS numbers to an int32 text encoder", async () => {
    const { cache } = makeCache();
    const te = await cache.get(key("tiny-sd", "text_encoder"));
    expect(te.label).toBe("tiny-sd/text_encoder");
    expect(te.inputs).toEqual([{ name: "input_ids", dtype: "int32", shape: ["batch", 77] }]);
    expect(te.outputNames).toEqual(["last_hidden_state", "pooler_output"]);
    const out = await te.run({ input_ids: { dims: [1, 77], data: ids77 } });
    expect(out.last_hidden_state.dims).toEqual([1, 77, 32]);
    expect(out.last_hidden_state.data).toBeInstanceOf(Float32Array);
    expect(out.last_hidden_state.data[5 * 32 + 3]).toBeCloseTo(expectedHidden(5, 3), 5);
    expect(out.pooler_output.dims).toEqual([1, 32]);
  });

  it("converts Int32Array ids for an int64 text encoder", async () => {
    const { cache } = makeCache();
    const te = await cache.get(key("tiny-sd-int64", "text_encoder"));
    expect(te.inputs[0].dtype).toBe("int64");
    expect(textHiddenSizeOf(te)).toBe(32); // this folder has no text_encoder/config.json
    const out = await te.run({ input_ids: { dims: [2, 77], data: Int32Array.from([...ids77, ...ids77]) } });
    expect(out.last_hidden_state.dims).toEqual([2, 77, 32]);
    expect(out.last_hidden_state.data[77 * 32 + 10 * 32 + 31]).toBeCloseTo(expectedHidden(10, 31), 5);
  });

  it("reshapes the timestep between [1] and a 0-d scalar", async () => {
    const { cache } = makeCache();
    const sample = { dims: [1, 4, 2, 2], data: new Float32Array(16).fill(2) };
    const ehs = { dims: [1, 77, 32], data: new Float32Array(77 * 32).fill(0.5) };
    // out = 0.5·sample + mean(ehs) + t/1000
    const scalarUnet = await cache.get(key("tiny-sd-int64", "unet"));
    expect(scalarUnet.inputs[1]).toEqual({ name: "timestep", dtype: "int64", shape: [] });
    for (const timestep of [
      { dims: [1], data: [500] },
      { dims: [], data: [500] },
      { dims: [1], data: new Float32Array([500.9]) }, // truncated like numpy's astype(int64)
    ]) {
      const out = await scalarUnet.run({ sample, timestep, encoder_hidden_states: ehs });
      expect(out.out_sample.dims).toEqual([1, 4, 2, 2]);
      expect(out.out_sample.data[0]).toBeCloseTo(1 + 0.5 + 0.5, 5);
    }
    const vectorUnet = await cache.get(key("tiny-sd", "unet"));
    expect(vectorUnet.inputs[1]).toEqual({ name: "timestep", dtype: "float32", shape: ["batch"] });
    const out = await vectorUnet.run({
      sample,
      timestep: { dims: [], data: [250] },
      encoder_hidden_states: ehs,
    });
    expect(out.out_sample.data[3]).toBeCloseTo(1 + 0.5 + 0.25, 5);
  });

  it("converts float32 feeds to float16 and float16 outputs back", async () => {
    const { cache } = makeCache();
    const unet = await cache.get(key("tiny-sd-fp16", "unet"));
    expect(unet.inputs.map((i) => i.dtype)).toEqual(["float16", "float16", "float16"]);
    const sample = Float32Array.from({ length: 2 * 4 * 2 * 2 }, (_, i) => i / 8);
    const out = await unet.run({
      sample: { dims: [2, 4, 2, 2], data: sample },
      timestep: { dims: [2], data: [999, 999] },
      encoder_hidden_states: { dims: [2, 77, 32], data: new Float32Array(2 * 77 * 32).fill(0.125) },
    });
    expect(out.out_sample.data).toBeInstanceOf(Float32Array);
    expect(out.out_sample.dims).toEqual([2, 4, 2, 2]);
    sample.forEach((s, i) => {
      expect(out.out_sample.data[i]).toBeCloseTo(0.5 * s + 0.125 + 0.999, 2);
    });
    const te = await cache.get(key("tiny-sd-fp16", "text_encoder"));
    const hidden = await te.run({ input_ids: { dims: [1, 77], data: ids77 } });
    expect(hidden.last_hidden_state.data[7 * 32 + 4]).toBeCloseTo(expectedHidden(7, 4), 2);
  });

  it("converts a constant feed once while the same array comes back, with the same results", async () => {
    const { cache } = makeCache();
    const unet = await cache.get(key("tiny-sd-fp16", "unet"));
    const sample = { dims: [2, 4, 2, 2], data: Float32Array.from({ length: 32 }, (_, i) => i / 8) };
    const ehs = { dims: [2, 77, 32], data: new Float32Array(2 * 77 * 32).fill(0.125) };
    const feeds = (t: number) => ({
      sample,
      timestep: { dims: [2], data: [t, t] },
      encoder_hidden_states: ehs,
    });
    const plain = await unet.run(feeds(999));
    const first = await unet.run(feeds(999), { constant: ["encoder_hidden_states"] });
    const second = await unet.run(feeds(500), { constant: ["encoder_hidden_states"] });
    expect(unet.residency).toEqual({ conversions: 1, uploads: 0, reuses: 1 }); // cpu: nothing to upload
    expect(first.out_sample.data).toEqual(plain.out_sample.data);
    // timestep 500 instead of 999 (fp16 of 0.5·s + 0.125 + t/1000): the reused embeddings still count.
    expect(second.out_sample.data[0]).toBeCloseTo(0.125 + 0.5, 2);
    // A new array (the next sampling) is converted again, not mistaken for the old one.
    await unet.run(
      { ...feeds(999), encoder_hidden_states: { ...ehs, data: ehs.data.slice() } },
      {
        constant: ["encoder_hidden_states"],
      },
    );
    expect(unet.residency.conversions).toBe(2);
  });

  it("runs the VAE decoder (external weights) to 8× larger images", async () => {
    const { cache } = makeCache();
    const vae = await cache.get(key("tiny-sd", "vae_decoder"));
    const out = await vae.run({ latent_sample: { dims: [1, 4, 1, 2], data: [1, 0, 0, 0, 0, 0, 0, 0] } });
    expect(out.sample.dims).toEqual([1, 3, 8, 16]);
    // red = tanh(Σ_k factors[k][0]·latent_k + 0.1), nearest upsampling
    expect(out.sample.data[0]).toBeCloseTo(Math.tanh(0.3512 + 0.1), 5);
    expect(out.sample.data[15]).toBeCloseTo(Math.tanh(0.1), 5);
  });

  it("names the model, the input and the expected shape on a mismatch", async () => {
    const { cache } = makeCache();
    const te = await cache.get(key("tiny-sd", "text_encoder"));
    const wrong = te.run({ input_ids: { dims: [1, 76], data: ids77.slice(0, 76) } });
    await expect(wrong).rejects.toThrow(OnnxInputError);
    await expect(wrong).rejects.toThrow(
      'tiny-sd/text_encoder: input "input_ids": expected int32[batch, 77] but got [1, 76] (dimension 1 is 76, not 77)',
    );
    await expect(te.run({ input_ids: { dims: [77], data: ids77 } })).rejects.toThrow(
      'tiny-sd/text_encoder: input "input_ids": expected int32[batch, 77] but got rank 1 [77]',
    );
    await expect(te.run({ input_ids: { dims: [1, 77], data: ids77.slice(1) } })).rejects.toThrow(
      "got 76 values for dims [1, 77] (77 needed)",
    );
    const unet = await cache.get(key("tiny-sd", "unet"));
    await expect(unet.run({ sample: { dims: [1, 4, 1, 1], data: [0, 0, 0, 0] } })).rejects.toThrow(
      'tiny-sd/unet: input "timestep": missing (expected float32[batch])',
    );
    await expect(
      te.run({ input_ids: { dims: [1, 77], data: ids77 }, attention_mask: { dims: [1], data: [1] } }),
    ).rejects.toThrow(
      /input "attention_mask": the model has no such input; it takes input_ids: int32\[batch, 77\]/,
    );
  });
});

describe("SessionCache", () => {
  it("shares one load between concurrent callers", async () => {
    const { cache } = makeCache();
    const models = await Promise.all(Array.from({ length: 5 }, () => cache.get(key("tiny-sd", "unet"))));
    expect(new Set(models).size).toBe(1);
    expect(cache.stats()).toMatchObject({ loads: 1, hits: 4 });
    await cache.get(key("tiny-sd", "unet"));
    expect(cache.stats()).toMatchObject({ loads: 1, hits: 5 });
  });

  it("evicts the least recently used part when the byte budget is exceeded", async () => {
    const bytes = (p: ModelPart) => fs.statSync(key("tiny-sd", p).file).size;
    const budget = bytes("text_encoder") + bytes("unet") + 10; // room for these two only
    const { cache, logs } = makeCache({ budgetBytes: budget });
    const te = await cache.get(key("tiny-sd", "text_encoder"));
    const unet = await cache.get(key("tiny-sd", "unet"));
    await cache.get(key("tiny-sd", "text_encoder")); // text_encoder is now the most recent
    const enc = await cache.get(key("tiny-sd", "vae_encoder"));
    const stats = cache.stats();
    expect(stats.loaded.map((l) => l.part)).toEqual(["vae_encoder", "text_encoder"]);
    expect(stats.bytes).toBe(bytes("vae_encoder") + bytes("text_encoder"));
    expect(stats.bytes).toBeLessThanOrEqual(budget);
    expect(stats.budgetBytes).toBe(budget);
    expect(unet.released).toBe(true);
    expect(te.released).toBe(false);
    expect(enc.released).toBe(false);
    expect(logs.some((l) => l.startsWith("evicted tiny-sd/unet"))).toBe(true);
    await expect(unet.run({})).rejects.toThrow(/released by the session cache/);
    const again = await cache.get(key("tiny-sd", "unet")); // reloads
    expect(again).not.toBe(unet);
    expect(cache.stats().loads).toBe(4);
  });

  it("reports a corrupt ONNX file as ModelLoadError naming the file, and retries later", async () => {
    const { cache } = makeCache();
    const broken = key("broken-onnx", "unet");
    const err = await cache.get(broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).file).toBe(broken.file);
    expect((err as Error).message).toContain(`Cannot load ONNX model ${broken.file}: `);
    expect(cache.stats().loaded).toEqual([]);
    await expect(cache.get(broken)).rejects.toThrow(ModelLoadError);
    expect(cache.stats().loads).toBe(2);
  });

  it("reports a missing file as ModelLoadError", async () => {
    const { cache } = makeCache();
    await expect(cache.get(key("missing-unet", "unet"))).rejects.toThrow(
      /missing-unet\/unet\/model\.onnx: the file does not exist/,
    );
  });

  it("releases everything on clear()", async () => {
    const { cache } = makeCache();
    const a = await cache.get(key("tiny-sd", "unet"));
    const b = await cache.get(key("tiny-sd", "vae_decoder"));
    await cache.clear();
    expect([a.released, b.released]).toEqual([true, true]);
    expect(cache.stats()).toMatchObject({ loaded: [], bytes: 0 });
  });

  it("'auto' loads on the provider it found by trying cuda, webgpu, cpu in turn", async () => {
    const { cache } = makeCache({ provider: "auto" });
    expect(cache.providerInUse).toBe("auto"); // not tried yet
    const te = await cache.get(key("tiny-sd", "text_encoder"));
    const report = await cache.providerReport();
    expect(te.provider).toBe(report.provider);
    expect(cache.providerInUse).toBe(report.provider);
    if (!cudaProviderAvailable()) expect(report.attempts[0]).toMatchObject({ provider: "cuda", ok: false });
    const out = await te.run({ input_ids: { dims: [1, 77], data: ids77 } });
    expect(out.last_hidden_state.data[32 + 1]).toBeCloseTo(expectedHidden(1, 1), 4);
  });

  it.skipIf(cudaProviderAvailable())(
    "refuses to load on an explicitly requested cuda that cannot start, naming the reason",
    async () => {
      const { cache } = makeCache({ provider: "cuda" });
      const err = await cache.get(key("tiny-sd", "unet")).catch((e) => e);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect(err.message).toMatch(
        /tiny-sd\/unet\/model\.onnx: the cuda execution provider was requested .* cannot start: .*Failed to load shared library \(the CUDA provider library is not installed: ONNXRUNTIME_NODE_INSTALL=cuda12/,
      );
      expect(cache.providerInUse).toBe("none");
      expect(cache.stats().loaded).toEqual([]);
    },
  );

  it("uses an explicitly requested webgpu when it starts, else refuses with onnxruntime's reason", async () => {
    const { cache } = makeCache({ provider: "webgpu" });
    const report = await cache.providerReport();
    if (report.provider === null) {
      await expect(cache.get(key("tiny-sd", "text_encoder"))).rejects.toThrow(
        /the webgpu execution provider was requested .* cannot start: .*WebGPU/,
      );
      return;
    }
    const te = await cache.get(key("tiny-sd", "text_encoder"));
    expect(te.provider).toBe("webgpu");
    const out = await te.run({ input_ids: { dims: [1, 77], data: ids77 } });
    expect(out.last_hidden_state.data[32 + 1]).toBeCloseTo(expectedHidden(1, 1), 4);
  });
});
