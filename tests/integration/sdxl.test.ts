/**
 * SDXL on tiny random-weight ONNX folders of Optimum's I/O contract, against a float64 torch reference
 * of diffusers' SDXL rules computed from the same weights (scripts/fixtures/make_tiny_sdxl.py →
 * tests/fixtures/sdxl-reference.json): two tokenizers ("!" padding on the second), penultimate hidden
 * states concatenated, pooled text_embeds, add_time_ids, force_zeros_for_empty_prompt, Euler, VAE
 * scaling 0.13025 — through the real executor. Tolerances: ONNX float32 vs torch float64.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DOCUMENT_FORMAT, DOCUMENT_FORMAT_VERSION, type GraphDocument } from "../../core/graph/document";
import type { ImageValue, Latent } from "../../core/node/values";
import { encodePrompt } from "../../server/diffusion/text-encode";
import { timeIds } from "../../server/diffusion/unet-conditioning";
import { maxAbsDiff } from "../helpers/max-diff";
import { edge, node } from "./helpers/documents";
import { cpuRuntime } from "./helpers/runtime";

const MODELS = "tests/fixtures/models";
const ref = JSON.parse(readFileSync("tests/fixtures/sdxl-reference.json", "utf8"));

interface XlOptions {
  model?: string;
  seed: number;
  steps: number;
  cfg: number;
  size: number;
  prompt?: string;
  negative?: string | null;
  pos?: Record<string, unknown>;
  encoder?: "text-encoder-sdxl" | "text-encoder";
  negModel?: string;
  algorithm?: string;
}

/** Model Loader → SDXL text encoder(s) → U-Net step (Euler, the model's scheduler config) → VAE Decode. */
function xlGraph(o: XlOptions): GraphDocument {
  const enc = o.encoder ?? "text-encoder-sdxl";
  const nodes = [
    node("model", "model-loader", { model: o.model ?? "tiny-sdxl" }),
    node("pos", enc, { text: o.prompt ?? "a photo of a cat", ...o.pos }),
    node("latent", "empty-latent", { width: o.size, height: o.size }),
    node("noise", "noise", { seed: o.seed, control: "fixed", width: o.size, height: o.size }),
    node("sched", "scheduler", { algorithm: o.algorithm ?? "euler", steps: o.steps }),
    node("sample", "unet-step", { cfg: o.cfg }),
    node("decode", "vae-decode", {}),
    node("preview", "preview-image", {}),
  ];
  const edges = [
    edge("model", "textEncoder", "pos", "textEncoder"),
    edge("model", "unet", "sched", "unet"),
    edge("model", "unet", "sample", "unet"),
    edge("pos", "conditioning", "sample", "positive"),
    edge("latent", "latent", "sample", "latent"),
    edge("noise", "noise", "sample", "noise"),
    edge("sched", "schedule", "sample", "schedule"),
    edge("sample", "latent", "decode", "latent"),
    edge("model", "vae", "decode", "vae"),
    edge("decode", "image", "preview", "image"),
  ];
  if (o.negative !== null && o.negative !== undefined) {
    const from = o.negModel ? "model2" : "model";
    if (o.negModel) nodes.push(node("model2", "model-loader", { model: o.negModel }));
    nodes.push(node("neg", o.negModel ? "text-encoder" : enc, { text: o.negative }));
    edges.push(
      edge(from, "textEncoder", "neg", "textEncoder"),
      edge("neg", "conditioning", "sample", "negative"),
    );
  }
  return {
    format: DOCUMENT_FORMAT,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    name: "sdxl",
    description: "",
    nodes,
    edges,
    groups: [],
    notes: [],
    metadata: {},
  };
}

async function run(doc: GraphDocument, rt = cpuRuntime(MODELS)) {
  const summary = await rt.executor.run(doc);
  expect(summary.status, JSON.stringify(summary.error)).toBe("succeeded");
  return {
    latent: summary.outputs.get("sample")!.latent as Latent,
    image: summary.outputs.get("decode")!.image as ImageValue,
    summary,
  };
}

describe("SDXL text conditioning (diffusers' encode_prompt)", () => {
  it("tokenizer_2 pads with '!' (id 0); both encoders' penultimate states are joined; pooled = text_embeds", async () => {
    const rt = cpuRuntime(MODELS);
    const t1 = await rt.services.tokenizer("tiny-sdxl");
    const t2 = await rt.services.tokenizer("tiny-sdxl", "tokenizer_2");
    expect(t1.encode(ref.encode.prompt).ids).toEqual(ref.ids.tokenizer);
    expect(t2.encode(ref.encode.prompt).ids).toEqual(ref.ids.tokenizer_2);
    expect(t2.padId).toBe(0);

    const one = await encodePrompt(rt.services, "tiny-sdxl", { text: ref.encode.prompt });
    expect(one.embeds.dims).toEqual(ref.encode.dims);
    expect(maxAbsDiff(one.embeds.data, ref.encode.embeds)).toBeLessThan(1e-4);
    expect(maxAbsDiff(one.pooled!.data, ref.encode.pooled)).toBeLessThan(1e-4);

    // prompt 2 goes to text_encoder_2 only: the first 32 columns stay, the last 48 and the pooled change.
    const two = await encodePrompt(rt.services, "tiny-sdxl", {
      text: ref.encode.prompt,
      text2: ref.encode.prompt_2,
    });
    expect(maxAbsDiff(two.embeds.data, ref.encode.embeds_2)).toBeLessThan(1e-4);
    expect(maxAbsDiff(two.pooled!.data, ref.encode.pooled_2)).toBeLessThan(1e-4);
    expect(maxAbsDiff(two.embeds.data, one.embeds.data)).toBeGreaterThan(1e-2);
  });

  it("time_ids are (original h, w, crop top, left, target h, w); 0 = the image's size; refiner: aesthetic score", () => {
    const c = {
      originalSize: [96, 128] as [number, number],
      cropTopLeft: [8, 16] as [number, number],
      targetSize: [0, 0] as [number, number],
    };
    expect(timeIds(c, 64, 80, 6, "positive")).toEqual([96, 128, 8, 16, 64, 80]);
    expect(timeIds(undefined, 1024, 768, 6, "positive")).toEqual([1024, 768, 0, 0, 1024, 768]);
    expect(timeIds(undefined, 1024, 1024, 5, "positive")).toEqual([1024, 1024, 0, 0, 6]);
    expect(timeIds(undefined, 1024, 1024, 5, "negative")).toEqual([1024, 1024, 0, 0, 2.5]);
    expect(timeIds({ ...c, aestheticScore: 7 }, 64, 64, 5, "negative")).toEqual([96, 128, 8, 16, 7]);
  });
});

describe("SDXL base through the executor", () => {
  it("matches the reference loop: zero negative (force_zeros_for_empty_prompt), Euler, VAE ÷ 0.13025", async () => {
    const b = ref.base;
    const r = await run(xlGraph({ seed: b.seed, steps: b.steps, cfg: b.cfg, size: b.size, negative: "" }));
    expect(r.latent.samples.dims).toEqual([1, 4, b.size / 8, b.size / 8]);
    expect(maxAbsDiff(r.latent.samples.data, b.latent)).toBeLessThan(2e-4);
    // The VAE's [-1, 1] image mapped to [0, 1] as the node outputs it.
    const want = b.image.map((v: number) => Math.min(1, Math.max(0, (v + 1) / 2)));
    expect(maxAbsDiff(r.image.tensor.data, want)).toBeLessThan(2e-4);
    // Unlinked negative = the same zeros.
    const u = await run(xlGraph({ seed: b.seed, steps: b.steps, cfg: b.cfg, size: b.size, negative: null }));
    expect(maxAbsDiff(u.latent.samples.data, r.latent.samples.data)).toBe(0);
  });

  it("matches with a negative prompt and micro-conditioning (original 96×128, crop 8,16)", async () => {
    const m = ref.micro;
    const pos = {
      originalHeight: m.original[0],
      originalWidth: m.original[1],
      cropTop: m.crop[0],
      cropLeft: m.crop[1],
    };
    const doc = xlGraph({
      seed: m.seed,
      steps: m.steps,
      cfg: m.cfg,
      size: m.size,
      negative: m.negative,
      pos,
    });
    // The negative node gets the same size conditioning, as diffusers' negative_original_size defaults.
    doc.nodes.find((n) => n.id === "neg")!.params = {
      ...doc.nodes.find((n) => n.id === "neg")!.params,
      ...pos,
    };
    const r = await run(doc);
    expect(maxAbsDiff(r.latent.samples.data, m.latent)).toBeLessThan(2e-4);
    // The size conditioning reaches the U-Net: without it the result differs.
    const plain = await run(
      xlGraph({ seed: m.seed, steps: m.steps, cfg: m.cfg, size: m.size, negative: m.negative }),
    );
    expect(maxAbsDiff(plain.latent.samples.data, m.latent)).toBeGreaterThan(1e-3);
  });

  it("the plain Text Encoder node on an SDXL model gives the same conditioning (prompt for both encoders)", async () => {
    const b = ref.base;
    const r = await run(
      xlGraph({
        seed: b.seed,
        steps: b.steps,
        cfg: b.cfg,
        size: b.size,
        negative: "",
        encoder: "text-encoder",
      }),
    );
    expect(maxAbsDiff(r.latent.samples.data, b.latent)).toBeLessThan(2e-4);
  });

  it("same seed, same settings → the same latent on a fresh runtime", async () => {
    const b = ref.base;
    const doc = xlGraph({ seed: 5, steps: 2, cfg: 3, size: 64, negative: "blue dog" });
    const a = await run(doc);
    const c = await run(doc);
    expect(maxAbsDiff(a.latent.samples.data, c.latent.samples.data)).toBe(0);
    expect(b).toBeDefined();
  });
});

describe("SDXL stored in float16 end to end", () => {
  it("runs with float16 feeds (text_embeds and time_ids too) and stays near the float64 reference", async () => {
    const b = ref.base;
    const rt = cpuRuntime(MODELS);
    const unet = await rt.services.session("tiny-sdxl-fp16", "unet");
    expect(unet.inputs.map((i) => `${i.name}:${i.dtype}`)).toEqual([
      "sample:float16",
      "timestep:float16",
      "encoder_hidden_states:float16",
      "text_embeds:float16",
      "time_ids:float16",
    ]);
    const r = await run(
      xlGraph({
        model: "tiny-sdxl-fp16",
        seed: b.seed,
        steps: b.steps,
        cfg: b.cfg,
        size: b.size,
        negative: "",
      }),
      rt,
    );
    // float16 keeps ~3 decimal digits: the error is judged against the latent's size (max |x| ≈ 14 after 3 steps).
    const d = maxAbsDiff(r.latent.samples.data, b.latent);
    const scale = Math.max(...b.latent.map(Math.abs));
    expect(d / scale).toBeLessThan(1e-2);
    // …and it is float16 rounding, not another computation: float32 is 100× closer.
    expect(
      maxAbsDiff(
        (await run(xlGraph({ seed: b.seed, steps: b.steps, cfg: b.cfg, size: b.size, negative: "" }), rt))
          .latent.samples.data,
        b.latent,
      ),
    ).toBeLessThan(d / 100);
  });
});

describe("classifier-free guidance off (CFG ≤ 1) and Turbo", () => {
  /** Records the batch of every U-Net call of the real session. */
  async function countCalls(rt: ReturnType<typeof cpuRuntime>, model: string) {
    const unet = await rt.services.session(model, "unet");
    const calls: number[] = [];
    const original = unet.run.bind(unet);
    unet.run = (feeds, opts) => {
      calls.push(feeds.sample.dims[0]);
      return original(feeds, opts);
    };
    return calls;
  }

  it("CFG 1 makes one U-Net call per step with batch 1 and matches the reference", async () => {
    const c = ref.cfg1;
    const rt = cpuRuntime(MODELS);
    const calls = await countCalls(rt, "tiny-sdxl");
    const r = await run(
      xlGraph({ seed: c.seed, steps: c.steps, cfg: 1, size: c.size, negative: "blue dog" }),
      rt,
    );
    expect(calls).toEqual(c.calls.map((k: { batch: number }) => k.batch));
    expect(calls).toEqual([1, 1]);
    expect(maxAbsDiff(r.latent.samples.data, c.latent)).toBeLessThan(2e-4);
    // CFG 0.5 too (diffusers guides only above 1); CFG 2 doubles the batch.
    calls.length = 0;
    await run(xlGraph({ seed: c.seed, steps: 2, cfg: 0.5, size: c.size, negative: "" }), rt);
    expect(calls).toEqual([1, 1]);
    calls.length = 0;
    await run(xlGraph({ seed: c.seed, steps: 2, cfg: 2, size: c.size, negative: "" }), rt);
    expect(calls).toEqual([2, 2]);
  });

  it("a Turbo folder runs 1 step at CFG 1 with its trailing Euler-ancestral config: one call, batch 1", async () => {
    const rt = cpuRuntime(MODELS);
    const calls = await countCalls(rt, "tiny-sdxl-turbo");
    const doc = xlGraph({
      model: "tiny-sdxl-turbo",
      seed: 1,
      steps: 1,
      cfg: 1,
      size: 64,
      negative: null,
      algorithm: "euler-ancestral",
    });
    const r = await run(doc, rt);
    expect(calls).toEqual([1]);
    const sched = r.summary.outputs.get("sched")!.schedule as { timesteps: number[] };
    expect(sched.timesteps).toEqual([999]); // trailing spacing: the first step is at t = T − 1
  });

  it("a Turbo model run with many steps or CFG > 1 gets a warning on the U-Net step", async () => {
    const rt = cpuRuntime(MODELS);
    const warnings: string[] = [];
    const doc = xlGraph({ model: "tiny-sdxl-turbo", seed: 1, steps: 6, cfg: 3, size: 64, negative: null });
    const r = await rt.executor.run(doc, {
      onEvent: (e) => {
        if (e.type === "node.warning" && e.nodeId === "sample") warnings.push(e.message);
      },
    });
    expect(r.status).toBe("succeeded");
    expect(warnings).toEqual([
      expect.stringContaining('"tiny-sdxl-turbo" is a Turbo model, made for 1–4 steps at CFG 1'),
    ]);
  });
});

describe("SDXL refiner", () => {
  it("encoder 2 only, 5 time ids with the aesthetic score (6, negative 2.5): matches the reference", async () => {
    const f = ref.refiner;
    const doc = xlGraph({
      model: "tiny-sdxl-refiner",
      seed: f.seed,
      steps: f.steps,
      cfg: f.cfg,
      size: f.size,
      negative: "",
    });
    doc.nodes.find((n) => n.id === "neg")!.params.aestheticScore = 2.5;
    const r = await run(doc);
    expect(maxAbsDiff(r.latent.samples.data, f.latent)).toBeLessThan(2e-4);
    // force_zeros_for_empty_prompt is false for the refiner: an unlinked negative encodes "" (score 2.5).
    const u = await run(
      xlGraph({
        model: "tiny-sdxl-refiner",
        seed: f.seed,
        steps: f.steps,
        cfg: f.cfg,
        size: f.size,
        negative: null,
      }),
    );
    expect(maxAbsDiff(u.latent.samples.data, f.latent)).toBeLessThan(2e-4);
  });
});

describe("mismatched conditioning is refused, naming the mismatch", () => {
  it("an SDXL U-Net fed from an SD 1.x encoder", async () => {
    const rt = cpuRuntime(MODELS);
    const doc = xlGraph({ seed: 1, steps: 1, cfg: 5, size: 64, negative: "", negModel: "tiny-sd" });
    const summary = await rt.executor.run(doc);
    expect(summary.status).toBe("failed");
    const msg = JSON.stringify(summary.error);
    expect(msg).toContain("the U-Net tiny-sdxl/unet (sdxl) takes 80-wide text embeddings");
    expect(msg).toContain('model \\"tiny-sd\\" (sd1) is 32 wide');
    expect(msg).toContain('needs \\"text_embeds\\" [1,40]');
  });

  it("the SDXL text encoder node refuses an SD 1.x model", async () => {
    const rt = cpuRuntime(MODELS);
    const summary = await rt.executor.run(xlGraph({ model: "tiny-sd", seed: 1, steps: 1, cfg: 5, size: 64 }));
    expect(JSON.stringify(summary.error)).toContain('model \\"tiny-sd\\" is sd1, not SDXL');
  });
});
