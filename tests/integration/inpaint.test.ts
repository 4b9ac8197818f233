/**
 * Inpainting through the real executor:
 * - a 9-channel inpainting U-Net (tiny random-weight fixture of the SD inpaint I/O contract) with Inpaint
 *   Conditioning, against a float64 torch reference of diffusers' inpaint pipeline from the same weights
 *   (scripts/fixtures/make_tiny_inpaint.py): mask from the image's alpha, binarised, shrunk (nearest),
 *   masked image blanked and encoded, U-Net on latent ‖ mask ‖ masked-image latent;
 * - an ordinary model with Set Latent Noise Mask: outside the mask the latent comes back unchanged.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DOCUMENT_FORMAT, DOCUMENT_FORMAT_VERSION, type GraphDocument } from "../../core/graph/document";
import type { Conditioning, Latent } from "../../core/node/values";
import { maxAbsDiff } from "../helpers/max-diff";
import { edge, node } from "./helpers/documents";
import { cpuRuntime } from "./helpers/runtime";

const MODELS = "tests/fixtures/models";
const IMAGE = "tests/fixtures/inpaint-image.png";
const ref = JSON.parse(readFileSync("tests/fixtures/inpaint-reference.json", "utf8"));

const doc = (nodes: ReturnType<typeof node>[], edges: ReturnType<typeof edge>[]): GraphDocument => ({
  format: DOCUMENT_FORMAT,
  formatVersion: DOCUMENT_FORMAT_VERSION,
  name: "inpaint",
  description: "",
  nodes,
  edges,
  groups: [],
  notes: [],
  metadata: {},
});

/** Dedicated inpainting model: Load Image (mask = alpha) → Inpaint Conditioning → U-Net step from an empty latent. */
function dedicated(withConditioning = true): GraphDocument {
  const nodes = [
    node("model", "model-loader", { model: "tiny-sd-inpaint" }),
    node("image", "load-image", { image: IMAGE }),
    node("pos", "text-encoder", { text: ref.prompt }),
    node("neg", "text-encoder", { text: "" }),
    node("inpaint", "inpaint-conditioning", {}),
    node("latent", "empty-latent", { width: ref.size, height: ref.size }),
    node("noise", "noise", { seed: ref.seed, control: "fixed", width: ref.size, height: ref.size }),
    node("sched", "scheduler", { algorithm: "euler", steps: ref.steps }),
    node("sample", "unet-step", { cfg: ref.cfg }),
    node("decode", "vae-decode", {}),
    node("preview", "preview-image", {}),
  ];
  const cond = withConditioning
    ? [
        edge("pos", "conditioning", "inpaint", "positive"),
        edge("neg", "conditioning", "inpaint", "negative"),
        edge("model", "vae", "inpaint", "vae"),
        edge("image", "image", "inpaint", "image"),
        edge("image", "mask", "inpaint", "mask"),
        edge("inpaint", "positive", "sample", "positive"),
        edge("inpaint", "negative", "sample", "negative"),
      ]
    : [edge("pos", "conditioning", "sample", "positive"), edge("neg", "conditioning", "sample", "negative")];
  return doc(withConditioning ? nodes : nodes.filter((n) => n.id !== "inpaint"), [
    edge("model", "textEncoder", "pos", "textEncoder"),
    edge("model", "textEncoder", "neg", "textEncoder"),
    ...cond,
    edge("model", "unet", "sched", "unet"),
    edge("model", "unet", "sample", "unet"),
    edge("latent", "latent", "sample", "latent"),
    edge("noise", "noise", "sample", "noise"),
    edge("sched", "schedule", "sample", "schedule"),
    edge("sample", "latent", "decode", "latent"),
    edge("model", "vae", "decode", "vae"),
    edge("decode", "image", "preview", "image"),
  ]);
}

describe("9-channel inpainting U-Net", () => {
  it("matches diffusers' inpaint pipeline: mask, masked-image latent and the sampled latent", async () => {
    const rt = cpuRuntime(MODELS);
    const r = await rt.executor.run(dedicated());
    expect(r.status, JSON.stringify(r.error)).toBe("succeeded");
    const concat = (r.outputs.get("inpaint")!.positive as Conditioning)[0].concat!;
    expect(concat.dims).toEqual([1, 5, 8, 8]);
    expect(Array.from(concat.data.subarray(0, 64))).toEqual(ref.mask_latent);
    expect(maxAbsDiff(concat.data.subarray(64), ref.masked_image_latent)).toBeLessThan(1e-4);
    const latent = r.outputs.get("sample")!.latent as Latent;
    expect(maxAbsDiff(latent.samples.data, ref.latent)).toBeLessThan(2e-4);
  });

  it("without Inpaint Conditioning the 9-channel U-Net is refused, saying what to do", async () => {
    const rt = cpuRuntime(MODELS);
    const r = await rt.executor.run(dedicated(false));
    expect(r.status).toBe("failed");
    expect(r.error?.nodeId).toBe("sample");
    expect(r.error?.message).toMatch(
      /tiny-sd-inpaint\/unet is an inpainting U-Net \(it takes 9 channels.*feed its conditioning through Inpaint Conditioning/,
    );
  });
});

describe("Set Latent Noise Mask with an ordinary model", () => {
  it("repaints the masked square only: the rest of the latent is kept exactly", async () => {
    const rt = cpuRuntime(MODELS);
    const nodes = [
      node("model", "model-loader", { model: "tiny-sd" }),
      node("image", "load-image", { image: IMAGE }),
      node("encode", "vae-encode", {}),
      node("mask", "set-latent-noise-mask", {}),
      node("pos", "text-encoder", { text: "a red painting" }),
      node("noise", "noise", { seed: 3, control: "fixed", width: 64, height: 64 }),
      node("sched", "scheduler", { algorithm: "euler", steps: 4 }),
      node("sample", "unet-step", { cfg: 3 }),
      node("decode", "vae-decode", {}),
      node("preview", "preview-image", {}),
    ];
    const edges = [
      edge("image", "image", "encode", "image"),
      edge("model", "vae", "encode", "vae"),
      edge("encode", "latent", "mask", "latent"),
      edge("image", "mask", "mask", "mask"),
      edge("model", "textEncoder", "pos", "textEncoder"),
      edge("pos", "conditioning", "sample", "positive"),
      edge("model", "unet", "sched", "unet"),
      edge("model", "unet", "sample", "unet"),
      edge("mask", "latent", "sample", "latent"),
      edge("noise", "noise", "sample", "noise"),
      edge("sched", "schedule", "sample", "schedule"),
      edge("sample", "latent", "decode", "latent"),
      edge("model", "vae", "decode", "vae"),
      edge("decode", "image", "preview", "image"),
    ];
    const r = await rt.executor.run(doc(nodes, edges));
    expect(r.status, JSON.stringify(r.error)).toBe("succeeded");
    const before = (r.outputs.get("encode")!.latent as Latent).samples.data;
    const after = r.outputs.get("sample")!.latent as Latent;
    expect(after.noiseMask).toBeDefined(); // carried on, as ComfyUI's KSampler output keeps noise_mask
    // The transparent square x, y ∈ [24, 48) covers latent cells 3…5 (bilinear: centres 27.5, 35.5, 43.5).
    let insideChange = 0;
    for (let c = 0; c < 4; c++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          const i = c * 64 + y * 8 + x;
          const inside = y >= 3 && y <= 5 && x >= 3 && x <= 5;
          if (inside) insideChange = Math.max(insideChange, Math.abs(after.samples.data[i] - before[i]));
          else
            expect(Math.abs(after.samples.data[i] - before[i]), `channel ${c} (${x}, ${y})`).toBeLessThan(
              1e-6,
            );
        }
    expect(insideChange).toBeGreaterThan(0.05);
  });
});
