/**
 * Issue 11, item 2: a NaN/Inf reaching VAE Decode fails the node with a clear message instead of being
 * clamped into a black image that reports "done". Runs the real demo-model VAE decoder (onnxruntime-node).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { graphDocumentSchema } from "../../core/graph/document";
import { applyOverrides } from "../../core/graph/overrides";
import { type Latent, Tensor, type VaeHandle } from "../../core/node/values";
import { registry } from "../../nodes/registry";
import { vaeDecodeImpl } from "../../nodes/vae-decode/execute";
import { cpuRuntime } from "./helpers/runtime";

const rt = cpuRuntime("models", { sessionMiB: 256 });
const doc = applyOverrides(
  graphDocumentSchema.parse(JSON.parse(readFileSync("examples/txt2img.json", "utf8"))),
  registry,
  { seed: 1n, set: [{ nodeId: "schedule", param: "steps", value: 2 }] },
);

async function decode(values: Float32Array) {
  const r = await rt.executor.run(doc, { previews: false });
  expect(r.status).toBe("succeeded");
  const vae = r.outputs.get("model")!.vae as VaeHandle;
  const latent: Latent = { samples: new Tensor([1, 4, 8, 8], values), sigma: 0, seeds: ["1"] };
  const ctx = {
    runId: "r",
    nodeId: "decode",
    nodeType: "vae-decode",
    signal: new AbortController().signal,
    document: doc,
    progress: () => {},
    warn: () => {},
    services: rt.services,
  };
  return vaeDecodeImpl.execute(ctx, { vae, latent }, {});
}

describe("VAE Decode NaN/Inf guard", () => {
  it("a latent holding NaN fails naming the image and the model", async () => {
    const z = new Float32Array(256).fill(0.1);
    z[17] = Number.NaN;
    await expect(decode(z)).rejects.toThrow(
      /the latent for image 1 of 1 holds NaN\/Inf \(1 of 256 values\) before VAE decode \(model "petalflow-shapes"\)/,
    );
  }, 120_000);

  it("a finite latent whose decode overflows fails naming the VAE", async () => {
    // 1e36 (×1/0.18 in the decoder input) is finite; the convolutions overflow float32 to Inf/NaN.
    await expect(decode(new Float32Array(256).fill(1e36))).rejects.toThrow(
      /VAE decoder of model "petalflow-shapes" returned NaN\/Inf/,
    );
  }, 120_000);

  it("an ordinary latent decodes", async () => {
    const out = await decode(new Float32Array(256).fill(0.1));
    const img = (out.outputs as { image: { tensor: Tensor } }).image.tensor;
    expect(img.dims).toEqual([1, 3, 64, 64]);
    expect(img.data.every(Number.isFinite)).toBe(true);
  }, 120_000);
});
