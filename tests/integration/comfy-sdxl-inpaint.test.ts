/**
 * ComfyUI workflows with SDXL text encoders, CLIP skip and inpainting nodes, imported and run through the
 * real executor on the tiny fixtures (tests/fixtures/models). The conditioning is checked against the
 * float64 torch references of scripts/fixtures/make_tiny_sdxl.py / make_tiny_inpaint.py (tolerance 1e-4:
 * ONNX float32 vs torch float64); the sampled latent against the same graph built by hand in Petalflow.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DOCUMENT_FORMAT, DOCUMENT_FORMAT_VERSION, type GraphDocument } from "../../core/graph/document";
import {
  type Conditioning,
  type ImageValue,
  type Latent,
  type MaskValue,
  Tensor,
} from "../../core/node/values";
import { resizePlane } from "../../server/diffusion/masks";
import { encodePrompt } from "../../server/diffusion/text-encode";
import { encodeImages } from "../../server/diffusion/vae-encode";
import { importComfyJson } from "../../server/interop/comfy";
import { maxAbsDiff } from "../helpers/max-diff";
import { edge, node } from "./helpers/documents";
import { cpuRuntime } from "./helpers/runtime";

const MODELS = "tests/fixtures/models";
const xlRef = JSON.parse(readFileSync("tests/fixtures/sdxl-reference.json", "utf8"));
const inpaintRef = JSON.parse(readFileSync("tests/fixtures/inpaint-reference.json", "utf8"));

async function importAndRun(value: unknown, uploads?: ReadonlyMap<string, string>) {
  const rt = cpuRuntime(MODELS);
  const models = (await rt.services.models.list()).models.map((m) => m.id);
  const got = importComfyJson(value, models, "test", uploads);
  if (!got) throw new Error("not recognised");
  const summary = await rt.executor.run(got.document);
  expect(summary.status, JSON.stringify(summary.error)).toBe("succeeded");
  return { ...got, summary, rt };
}

describe("an imported ComfyUI SDXL workflow runs on tiny-sdxl", () => {
  it("CLIPTextEncodeSDXL's text_l/text_g and sizes reach the encoders and the U-Net; CLIPSetLastLayer −3 is one layer before SDXL's default", async () => {
    const wf = JSON.parse(readFileSync("tests/fixtures/comfy/sdxl.workflow.json", "utf8"));
    const { document: doc, problems, summary, rt } = await importAndRun(wf);
    expect(problems).toEqual([]);
    expect(doc.nodes.find((n) => n.id === "c4")?.params.model).toBe("tiny-sdxl");

    // text_l = "a photo of a cat" → CLIP-L, text_g = "a red painting" → CLIP-G: torch's embeds_2 / pooled_2.
    expect(xlRef.encode.prompt).toBe("a photo of a cat");
    expect(xlRef.encode.prompt_2).toBe("a red painting");
    const [pos] = summary.outputs.get("c6")!.conditioning as Conditioning;
    expect(maxAbsDiff(pos.embeds.data, xlRef.encode.embeds_2)).toBeLessThan(1e-4);
    expect(maxAbsDiff(pos.pooled!.data, xlRef.encode.pooled_2)).toBeLessThan(1e-4);
    // ComfyUI's adm order (height, width, crop_h, crop_w, target_height, target_width).
    expect(pos.sizeCond).toMatchObject({
      originalSize: [96, 128],
      cropTopLeft: [8, 16],
      targetSize: [64, 64],
    });

    const [neg] = summary.outputs.get("c7")!.conditioning as Conditioning;
    const skip2 = await encodePrompt(rt.services, "tiny-sdxl", { text: "blue dog", clipSkip: 2 });
    const skip1 = await encodePrompt(rt.services, "tiny-sdxl", { text: "blue dog" });
    expect(maxAbsDiff(neg.embeds.data, skip2.embeds.data)).toBe(0);
    expect(maxAbsDiff(skip2.embeds.data, skip1.embeds.data)).toBeGreaterThan(1e-3);

    // The same graph built by hand gives the same latent and image.
    const sdxlEnc = (id: string, params: Record<string, unknown>) => node(id, "text-encoder-sdxl", params);
    const hand: GraphDocument = {
      format: DOCUMENT_FORMAT,
      formatVersion: DOCUMENT_FORMAT_VERSION,
      name: "hand",
      description: "",
      nodes: [
        node("model", "model-loader", { model: "tiny-sdxl" }),
        sdxlEnc("pos", {
          text: "a photo of a cat",
          text2: "a red painting",
          originalWidth: 128,
          originalHeight: 96,
          cropLeft: 16,
          cropTop: 8,
          targetWidth: 64,
          targetHeight: 64,
        }),
        sdxlEnc("neg", {
          text: "blue dog",
          clipSkip: 2,
          originalWidth: 64,
          originalHeight: 64,
          targetWidth: 64,
          targetHeight: 64,
        }),
        node("latent", "empty-latent", { width: 64, height: 64 }),
        node("noise", "noise", { seed: 7, control: "fixed", batchNoise: "one draw" }),
        node("sched", "scheduler", { algorithm: "euler", sigmaSchedule: "normal", steps: 2 }),
        node("sample", "unet-step", { cfg: 4 }),
        node("decode", "vae-decode", {}),
        node("preview", "preview-image", {}),
      ],
      edges: [
        edge("model", "textEncoder", "pos", "textEncoder"),
        edge("model", "textEncoder", "neg", "textEncoder"),
        edge("model", "unet", "sched", "unet"),
        edge("model", "unet", "sample", "unet"),
        edge("pos", "conditioning", "sample", "positive"),
        edge("neg", "conditioning", "sample", "negative"),
        edge("latent", "latent", "sample", "latent"),
        edge("latent", "latent", "noise", "latent"),
        edge("noise", "noise", "sample", "noise"),
        edge("sched", "schedule", "sample", "schedule"),
        edge("sample", "latent", "decode", "latent"),
        edge("model", "vae", "decode", "vae"),
        edge("decode", "image", "preview", "image"),
      ],
      groups: [],
      notes: [],
      metadata: {},
    };
    const handRun = await rt.executor.run(hand);
    expect(handRun.status, JSON.stringify(handRun.error)).toBe("succeeded");
    const latent = summary.outputs.get("c3")!.latent as Latent;
    expect(latent.samples.dims).toEqual([1, 4, 8, 8]);
    expect(
      maxAbsDiff(latent.samples.data, (handRun.outputs.get("sample")!.latent as Latent).samples.data),
    ).toBe(0);
    const image = summary.outputs.get("c8")!.image as ImageValue;
    expect(image.tensor.dims).toEqual([1, 3, 64, 64]);

    // The micro-conditioning reaches the U-Net: the ComfyUI defaults (1024² everywhere) give another latent.
    const plain = JSON.parse(JSON.stringify(wf));
    plain.nodes
      .find((n: { id: number }) => n.id === 6)
      .widgets_values.splice(0, 6, 1024, 1024, 0, 0, 1024, 1024);
    const other = await importAndRun(plain);
    const otherLatent = other.summary.outputs.get("c3")!.latent as Latent;
    expect(maxAbsDiff(otherLatent.samples.data, latent.samples.data)).toBeGreaterThan(1e-4);
  }, 240_000);
});

describe("an imported ComfyUI refiner prompt runs on tiny-sdxl-refiner", () => {
  it("CLIPTextEncodeSDXLRefiner's ascore and size reach the U-Net's time_ids", async () => {
    const prompt = JSON.parse(readFileSync("tests/fixtures/comfy/sdxl-refiner.prompt.json", "utf8"));
    const { problems, summary } = await importAndRun(prompt);
    expect(problems).toEqual([]);
    const [pos] = summary.outputs.get("c15")!.conditioning as Conditioning;
    const [neg] = summary.outputs.get("c16")!.conditioning as Conditioning;
    // Refiner adm: (height, width, 0, 0, ascore).
    expect(pos.sizeCond).toMatchObject({
      originalSize: [1536, 2048],
      cropTopLeft: [0, 0],
      aestheticScore: 6,
    });
    expect(neg.sizeCond).toMatchObject({ originalSize: [1536, 2048], aestheticScore: 2.5 });
    const latent = (summary.outputs.get("c11")!.latent as Latent).samples;
    // Another negative ascore: another latent.
    prompt["16"].inputs.ascore = 9;
    const other = (await importAndRun(prompt)).summary.outputs.get("c11")!.latent as Latent;
    expect(maxAbsDiff(other.samples.data, latent.data)).toBeGreaterThan(1e-4);
  }, 240_000);
});

describe("an imported ComfyUI inpainting prompt runs on tiny-sd-inpaint", () => {
  it("CLIPSetLastLayer −2 matches torch's CLIP skip 2; InpaintModelConditioning's noise mask keeps the unmasked latent", async () => {
    const prompt = {
      "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "tiny-sd-inpaint.safetensors" } },
      "2": { class_type: "CLIPSetLastLayer", inputs: { stop_at_clip_layer: -2, clip: ["1", 1] } },
      "3": { class_type: "CLIPTextEncode", inputs: { text: "a red painting", clip: ["2", 0] } },
      "4": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["1", 1] } },
      "5": { class_type: "LoadImage", inputs: { image: "photo.png", upload: "image" } },
      "6": {
        class_type: "InpaintModelConditioning",
        inputs: {
          positive: ["3", 0],
          negative: ["4", 0],
          vae: ["1", 2],
          pixels: ["5", 0],
          mask: ["5", 1],
          noise_mask: true,
        },
      },
      "7": {
        class_type: "KSampler",
        inputs: {
          seed: 3,
          steps: 2,
          cfg: 5,
          sampler_name: "euler",
          scheduler: "normal",
          denoise: 1,
          model: ["1", 0],
          positive: ["6", 0],
          negative: ["6", 1],
          latent_image: ["6", 2],
        },
      },
      "8": { class_type: "VAEDecode", inputs: { samples: ["7", 0], vae: ["1", 2] } },
      "9": { class_type: "SaveImage", inputs: { filename_prefix: "inpaint", images: ["8", 0] } },
    };
    const uploads = new Map([["photo.png", "tests/fixtures/inpaint-image.png"]]);
    const { problems, summary } = await importAndRun(prompt, uploads);
    // Only the mask-sizing note on the InpaintModelConditioning.
    expect(problems.map((p) => `${p.node}:${p.field}:${p.severity}`)).toEqual(["6:mask:warning"]);
    const [pos] = summary.outputs.get("c3")!.conditioning as Conditioning;
    expect(maxAbsDiff(pos.embeds.data, inpaintRef.clip_skip_2)).toBeLessThan(1e-4);

    const given = summary.outputs.get("c6")!.latent as Latent;
    const out = summary.outputs.get("c7")!.latent as Latent;
    expect(given.noiseMask).toBeDefined();
    // Latent cells the mask leaves out (diffusers' nearest latent mask = 0) come back as they went in.
    const [, C, h, w] = out.samples.dims;
    expect(inpaintRef.mask_latent.length).toBe(h * w);
    let kept = 0;
    let changed = 0;
    for (let i = 0; i < h * w; i++)
      for (let c = 0; c < C; c++) {
        const d = Math.abs(out.samples.data[c * h * w + i] - given.samples.data[c * h * w + i]);
        if (inpaintRef.mask_latent[i] === 0) {
          expect(d).toBeLessThan(1e-6);
          kept++;
        } else changed = Math.max(changed, d);
      }
    expect(kept).toBeGreaterThan(0);
    expect(changed).toBeGreaterThan(1e-2);
  }, 240_000);
});

describe("an imported VAEEncodeForInpaint runs as ComfyUI's", () => {
  it("grey fill under the rounded mask, the mask grown by 6 as noise mask; the KSampler keeps the latent outside it", async () => {
    const prompt = {
      "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "tiny-sd.safetensors" } },
      "1": { class_type: "LoadImage", inputs: { image: "photo.png", upload: "image" } },
      "2": {
        class_type: "VAEEncodeForInpaint",
        inputs: { pixels: ["1", 0], vae: ["4", 2], mask: ["1", 1], grow_mask_by: 6 },
      },
      "6": { class_type: "CLIPTextEncode", inputs: { text: "a red painting", clip: ["4", 1] } },
      "7": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["4", 1] } },
      "3": {
        class_type: "KSampler",
        inputs: {
          seed: 5,
          steps: 2,
          cfg: 5,
          sampler_name: "euler",
          scheduler: "normal",
          denoise: 1,
          model: ["4", 0],
          positive: ["6", 0],
          negative: ["7", 0],
          latent_image: ["2", 0],
        },
      },
      "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
      "9": { class_type: "SaveImage", inputs: { filename_prefix: "inpaint", images: ["8", 0] } },
    };
    const uploads = new Map([["photo.png", "tests/fixtures/inpaint-image.png"]]);
    const { document: doc, problems, summary, rt } = await importAndRun(prompt, uploads);
    expect(problems).toEqual([]);
    expect(doc.nodes.find((n) => n.id === "c2")?.type).toBe("vae-encode-inpaint");

    const image = (summary.outputs.get("c1")!.image as ImageValue).tensor;
    const mask = (summary.outputs.get("c1")!.mask as MaskValue).tensor;
    const [, , H, W] = image.dims;
    expect(mask.dims).toEqual([1, 1, H, W]);
    // torch.round on [0, 1]: 1 above 0.5 only.
    const masked = (i: number) => (mask.data[i] > 0.5 ? 1 : 0);
    let maskedCount = 0;
    for (let i = 0; i < H * W; i++) maskedCount += masked(i);
    expect(maskedCount).toBeGreaterThan(0);
    expect(maskedCount).toBeLessThan(H * W);

    // Noise mask: max over rows y − 3 … y + 2 and columns x − 3 … x + 2 (conv2d, ones(6, 6), padding 3).
    const got = summary.outputs.get("c2")!.latent as Latent;
    const want = new Float32Array(H * W);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let sy = Math.max(0, y - 3); sy <= Math.min(H - 1, y + 2); sy++)
          for (let sx = Math.max(0, x - 3); sx <= Math.min(W - 1, x + 2); sx++)
            if (masked(sy * W + sx)) want[y * W + x] = 1;
    expect(got.noiseMask?.dims).toEqual([1, 1, H, W]);
    expect(maxAbsDiff(got.noiseMask!.data, want)).toBe(0);

    // The latent: the image with masked pixels 0.5 through the VAE.
    const grey = Float32Array.from(image.data, (v, k) => (masked(k % (H * W)) ? 0.5 : v));
    const vae = summary.outputs.get("c4")!.vae as Parameters<typeof encodeImages>[1];
    const direct = await encodeImages(rt.services, vae, new Tensor(image.dims, grey));
    expect(maxAbsDiff(got.samples.data, direct.data)).toBe(0);
    const plain = await encodeImages(rt.services, vae, image);
    expect(maxAbsDiff(plain.data, direct.data)).toBeGreaterThan(1e-3);

    // Sampled: latent cells the (bilinear, ComfyUI's prepare_mask) noise mask leaves at 0 are kept.
    const out = summary.outputs.get("c3")!.latent as Latent;
    const [, C, h, w] = out.samples.dims;
    const small = resizePlane(want, H, W, h, w, "bilinear");
    let kept = 0;
    let changed = 0;
    for (let i = 0; i < h * w; i++)
      for (let c = 0; c < C; c++) {
        const d = Math.abs(out.samples.data[c * h * w + i] - got.samples.data[c * h * w + i]);
        if (small[i] === 0) {
          expect(d).toBeLessThan(1e-6);
          kept++;
        } else changed = Math.max(changed, d);
      }
    expect(kept).toBeGreaterThan(0);
    expect(changed).toBeGreaterThan(1e-2);
  }, 240_000);
});
