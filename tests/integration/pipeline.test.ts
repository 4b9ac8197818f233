/**
 * The real diffusion node set through the engine, on the tiny fixture model (trivial maths, real ONNX
 * sessions): determinism, caching on a seed-only change, chained samplers, img2img, metadata, errors.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type GraphDocument, graphDocumentSchema } from "../../core/graph/document";
import { applyOverrides } from "../../core/graph/overrides";
import type { Latent } from "../../core/node/values";
import type { RunEvent } from "../../core/run/events";
import { registry } from "../../nodes/registry";
import { cudaProviderAvailable } from "../../server/diffusion/providers";
import { decodeImage, PNG_TEXT_KEYS, readPngText } from "../../server/media/png";
import { cpuRuntime } from "./helpers/runtime";

const MODELS = "tests/fixtures/models";
const pixels = (file: string) =>
  decodeImage(readFileSync(file), { maxPixels: 1 << 20, maxBytes: 1 << 24 }).data;
const example = (name: string, model = "tiny-sd"): GraphDocument => {
  const doc = graphDocumentSchema.parse(JSON.parse(readFileSync(`examples/${name}.json`, "utf8")));
  return applyOverrides(doc, registry, { set: [{ nodeId: "model", param: "model", value: model }] });
};

function runtime() {
  const out = mkdtempSync(path.join(tmpdir(), "pf-pipeline-"));
  const rt = cpuRuntime(MODELS, { outDir: out });
  const run = async (doc: GraphDocument) => {
    const events: RunEvent[] = [];
    const summary = await rt.executor.run(doc, { onEvent: (e) => events.push(e) });
    const ran = Object.entries(summary.results)
      .filter(([, r]) => r.status === "ran")
      .map(([id]) => id)
      .sort();
    return { summary, events, ran };
  };
  return { ...rt, out, run };
}

describe("txt2img through the engine", () => {
  it("writes a PNG, and the same seed gives byte-identical pixels in a fresh process state", async () => {
    const a = runtime();
    const r1 = await a.run(applyOverrides(example("txt2img"), registry, { seed: 42n }));
    expect(r1.summary.status, JSON.stringify(r1.summary.error)).toBe("succeeded");
    expect(r1.summary.files).toHaveLength(1);
    const b = runtime();
    const r2 = await b.run(applyOverrides(example("txt2img"), registry, { seed: 42n }));
    expect(pixels(r2.summary.files[0].path)).toEqual(pixels(r1.summary.files[0].path));
    const r3 = await b.run(applyOverrides(example("txt2img"), registry, { seed: 43n }));
    expect(pixels(r3.summary.files[0].path)).not.toEqual(pixels(r1.summary.files[0].path));
  });

  it("a seed-only change re-runs only Noise → U-Net step → VAE Decode → Save Image", async () => {
    const rt = runtime();
    await rt.run(applyOverrides(example("txt2img"), registry, { seed: 1n }));
    const r = await rt.run(applyOverrides(example("txt2img"), registry, { seed: 2n }));
    expect(r.ran).toEqual(["decode", "noise", "sampler", "save"]);
    for (const id of ["model", "positive", "negative", "schedule", "latent"])
      expect(r.summary.results[id].status).toBe("cached");
    // No model was loaded again on the rerun.
    expect(rt.services.sessions.stats().loads).toBe(3);
  });

  it("reports step progress with a latent preview, and the seeds used", async () => {
    const rt = runtime();
    const r = await rt.run(applyOverrides(example("txt2img"), registry, { seed: 12345678901234567890n }));
    const steps = r.events.filter((e) => e.type === "node.progress" && e.nodeId === "sampler");
    expect(steps).toHaveLength(25);
    expect(steps.at(-1)).toMatchObject({ step: 25, total: 25 });
    expect((steps[0] as { preview?: { dataUrl: string } }).preview?.dataUrl).toMatch(
      /^data:image\/png;base64,/,
    );
    expect(r.summary.seeds.noise).toEqual(["12345678901234567890"]);
    expect(r.summary.files[0].seed).toBe("12345678901234567890");
  });

  it("embeds the document that ran, with its exact seed, in the PNG", async () => {
    const rt = runtime();
    const doc = applyOverrides(example("txt2img"), registry, { seed: 777n });
    const r = await rt.run(doc);
    const text = readPngText(readFileSync(r.summary.files[0].path));
    const embedded = graphDocumentSchema.parse(JSON.parse(text[PNG_TEXT_KEYS.document]));
    expect(embedded.nodes.find((n) => n.id === "noise")?.params.seed).toBe(777);
    expect(JSON.parse(text[PNG_TEXT_KEYS.seeds]).seed).toBe("777");
  });

  it("a batch of 3 uses seeds seed, seed+1, seed+2, and image i reproduces alone", async () => {
    const rt = runtime();
    const batch = applyOverrides(example("txt2img"), registry, {
      seed: 100n,
      set: [{ nodeId: "noise", param: "batch", value: 3 }],
    });
    const r = await rt.run(batch);
    expect(r.summary.files.map((f) => f.seed)).toEqual(["100", "101", "102"]);
    const single = await rt.run(applyOverrides(example("txt2img"), registry, { seed: 102n }));
    expect(pixels(single.summary.files[0].path)).toEqual(pixels(r.summary.files[2].path));
    expect(pixels(r.summary.files[1].path)).not.toEqual(pixels(r.summary.files[2].path));
  });
});

describe("U-Net step", () => {
  const sampled = async (doc: GraphDocument, id: string) => {
    const rt = runtime();
    const r = await rt.run(doc);
    expect(r.summary.status, JSON.stringify(r.summary.error)).toBe("succeeded");
    return r.summary.outputs.get(id)!.latent as Latent;
  };

  for (const algorithm of ["ddim", "euler"]) {
    it(`two chained over step ranges equal one over the whole range (${algorithm})`, async () => {
      const set = [{ nodeId: "schedule", param: "algorithm", value: algorithm }];
      const one = await sampled(applyOverrides(example("txt2img"), registry, { seed: 5n, set }), "sampler");
      const twoDoc = applyOverrides(example("two-stage"), registry, {
        seed: 5n,
        set: [...set, { nodeId: "refiner", param: "cfg", value: 7.5 }],
      });
      // Same prompt for both stages, so the only difference is the split.
      twoDoc.edges = twoDoc.edges
        .filter((e) => e.to.node !== "refine")
        .map((e) => (e.from.node === "refine" ? { ...e, from: { ...e.from, node: "positive" } } : e));
      twoDoc.nodes = twoDoc.nodes.filter((n) => n.id !== "refine");
      const positive = twoDoc.nodes.find((n) => n.id === "positive")!;
      positive.params.text = "a red circle on a blue background";
      const two = await sampled(twoDoc, "refiner");
      expect(two.sigma).toBe(0);
      let maxDiff = 0;
      for (let i = 0; i < one.samples.size; i++)
        maxDiff = Math.max(maxDiff, Math.abs(one.samples.data[i] - two.samples.data[i]));
      expect(maxDiff).toBeLessThan(1e-4);
    });
  }

  it("img2img: denoise 0 is refused at the field (it used to return the input silently); denoise 0.6 runs 15 of 25 steps", async () => {
    const rt = runtime();
    const still = await rt.run(
      applyOverrides(example("img2img"), registry, {
        set: [{ nodeId: "sampler", param: "denoise", value: 0 }],
      }),
    );
    expect(still.summary.status).toBe("failed");
    expect(still.summary.outputs.get("sampler")).toBeUndefined();
    expect(JSON.stringify(still.summary.error)).toMatch(/denoise 0 runs no step/);
    const r = await rt.run(example("img2img"));
    const steps = r.events.filter((e) => e.type === "node.progress" && e.nodeId === "sampler");
    expect(steps.at(-1)).toMatchObject({ step: 15, total: 15 });
  });
});

describe("errors name the node and the model", () => {
  it("a broken ONNX file fails the run on the node that loads it", async () => {
    const rt = runtime();
    const r = await rt.run(example("txt2img", "broken-onnx"));
    expect(r.summary.status).toBe("failed");
    expect(r.summary.error?.nodeId).toBe("model");
    expect(r.summary.error?.message).toMatch(/broken-onnx/);
  });

  it("tensors of the wrong shape fail on the U-Net step, naming the model and the input", async () => {
    const rt = runtime();
    const r = await rt.run(example("txt2img", "wrong-shapes"));
    expect(r.summary.status).toBe("failed");
    expect(r.summary.error?.nodeId).toBe("sampler");
    expect(r.summary.error?.message).toMatch(/wrong-shapes\/unet/);
    expect(r.summary.error?.message).toMatch(/encoder_hidden_states/);
  });

  it("an unknown model lists the models that exist", async () => {
    const rt = runtime();
    const r = await rt.run(example("txt2img", "no-such-model"));
    expect(r.summary.error?.message).toMatch(/no-such-model.*tiny-sd/s);
  });

  it("a model path that escapes the models directory is refused", async () => {
    const rt = runtime();
    const r = await rt.run(example("txt2img", "../tests"));
    expect(r.summary.status).toBe("failed");
    expect(r.summary.error?.nodeId).toBe("model");
  });

  it("width not a multiple of 8 is refused on the node", async () => {
    const rt = runtime();
    const r = await rt.run(
      applyOverrides(example("txt2img"), registry, {
        set: [{ nodeId: "latent", param: "width", value: 60 }],
      }),
    );
    expect(r.summary.error).toMatchObject({ nodeId: "latent" });
    expect(r.summary.error?.message).toMatch(/multiple of 8/);
  });
});

describe("forward process graph", () => {
  it("noise rises with t: the decoded images drift further from t = 0", async () => {
    const rt = runtime();
    const r = await rt.run(example("forward-process"));
    expect(r.summary.status, JSON.stringify(r.summary.error)).toBe("succeeded");
    const img = (t: number) =>
      (r.summary.outputs.get(`decode${t}`)!.image as { tensor: { data: Float32Array } }).tensor.data;
    const clean = img(0);
    const dist = [250, 500, 750, 999].map((t) => img(t).reduce((a, v, i) => a + (v - clean[i]) ** 2, 0));
    for (let i = 1; i < dist.length; i++) expect(dist[i]).toBeGreaterThan(dist[i - 1]);
  });
});

describe("CLI", () => {
  const cli = promisify(execFile);
  const graph = (args: string[], env: Record<string, string> = {}) =>
    cli("npx", ["tsx", "scripts/graph.ts", ...args], {
      encoding: "utf8",
      env: { ...process.env, ...env },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
    );

  it("validate exits 2 with node-keyed JSON errors for an invalid document, 0 for a valid one", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pf-cli-"));
    const bad = example("txt2img");
    bad.edges = bad.edges.filter((e) => e.to.node !== "sampler" || e.to.port !== "unet");
    const file = path.join(dir, "bad.json");
    writeFileSync(file, JSON.stringify(bad));
    const r = await graph(["validate", file, "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).errors).toEqual([
      expect.objectContaining({ code: "missing_input", nodeId: "sampler", field: "unet" }),
    ]);
    expect((await graph(["validate", "examples/txt2img.json"])).code).toBe(0);
  });

  it("run --json streams the event contract and lists the files written; --seeds runs once per seed", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "pf-cli-out-"));
    const r = await graph([
      "run",
      "examples/txt2img.json",
      "--models",
      MODELS,
      "--set",
      "model.model=tiny-sd",
      "--seeds",
      "3..4",
      "--out",
      out,
      "--json",
    ]);
    expect(r.code).toBe(0);
    // stderr's first line of ours names the provider (native libraries may print before it).
    expect(r.stderr.split("\n").find((l) => l.startsWith("provider: "))).toMatch(
      /^provider: (cpu|cuda|webgpu) \(auto/,
    );
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === "run.finished")).toHaveLength(2);
    const saved = events.filter((e) => e.type === "node.finished" && e.nodeId === "save");
    expect(saved.map((e) => e.files[0].seed)).toEqual(["3", "4"]);
    // The second run reused the first one's text encodings.
    expect(events.filter((e) => e.type === "node.cached").map((e) => e.nodeId)).toContain("positive");
  });

  it("exits 1 when the run fails and 2 on bad arguments", async () => {
    expect(
      (await graph(["run", "examples/txt2img.json", "--models", MODELS, "--set", "model.model=broken-onnx"]))
        .code,
    ).toBe(1);
    expect((await graph(["run", "examples/txt2img.json", "--seeds", "9..1"])).code).toBe(2);
    expect((await graph(["frobnicate", "x"])).code).toBe(2);
  });

  it("takes its limits from PETALFLOW_MAX_* as the server does, and refuses a bad value naming it", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "pf-cli-out-"));
    const args = [
      "run",
      "examples/txt2img.json",
      "--models",
      MODELS,
      "--set",
      "model.model=tiny-sd",
      "--out",
      out,
    ];
    const small = await graph(args, { PETALFLOW_MAX_PIXELS: "1000" });
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/64×64 is over this server's limit of 1000 pixels/);
    const bad = await graph(args, { PETALFLOW_OUTPUT_CACHE_MB: "lots" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/PETALFLOW_OUTPUT_CACHE_MB: /);
    expect(readdirSync(out)).toEqual([]);
  }, 180_000);

  it.skipIf(cudaProviderAvailable())(
    "--provider cuda without CUDA exits 1 with the reason, running nothing",
    async () => {
      const out = mkdtempSync(path.join(tmpdir(), "pf-cli-out-"));
      const r = await graph(["run", "examples/txt2img.json", "--provider", "cuda", "--out", out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /provider: none — the cuda execution provider was requested .* cannot start: /,
      );
      expect(readdirSync(out)).toEqual([]);
    },
    180_000,
  );
});
