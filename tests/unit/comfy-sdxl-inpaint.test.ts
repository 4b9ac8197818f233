/**
 * ComfyUI interop for SDXL, CLIP skip and inpainting: CLIPSetLastLayer, CLIPTextEncodeSDXL(Refiner),
 * SetLatentNoiseMask, LoadImageMask, VAEEncodeForInpaint and InpaintModelConditioning, imported and
 * exported in both formats. The fixtures are written as ComfyUI saves them: widgets_values in
 * INPUT_TYPES order (comfy_extras/nodes_clip_sdxl.py: width, height, crop_w, crop_h, target_width,
 * target_height, text_g, text_l; the refiner: ascore, width, height, text), litegraph links.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { GraphDocument } from "../../core/graph/document";
import { validateDocument } from "../../core/graph/validate";
import { defaultParams } from "../../core/node/define";
import { registry } from "../../nodes/registry";
import {
  exportComfyPrompt,
  exportComfyWorkflow,
  importA1111,
  importComfyJson,
} from "../../server/interop/comfy";
import { parseComfyJson } from "../../server/interop/comfy/json";

const MODELS = ["petalflow-shapes", "tiny-sd", "tiny-sdxl", "tiny-sdxl-refiner", "tiny-sd-inpaint"];
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`tests/fixtures/comfy/${name}`, "utf8")) as Record<string, unknown>;
const load = (value: unknown, uploads?: ReadonlyMap<string, string>) => {
  const got = importComfyJson(value, MODELS, undefined, uploads);
  if (!got) throw new Error("not recognised");
  return got;
};
const node = (doc: GraphDocument, id: string) => {
  const n = doc.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id}; have ${doc.nodes.map((x) => x.id).join(", ")}`);
  return n;
};
const wires = (doc: GraphDocument) =>
  doc.edges.map((e) => `${e.from.node}.${e.from.port} -> ${e.to.node}.${e.to.port}`).sort();
type Prompt = ReturnType<typeof exportComfyPrompt>["prompt"];
const byClass = (prompt: Prompt, cls: string) =>
  Object.entries(prompt).filter(([, n]) => n.class_type === cls);
/** Node types and params, without ids (a round trip renumbers): comparable across imports. */
const shape = (doc: GraphDocument) => doc.nodes.map((n) => JSON.stringify([n.type, n.params])).sort();

describe("ComfyUI import: SDXL text encoders and CLIP skip", () => {
  it("CLIPTextEncodeSDXL → Text Encoder (SDXL): text_l is the prompt, text_g prompt 2, sizes as ComfyUI's adm", () => {
    const { document: doc, problems } = load(fixture("sdxl.workflow.json"));
    expect(problems).toEqual([]);
    expect(node(doc, "c4").params.model).toBe("tiny-sdxl"); // "sdxl/tiny-sdxl.safetensors"
    expect(node(doc, "c6")).toMatchObject({ type: "text-encoder-sdxl" });
    expect(node(doc, "c6").params).toEqual({
      ...defaultParams(registry.get("text-encoder-sdxl")!),
      text: "a photo of a cat",
      text2: "a red painting",
      originalWidth: 128,
      originalHeight: 96,
      cropLeft: 16,
      cropTop: 8,
      targetWidth: 64,
      targetHeight: 64,
      // CLIPSetLastLayer −2 is ComfyUI's SDXL default (penultimate, no LayerNorm): Petalflow's CLIP skip 1.
      clipSkip: 1,
    });
    // text_g = text_l: one prompt for both encoders; −3 on SDXL is one layer before the default.
    expect(node(doc, "c7").params).toMatchObject({ text: "blue dog", text2: "", clipSkip: 2 });
    // The CLIPSetLastLayer nodes pass the CLIP through and leave no node.
    expect(doc.nodes.map((n) => n.id).filter((id) => id === "c10" || id === "c11")).toEqual([]);
    const w = wires(doc);
    expect(w).toContain("c4.textEncoder -> c6.textEncoder");
    expect(w).toContain("c4.textEncoder -> c7.textEncoder");
    expect(w).toContain("c6.conditioning -> c3.positive");
    expect(w).toContain("c7.conditioning -> c3.negative");
    expect(validateDocument(doc, registry).errors).toEqual([]);
  });

  it("stop_at_clip_layer −1 on SDXL (last layer, no LayerNorm) has no Petalflow setting: an error on the encoder's CLIP skip", () => {
    const wf = fixture("sdxl.workflow.json");
    const nodes = wf.nodes as { id: number; widgets_values: unknown[] }[];
    nodes.find((n) => n.id === 10)!.widgets_values = [-1];
    nodes.find((n) => n.id === 11)!.widgets_values = [-20];
    const { document: doc, problems } = load(wf);
    expect(problems.map((p) => [p.node, p.field, p.severity, p.at])).toEqual([
      ["6", "stop_at_clip_layer", "error", { node: "c6", field: "clipSkip" }],
      ["7", "stop_at_clip_layer", "error", { node: "c7", field: "clipSkip" }],
    ]);
    expect(problems[0].message).toMatch(/−1 \(node 10\) on SDXL .*penultimate/);
    expect(problems[1].message).toMatch(/past Petalflow's CLIP skip 12/);
    expect(node(doc, "c6").params.clipSkip).toBe(1);
    expect(node(doc, "c7").params.clipSkip).toBe(12);
  });

  it("a plain CLIPTextEncode: −k is CLIP skip k on SD 1.x/2.x, k − 1 on an SDXL ('xl') checkpoint; the nearest CLIPSetLastLayer wins", () => {
    const prompt = (ckpt: string) => ({
      "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: ckpt } },
      "2": { class_type: "CLIPSetLastLayer", inputs: { stop_at_clip_layer: -5, clip: ["1", 1] } },
      "3": { class_type: "CLIPSetLastLayer", inputs: { stop_at_clip_layer: -2, clip: ["2", 0] } },
      "4": { class_type: "CLIPTextEncode", inputs: { text: "a cat", clip: ["3", 0] } },
      "5": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["1", 1] } },
      "6": { class_type: "PreviewImage", inputs: {} },
    });
    const sd = load(prompt("tiny-sd.safetensors")).document;
    expect(node(sd, "c4").params.clipSkip).toBe(2);
    expect(node(sd, "c5").params.clipSkip).toBe(1);
    expect(wires(sd)).toContain("c1.textEncoder -> c4.textEncoder");
    expect(node(load(prompt("tiny-sdxl.safetensors")).document, "c4").params.clipSkip).toBe(1);
  });

  it("AUTOMATIC1111's 'Clip skip: 3' is CLIP skip 3 on both prompts; a non-number is reported", () => {
    const text =
      "a cat\nNegative prompt: dog\nSteps: 5, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 64x64, Model: tiny-sd, Clip skip: 3";
    const { document: doc, problems } = importA1111(text, MODELS);
    expect(problems).toEqual([]);
    expect([node(doc, "c6").params.clipSkip, node(doc, "c7").params.clipSkip]).toEqual([3, 3]);
    // On SDXL, A1111 keeps the penultimate layer (its default sdxl_clip_l_skip off): said, not applied.
    const xl = importA1111(text.replace("Model: tiny-sd,", "Model: tiny-sdxl,"), MODELS);
    expect(xl.problems.map((p) => [p.field, p.severity, p.at])).toEqual([
      ["Clip skip", "warning", { node: "c6" }],
    ]);
    expect(node(xl.document, "c6").params.clipSkip).toBe(1);
    const bad = importA1111(text.replace("Clip skip: 3", "Clip skip: two"), MODELS);
    expect(bad.problems.map((p) => p.field)).toEqual(["Clip skip"]);
    expect(node(bad.document, "c6").params.clipSkip).toBe(1);
  });

  it("CLIPTextEncodeSDXLRefiner → Text Encoder (SDXL): width/height are the original size, ascore the aesthetic score", () => {
    const { document: doc, problems } = load(fixture("sdxl-refiner.prompt.json"));
    expect(problems).toEqual([]);
    expect(node(doc, "c15").params).toMatchObject({
      text: "a photo of a cat",
      originalWidth: 2048,
      originalHeight: 1536,
      aestheticScore: 6,
      clipSkip: 1,
    });
    expect(node(doc, "c16").params).toMatchObject({ text: "blurry", aestheticScore: 2.5 });
    expect(node(doc, "c11").params).toMatchObject({ startStep: 20, addNoise: true });
    expect(validateDocument(doc, registry).errors).toEqual([]);
  });

  it("an empty text_g, a size of 0 and an ascore above 10 are named on their fields", () => {
    const prompt = {
      "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "tiny-sdxl.safetensors" } },
      "2": {
        class_type: "CLIPTextEncodeSDXL",
        inputs: {
          width: 0,
          height: 1024,
          crop_w: 0,
          crop_h: 0,
          target_width: 1024,
          target_height: 1024,
          text_g: "",
          text_l: "a cat",
          clip: ["1", 1],
        },
      },
      "3": {
        class_type: "CLIPTextEncodeSDXLRefiner",
        inputs: { ascore: 50, width: 1024, height: 1024, text: "a cat", clip: ["1", 1] },
      },
    };
    const { document: doc, problems } = load(prompt);
    expect(problems.map((p) => `${p.node}:${p.field}:${p.severity}`).sort()).toEqual([
      "2:text_g:warning",
      "2:width:warning",
      "3:ascore:warning",
    ]);
    expect(problems.find((p) => p.field === "text_g")?.at).toEqual({ node: "c2", field: "text2" });
    expect(node(doc, "c2").params.originalWidth).toBe(0);
    expect(node(doc, "c3").params.aestheticScore).toBe(10);
  });
});

describe("ComfyUI import: inpainting", () => {
  it("LoadImageMask, InpaintModelConditioning, VAEEncodeForInpaint, SetLatentNoiseMask map to their Petalflow nodes", () => {
    const uploads = new Map([
      ["example.png", "up-photo.png"],
      ["example_mask.png", "up-mask.png"],
    ]);
    const { document: doc, problems } = load(fixture("inpaint.workflow.json"), uploads);
    expect(node(doc, "c3")).toMatchObject({
      type: "load-mask",
      params: { image: "up-mask.png", channel: "red" },
    });
    expect(node(doc, "c6")).toMatchObject({ type: "inpaint-conditioning", params: { noiseMask: false } });
    expect(node(doc, "c8")).toMatchObject({ type: "vae-encode-inpaint", params: { growMaskBy: 6 } });
    expect(node(doc, "c9").type).toBe("set-latent-noise-mask");
    // What differs from ComfyUI is said on the node, precisely.
    expect(problems.map((p) => [p.node, p.field, p.severity, p.at])).toEqual([
      ["6", "mask", "warning", { node: "c6", field: "mask" }],
    ]);
    expect(problems[0].message).toMatch(/nearest pixel .* bilinear-then-round/);
    const w = wires(doc);
    for (const wire of [
      "c1.vae -> c6.vae",
      "c2.image -> c6.image",
      "c3.mask -> c6.mask",
      "c4.conditioning -> c6.positive",
      "c5.conditioning -> c6.negative",
      "c6.positive -> c7.positive",
      "c6.negative -> c7.negative",
      "c6.latent -> c7.latent",
      "c6.latent -> c7.noise.latent",
      "c2.image -> c8.image",
      "c1.vae -> c8.vae",
      "c2.mask -> c8.mask",
      "c8.latent -> c9.latent",
      "c2.mask -> c9.mask",
    ])
      expect(w).toContain(wire);
    expect(validateDocument(doc, registry).errors).toEqual([]);
  });

  it("a LoadImageMask whose image is not uploaded, or an unknown channel, is reported on its fields", () => {
    const prompt = {
      "1": { class_type: "LoadImageMask", inputs: { image: "m.png", channel: "luma", upload: "image" } },
    };
    const { document: doc, problems } = load(prompt);
    expect(problems.map((p) => [p.field, p.at])).toEqual([
      ["image", { node: "c1", field: "image" }],
      ["channel", { node: "c1", field: "channel" }],
    ]);
    expect(node(doc, "c1").params.channel).toBe("alpha");
  });
});

describe("ComfyUI export: SDXL, CLIP skip and inpainting", () => {
  it("API: Text Encoder (SDXL) → CLIPTextEncodeSDXL with its ComfyUI values; a CLIP skip goes through one CLIPSetLastLayer", () => {
    const { document: doc } = load(fixture("sdxl.workflow.json"));
    const { prompt, problems } = exportComfyPrompt(doc);
    expect(problems).toEqual([]);
    const [[ckptId]] = byClass(prompt, "CheckpointLoaderSimple");
    const enc = byClass(prompt, "CLIPTextEncodeSDXL").map(([, n]) => n.inputs);
    const layers = byClass(prompt, "CLIPSetLastLayer");
    expect(layers).toHaveLength(1);
    const [[layerId, layer]] = layers;
    expect(layer.inputs).toEqual({ stop_at_clip_layer: -3, clip: [ckptId, 1] });
    expect(enc).toContainEqual({
      width: 128,
      height: 96,
      crop_w: 16,
      crop_h: 8,
      target_width: 64,
      target_height: 64,
      text_g: "a red painting",
      text_l: "a photo of a cat",
      clip: [ckptId, 1],
    });
    expect(enc).toContainEqual(
      expect.objectContaining({ text_g: "blue dog", text_l: "blue dog", clip: [layerId, 0] }),
    );
  });

  it("workflow: widgets_values in nodes_clip_sdxl.py order; re-importing gives the same nodes and settings", () => {
    const first = load(fixture("sdxl.workflow.json")).document;
    const { workflow, json, problems } = exportComfyWorkflow(first);
    expect(problems).toEqual([]);
    const sdxl = workflow.nodes.filter((n) => n.type === "CLIPTextEncodeSDXL");
    expect(sdxl.map((n) => n.widgets_values)).toContainEqual([
      128,
      96,
      16,
      8,
      64,
      64,
      "a red painting",
      "a photo of a cat",
    ]);
    const layer = workflow.nodes.find((n) => n.type === "CLIPSetLastLayer")!;
    expect(layer.widgets_values).toEqual([-3]);
    // Linked as litegraph links: checkpoint CLIP → CLIPSetLastLayer → encoder.
    const into = (n: { inputs: { link: number | null }[] }) =>
      workflow.links.find((l) => l[0] === n.inputs[0].link);
    expect(into(layer)?.[5]).toBe("CLIP");
    expect(sdxl.map((n) => into(n)?.[1])).toContain(layer.id);
    const back = load(parseComfyJson(json)).document;
    expect(shape(back)).toEqual(shape(first));
  });

  it("the refiner's encoder exports as CLIPTextEncodeSDXLRefiner (ascore, width, height, text) and round-trips", () => {
    const first = load(fixture("sdxl-refiner.prompt.json")).document;
    const { prompt, problems } = exportComfyPrompt(first);
    expect(problems).toEqual([]);
    const ref = byClass(prompt, "CLIPTextEncodeSDXLRefiner").map(([, n]) => n.inputs);
    expect(ref).toContainEqual({ ascore: 2.5, width: 2048, height: 1536, text: "blurry", clip: ["1", 1] });
    const wf = exportComfyWorkflow(first);
    expect(wf.workflow.nodes.find((n) => n.type === "CLIPTextEncodeSDXLRefiner")?.widgets_values).toEqual([
      6,
      2048,
      1536,
      "a photo of a cat",
    ]);
    expect(shape(load(parseComfyJson(wf.json)).document)).toEqual(shape(first));
    expect(shape(load(prompt).document)).toEqual(shape(first));
  });

  it("a Text Encoder (SDXL) size of 0 (the image's) is written as the Empty Latent's size it is sampled with", () => {
    const { document: doc } = load(fixture("sdxl.workflow.json"));
    node(doc, "c6").params = { ...node(doc, "c6").params, originalWidth: 0, targetHeight: 0 };
    const { prompt, problems } = exportComfyPrompt(doc);
    expect(problems).toEqual([]);
    expect(
      byClass(prompt, "CLIPTextEncodeSDXL").map(([, n]) => [n.inputs.width, n.inputs.target_height]),
    ).toContainEqual([64, 64]);
  });

  it("a plain Text Encoder's CLIP skip k on an SD 1.x model is CLIPSetLastLayer −k, shared by encoders with the same skip", () => {
    const prompt = {
      "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: "tiny-sd.safetensors" } },
      "2": { class_type: "CLIPSetLastLayer", inputs: { stop_at_clip_layer: -2, clip: ["1", 1] } },
      "3": { class_type: "CLIPTextEncode", inputs: { text: "a cat", clip: ["2", 0] } },
      "4": { class_type: "CLIPTextEncode", inputs: { text: "a dog", clip: ["2", 0] } },
      "5": { class_type: "CLIPTextEncode", inputs: { text: "", clip: ["1", 1] } },
    };
    const doc = load(prompt).document;
    const out = exportComfyPrompt(doc).prompt;
    const layers = byClass(out, "CLIPSetLastLayer");
    expect(layers.map(([, n]) => n.inputs.stop_at_clip_layer)).toEqual([-2]);
    const clips = byClass(out, "CLIPTextEncode").map(([, n]) => [n.inputs.text, n.inputs.clip]);
    const [[ckpt]] = byClass(out, "CheckpointLoaderSimple");
    expect(clips).toEqual(
      expect.arrayContaining([
        ["a cat", [layers[0][0], 0]],
        ["a dog", [layers[0][0], 0]],
        ["", [ckpt, 1]],
      ]),
    );
    expect(shape(load(out).document)).toEqual(shape(doc));
  });

  it("inpainting: LoadImageMask, InpaintModelConditioning, VAEEncodeForInpaint and SetLatentNoiseMask written back, round-tripping", () => {
    const uploads = new Map([
      ["example.png", "example.png"],
      ["example_mask.png", "example_mask.png"],
    ]);
    const first = load(fixture("inpaint.workflow.json"), uploads).document;
    const { prompt, problems } = exportComfyPrompt(first);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    // The uploads must be copied over, and the mask sizing differs on the edge: said on the nodes.
    expect(problems.map((p) => `${p.type}:${p.field}`).sort()).toEqual([
      "inpaint-conditioning:mask",
      "load-image:image",
      "load-mask:image",
    ]);
    const [[maskId, mask]] = byClass(prompt, "LoadImageMask");
    expect(mask.inputs).toEqual({ image: "example_mask.png", channel: "red", upload: "image" });
    const [[, inpaint]] = byClass(prompt, "InpaintModelConditioning");
    expect(inpaint.inputs).toMatchObject({ noise_mask: false, mask: [maskId, 0] });
    const [[inpaintId]] = byClass(prompt, "InpaintModelConditioning");
    const [[, sampler]] = byClass(prompt, "KSampler");
    expect([sampler.inputs.positive, sampler.inputs.negative, sampler.inputs.latent_image]).toEqual([
      [inpaintId, 0],
      [inpaintId, 1],
      [inpaintId, 2],
    ]);
    expect(byClass(prompt, "SetLatentNoiseMask")).toHaveLength(1);
    const [[encId, enc]] = byClass(prompt, "VAEEncodeForInpaint");
    expect(enc.inputs).toMatchObject({ grow_mask_by: 6, mask: expect.any(Array), pixels: expect.any(Array) });
    expect(byClass(prompt, "SetLatentNoiseMask")[0][1].inputs.samples).toEqual([encId, 0]);

    const wf = exportComfyWorkflow(first);
    const types = (t: string) => wf.workflow.nodes.filter((n) => n.type === t);
    expect(types("LoadImageMask")[0].widgets_values).toEqual(["example_mask.png", "red", "image"]);
    expect(types("InpaintModelConditioning")[0].widgets_values).toEqual([false]);
    expect(types("VAEEncodeForInpaint")[0].widgets_values).toEqual([6]);
    expect(types("VAEEncodeForInpaint")[0].inputs.map((i) => i.name)).toEqual(["pixels", "vae", "mask"]);
    expect(types("InpaintModelConditioning")[0].outputs.map((o) => o.type)).toEqual([
      "CONDITIONING",
      "CONDITIONING",
      "LATENT",
    ]);
    const back = load(parseComfyJson(wf.json), uploads);
    expect(shape(back.document)).toEqual(shape(first));
  });

  it("an Inpaint Conditioning with no negative is an error: ComfyUI's InpaintModelConditioning requires one", () => {
    const { document: doc } = load(fixture("inpaint.workflow.json"));
    doc.edges = doc.edges.filter((e) => !(e.to.node === "c6" && e.to.port === "negative"));
    const { problems } = exportComfyPrompt(doc);
    expect(problems).toContainEqual(
      expect.objectContaining({ node: "c6", field: "negative", severity: "error" }),
    );
  });
});
