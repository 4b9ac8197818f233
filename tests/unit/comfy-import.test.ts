/**
 * ComfyUI / AUTOMATIC1111 import: the fixtures in tests/fixtures/comfy are written in ComfyUI's own
 * formats (nodes.py widget orders, litegraph links [id, from, slot, to, slot, type], API prompts with
 * [node_id, output_index] links). Checks the mapped graph, ComfyUI's step arithmetic and the
 * per-node problem list.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { GraphDocument } from "../../core/graph/document";
import { validateDocument } from "../../core/graph/validate";
import { defaultParams } from "../../core/node/define";
import { registry } from "../../nodes/registry";
import { scheduler } from "../../nodes/scheduler/definition";
import { importA1111, importComfyJson, matchModel } from "../../server/interop/comfy";
import { importJsonText, importPngBase64 } from "../../server/library/import";
import { encodePng } from "../../server/media/png";

const MODELS = ["petalflow-shapes", "tiny-sd"];
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(`tests/fixtures/comfy/${name}`, "utf8")) as unknown;
const load = (name: string) => {
  const got = importComfyJson(fixture(name), MODELS);
  if (!got) throw new Error(`${name} was not recognised`);
  return got;
};
const node = (doc: GraphDocument, id: string) => {
  const n = doc.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id}; have ${doc.nodes.map((x) => x.id).join(", ")}`);
  return n;
};
/** "from.port -> to.port" for every edge, sorted. */
const wires = (doc: GraphDocument) =>
  doc.edges.map((e) => `${e.from.node}.${e.from.port} -> ${e.to.node}.${e.to.port}`).sort();
const problemKeys = (p: { node: string; field?: string }[]) =>
  p.map((x) => `${x.node}:${x.field ?? ""}`).sort();

describe("ComfyUI UI workflow", () => {
  it("txt2img: KSampler becomes Noise + Scheduler + U-Net step; primitive, reroute, note and group carry over", () => {
    const { document: doc, problems, source } = load("txt2img.workflow.json");
    expect(source).toBe("comfy-workflow");
    expect(problems).toEqual([]);
    expect(node(doc, "c4").params.model).toBe("petalflow-shapes"); // "Petalflow-Shapes.safetensors"
    expect(node(doc, "c3").type).toBe("unet-step");
    expect(node(doc, "c3").position).toEqual({ x: 863, y: 186 });
    expect(node(doc, "c3").params).toMatchObject({ cfg: 7.5, denoise: 1, startStep: 0, addNoise: true });
    // Every Scheduler widget is stored (the canvas's schedule plot reads β schedule "model" from it).
    expect(node(doc, "c3.schedule").params).toEqual({
      ...defaultParams(scheduler),
      algorithm: "euler",
      sigmaSchedule: "normal",
      karras: false,
      steps: 10,
    });
    expect(node(doc, "c3.schedule").params.betaSchedule).toBe("model");
    expect(node(doc, "c3.noise").params).toMatchObject({
      seed: 42,
      control: "fixed",
      batchNoise: "one draw",
    });
    expect(node(doc, "c10")).toMatchObject({ type: "primitive-int", params: { value: 42 } });
    expect(node(doc, "c6")).toMatchObject({
      title: "Positive",
      params: { text: "a red circle on a blue background" },
    });
    expect(wires(doc)).toEqual(
      [
        "c10.value -> c3.noise.seed",
        "c3.latent -> c8.latent",
        "c3.schedule.schedule -> c3.schedule",
        "c3.noise.noise -> c3.noise",
        "c4.textEncoder -> c6.textEncoder",
        "c4.textEncoder -> c7.textEncoder",
        "c4.unet -> c3.schedule.unet",
        "c4.unet -> c3.unet",
        "c4.vae -> c8.vae", // through the Reroute
        "c5.latent -> c3.latent",
        "c5.latent -> c3.noise.latent",
        "c6.conditioning -> c3.positive",
        "c7.conditioning -> c3.negative",
        "c8.image -> c9.image",
      ].sort(),
    );
    expect(doc.groups).toEqual([
      { id: "g1", title: "Prompts", bounds: { x: 400, y: 110, width: 460, height: 480 }, color: "#3f789e" },
    ]);
    expect(doc.notes).toEqual([
      {
        id: "note12",
        text: "Default workflow, shapes edition.",
        position: { x: 40, y: 40 },
        size: { width: 300, height: 100 },
      },
    ]);
    const v = validateDocument(doc, registry);
    expect(v.errors).toEqual([]);
  });

  it("the API prompt of the same graph maps to the same nodes and wires (no primitive there)", () => {
    const wf = load("txt2img.workflow.json").document;
    const { document: doc, problems, source } = load("txt2img.prompt.json");
    expect(source).toBe("comfy-prompt");
    expect(problems).toEqual([]);
    const noPrimitive = wires(wf).filter((w) => !w.startsWith("c10."));
    expect(wires(doc)).toEqual(noPrimitive);
    for (const id of ["c3", "c3.noise", "c3.schedule", "c4", "c5", "c6", "c7", "c9"])
      expect(node(doc, id).params, id).toEqual(node(wf, id).params);
    expect(validateDocument(doc, registry).errors).toEqual([]);
    // Nodes without positions are laid out in columns, none on top of another.
    const spots = new Set(doc.nodes.map((n) => `${n.position.x},${n.position.y}`));
    expect(spots.size).toBe(doc.nodes.length);
  });

  it("img2img: denoise 0.6 over 20 steps runs ComfyUI's last 20 steps of an int(20/0.6) = 33-step schedule", () => {
    for (const f of ["img2img.workflow.json", "img2img.prompt.json"]) {
      const { document: doc, problems } = load(f);
      expect(node(doc, "c3.schedule").params, f).toMatchObject({
        algorithm: "dpmpp-2m",
        sigmaSchedule: "karras",
        steps: 33,
      });
      expect(node(doc, "c3").params, f).toMatchObject({
        startStep: 13,
        denoise: 1,
        cfg: 6.5,
        addNoise: true,
      });
      expect(wires(doc), f).toContain("c10.image -> c11.image");
      expect(wires(doc), f).toContain("c11.latent -> c3.latent");
      expect(node(doc, "c9").type).toBe("preview-image");
      expect(problems, f).toEqual([
        {
          node: "10",
          type: "LoadImage",
          field: "image",
          severity: "error",
          message: `image "example.png" lives in ComfyUI's input folder; upload it on this node`,
          at: { node: "c10", field: "image" },
        },
      ]);
    }
  });

  it("hires fix: two KSamplers, LatentUpscaleBy from the traced size, a text primitive, CLIP skip 2 on both prompts, a missing checkpoint reported", () => {
    const { document: doc, problems } = load("hires-fix.workflow.json");
    // Never silently replaced: the name stays, the problem says what is installed.
    expect(node(doc, "c4").params.model).toBe("v1-5-pruned-emaonly");
    expect(problems).toContainEqual({
      node: "4",
      type: "CheckpointLoaderSimple",
      field: "ckpt_name",
      severity: "error",
      message:
        'checkpoint "sd15/v1-5-pruned-emaonly.safetensors" is not installed; pick one of: petalflow-shapes, tiny-sd',
      // Shown on the Model Loader's model picker.
      at: { node: "c4", field: "model" },
    });
    // CLIPSetLastLayer −2 (node 13) on an SD 1.5 checkpoint is CLIP skip 2 on both Text Encoders it feeds.
    expect(problems).toHaveLength(1);
    expect(node(doc, "c6").params.clipSkip).toBe(2);
    expect(node(doc, "c7").params.clipSkip).toBe(2);
    expect(doc.nodes.some((n) => n.id === "c13")).toBe(false);
    expect(node(doc, "c15").params).toEqual({ width: 768, height: 1152, method: "nearest" }); // 512×768 × 1.5
    expect(node(doc, "c3.schedule").params).toMatchObject({ algorithm: "dpmpp-2m", steps: 25 });
    expect(node(doc, "c16.schedule").params).toMatchObject({
      algorithm: "euler-ancestral",
      sigmaSchedule: "normal",
      steps: 40,
    });
    expect(node(doc, "c16").params).toMatchObject({ startStep: 20, denoise: 1 });
    expect(node(doc, "c3.noise").params).toMatchObject({ seed: 1001, control: "randomize" });
    expect(node(doc, "c14")).toMatchObject({ type: "primitive-text", title: "prompt" });
    expect(node(doc, "c9").params.prefix).toBe("hires_ComfyUI");
    const w = wires(doc);
    // CLIPSetLastLayer passes the CLIP through; the primitive feeds the converted "text" widget.
    expect(w).toContain("c4.textEncoder -> c6.textEncoder");
    expect(w).toContain("c4.textEncoder -> c7.textEncoder");
    expect(w).toContain("c14.value -> c6.text");
    expect(w).toContain("c15.latent -> c16.latent");
    expect(w).toContain("c15.latent -> c16.noise.latent");
    expect(doc.groups.map((g) => g.title)).toEqual(["Base", "Hires fix"]);
  });

  it("KSamplerAdvanced split: step ranges, add noise, leftover noise; unknown node and sampler names listed per node", () => {
    const { document: doc, problems } = load("ksampler-advanced.workflow.json");
    expect(node(doc, "c3").params).toMatchObject({
      addNoise: true,
      startStep: 0,
      endStep: 12,
      leftoverNoise: true,
    });
    expect(node(doc, "c3.noise").params.seed).toBe(99); // saved without control_after_generate
    expect(node(doc, "c3.schedule").params).toMatchObject({ steps: 20 });
    expect(node(doc, "c16").params).toMatchObject({
      addNoise: false,
      startStep: 12,
      endStep: 10000,
      leftoverNoise: false,
    });
    expect(wires(doc)).toContain("c6.conditioning -> c3.positive"); // through one Reroute …
    expect(wires(doc)).toContain("c6.conditioning -> c16.positive"); // … feeding both samplers
    expect(problemKeys(problems)).toEqual(
      ["16:model", "16:sampler_name", "16:scheduler", "20:", "3:model", "6:clip", "7:clip"].sort(),
    );
    expect(problems.find((p) => p.node === "20")?.message).toBe(
      'node type "LoraLoader" has no Petalflow equivalent; it was left out',
    );
    expect(problems.find((p) => p.field === "sampler_name")?.message).toMatch(
      /^sampler "uni_pc" is not supported/,
    );
    expect(problems.find((p) => p.field === "scheduler")?.message).toMatch(
      /^scheduler "beta" is not supported/,
    );
    expect(problems.find((p) => p.node === "6")?.message).toBe(
      'input "clip" comes from node 20 (LoraLoader), which was left out',
    );
    // The rest of the graph still opens: everything but the missing links validates.
    const v = validateDocument(doc, registry);
    expect(v.errors.every((e) => e.code === "missing_input")).toBe(true);

    const api = load("ksampler-advanced.prompt.json");
    expect(api.problems).toEqual([]);
    expect(node(api.document, "c16").params).toEqual(node(doc, "c16").params);
    expect(node(api.document, "c3").params).toEqual(node(doc, "c3").params);
    expect(validateDocument(api.document, registry).errors).toEqual([]);
  });

  it("every problem says where it shows: the Petalflow node and widget/input, or a note left in place of a node that was left out", () => {
    const { document: doc, problems } = load("ksampler-advanced.workflow.json");
    const at = (node: string, field?: string) =>
      problems.find((p) => p.node === node && p.field === field)?.at;
    expect(at("16", "sampler_name")).toEqual({ node: "c16.schedule", field: "algorithm" });
    expect(at("16", "scheduler")).toEqual({ node: "c16.schedule", field: "sigmaSchedule" });
    // A link that could not be made: the Petalflow input it should have fed.
    expect(at("6", "clip")).toEqual({ node: "c6", field: "textEncoder" });
    expect(at("16", "model")).toEqual({ node: "c16", field: "unet" });
    // Every place named exists in the document, so the editor can show it there.
    const ids = new Set([...doc.nodes.map((n) => n.id), ...doc.notes.map((n) => n.id)]);
    for (const p of problems) {
      expect(p.at, `${p.node} ${p.field}`).toBeDefined();
      expect(ids.has("note" in p.at! ? p.at.note : p.at!.node)).toBe(true);
    }
    // The LoraLoader (left out) leaves a note where it stood, naming it, why, and its settings.
    const lora = problems.find((p) => p.node === "20")!;
    const note = doc.notes.find((n) => "note" in lora.at! && n.id === lora.at.note)!;
    const wf = fixture("ksampler-advanced.workflow.json") as { nodes: { id: number; pos: number[] }[] };
    const pos = wf.nodes.find((n) => n.id === 20)!.pos;
    expect(note.position).toEqual({ x: pos[0], y: pos[1] });
    expect(note.text).toMatch(/^⚠ ComfyUI node 20 .*\(LoraLoader\) was not brought over:/);
    expect(note.text).toContain('node type "LoraLoader" has no Petalflow equivalent');
    expect(note.text).toMatch(/Its settings: \[.*\]/);
    // A clean import adds no note.
    expect(load("txt2img.prompt.json").document.notes).toEqual([]);
  });

  it("muted / bypassed nodes keep their mode; the {prompt, client_id} body of POST /prompt is accepted", () => {
    const wf = fixture("txt2img.workflow.json") as { nodes: { id: number; mode: number }[] };
    wf.nodes.find((n) => n.id === 9)!.mode = 2;
    wf.nodes.find((n) => n.id === 8)!.mode = 4;
    const doc = importComfyJson(wf, MODELS)!.document;
    expect(node(doc, "c9").mode).toBe("mute");
    expect(node(doc, "c8").mode).toBe("bypass");
    const wrapped = importComfyJson({ prompt: fixture("txt2img.prompt.json"), client_id: "abc" }, MODELS);
    expect(wrapped?.source).toBe("comfy-prompt");
  });

  it("hostile or foreign input: not recognised, or problems — never a crash", () => {
    expect(importComfyJson({ format: "petalflow.graph" }, MODELS)).toBeNull();
    expect(importComfyJson([1, 2], MODELS)).toBeNull();
    expect(importComfyJson(null, MODELS)).toBeNull();
    const odd = importComfyJson(
      {
        nodes: [
          { id: 1, type: "KSampler", widgets_values: "x", inputs: [{ name: "model", link: 99 }] },
          { id: 2, type: "Reroute", inputs: [{ name: "", link: 3 }] },
          { id: 3, type: "VAEDecode", pos: { 0: 5, 1: 6 }, inputs: [{ name: "vae", link: 4 }] },
          { id: 4, type: "Reroute", inputs: [{ name: "", link: 5 }] },
          "junk",
        ],
        links: [[4, 2, 0, 3, 0, "VAE"], [3, 4, 0, 2, 0, "VAE"], [5, 2, 0, 4, 0, "VAE"], "junk"],
      },
      MODELS,
    )!;
    expect(node(odd.document, "c3").position).toEqual({ x: 5, y: 6 });
    expect(problemKeys(odd.problems)).toEqual(["1:model", "1:sampler_name", "1:scheduler", "3:vae"]);
    expect(odd.problems.find((p) => p.field === "vae")?.message).toMatch(
      /through a Reroute that has no source/,
    ); // a loop
    expect(odd.problems.find((p) => p.field === "model")?.message).toMatch(
      /refers to link 99, which is not in the workflow's links/,
    );
    const prompt = importComfyJson(
      { "1": { class_type: "VAEDecode", inputs: { samples: ["9", 0] } } },
      MODELS,
    )!;
    expect(prompt.problems).toEqual([
      {
        node: "1",
        type: "VAEDecode",
        field: "samples",
        severity: "error",
        message: 'input "samples" is linked to node 9, which does not exist',
        at: { node: "c1", field: "latent" },
      },
    ]);
  });

  it("matches checkpoint names by stem, case-insensitively", () => {
    expect(matchModel("Petalflow-Shapes.safetensors", MODELS)).toBe("petalflow-shapes");
    expect(matchModel("SD1.5\\tiny-sd.ckpt", MODELS)).toBe("tiny-sd");
    expect(matchModel("tiny-sd-xl.safetensors", MODELS)).toBeNull();
  });
});

describe("AUTOMATIC1111 / Forge parameters", () => {
  const texts = fixture("a1111-parameters.json") as string[];
  const sched = (doc: GraphDocument) => node(doc, "c3.schedule").params;

  it("DPM++ 2M Karras with a negative prompt, seed, size and model", () => {
    const { document: doc, problems, source } = importA1111(texts[0], MODELS);
    expect(source).toBe("a1111-parameters");
    expect(problems).toEqual([]);
    expect(sched(doc)).toMatchObject({ algorithm: "dpmpp-2m", sigmaSchedule: "karras", steps: 20 });
    expect(node(doc, "c3").params.cfg).toBe(7);
    expect(node(doc, "c3.noise").params.seed).toBe(123);
    expect(node(doc, "c5").params).toEqual({ width: 64, height: 64, batch: 1 });
    expect(node(doc, "c6").params.text).toBe("a red circle on a blue background");
    expect(node(doc, "c7").params.text).toBe("blurry, lowres");
    expect(node(doc, "c4").params.model).toBe("petalflow-shapes");
    expect(validateDocument(doc, registry).errors).toEqual([]);
  });

  it("Forge's separate 'Schedule type', a multi-line prompt, Clip skip 2 and a missing model", () => {
    const { document: doc, problems } = importA1111(texts[1], MODELS);
    expect(sched(doc)).toMatchObject({ algorithm: "dpmpp-2m", steps: 30 });
    expect(node(doc, "c6").params.text).toBe("a green star,\nwhite background");
    expect(node(doc, "c7").params.text).toBe("");
    expect(node(doc, "c3.noise").params.seed).toBe(3456789012);
    expect(node(doc, "c5").params).toMatchObject({ width: 512, height: 768 });
    expect(problemKeys(problems)).toEqual(["4:ckpt_name"]);
    // The model shows on its picker.
    expect(problems.find((p) => p.field === "ckpt_name")?.at).toEqual({ node: "c4", field: "model" });
    // "Clip skip: 2" (A1111 counts from the last layer, 1 = last) is CLIP skip 2 on both prompts.
    expect(node(doc, "c6").params.clipSkip).toBe(2);
    expect(node(doc, "c7").params.clipSkip).toBe(2);
    expect(wires(doc)).toContain("c4.textEncoder -> c6.textEncoder");
    expect(validateDocument(doc, registry).errors).toEqual([]);
    // Without it, the default layer.
    expect(node(importA1111(texts[0], MODELS).document, "c6").params.clipSkip).toBe(1);
  });

  it("Euler a, DDIM, and an unsupported sampler named in the problem", () => {
    expect(sched(importA1111(texts[2], MODELS).document).algorithm).toBe("euler-ancestral");
    expect(problemKeys(importA1111(texts[2], MODELS).problems)).toContain("parameters:Hires upscale");
    // ComfyUI's ddim is Euler over the ddim_uniform σ.
    expect(sched(importA1111(texts[3], MODELS).document)).toMatchObject({
      algorithm: "euler",
      sigmaSchedule: "ddim_uniform",
    });
    const hires = importA1111(texts[2], MODELS).problems.find((p) => p.field === "Hires upscale");
    expect(hires?.at).toEqual({ node: "c3" });
    const sde = importA1111(texts[4], MODELS);
    expect(sde.problems.find((p) => p.field === "sampler_name")?.at).toEqual({
      node: "c3.schedule",
      field: "algorithm",
    });
    expect(sde.problems.find((p) => p.field === "sampler_name")?.message).toMatch(
      /^sampler "DPM\+\+ SDE Karras" is not supported/,
    );
  });

  it("a pasted parameters text is recognised by the JSON import path", () => {
    const got = importJsonText(texts[0], MODELS);
    expect(got.foreign?.source).toBe("a1111-parameters");
  });
});

describe("PNG import", () => {
  const png = (text: Record<string, string>) =>
    Buffer.from(
      encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(9) }, text),
    ).toString("base64");
  const wf = readFileSync("tests/fixtures/comfy/txt2img.workflow.json", "utf8");
  const prompt = readFileSync("tests/fixtures/comfy/txt2img.prompt.json", "utf8");

  it("a ComfyUI PNG's workflow chunk (with its layout) wins over its prompt chunk", () => {
    const got = importPngBase64(png({ prompt, workflow: wf }), MODELS);
    expect(got.foreign?.source).toBe("comfy-workflow");
    expect(got.document.nodes.some((n) => n.type === "primitive-int")).toBe(true);
  });

  it("falls back to the prompt chunk, then to A1111 parameters", () => {
    expect(importPngBase64(png({ prompt }), MODELS).foreign?.source).toBe("comfy-prompt");
    expect(importPngBase64(png({ workflow: "{oops", prompt }), MODELS).foreign?.source).toBe("comfy-prompt");
    const texts = fixture("a1111-parameters.json") as string[];
    expect(importPngBase64(png({ parameters: texts[0] }), MODELS).foreign?.source).toBe("a1111-parameters");
  });

  it("a PNG with no graph names every chunk it looked for", () => {
    expect(() => importPngBase64(png({ Comment: "hello" }), MODELS)).toThrow(
      /no Petalflow graph in it \(no 'petalflow' text chunk\), no ComfyUI 'workflow'\/'prompt' chunk and no AUTOMATIC1111 'parameters' text/,
    );
    expect(() => importPngBase64(png({ prompt: "{" }), MODELS)).toThrow(
      /the PNG's "prompt" text is not valid JSON/,
    );
  });
});
