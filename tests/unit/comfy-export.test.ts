/**
 * Export to ComfyUI's API prompt format: the templates and imported ComfyUI graphs, round trips through
 * the importer, and the list of what does not map.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type GraphDocument, graphDocumentSchema } from "../../core/graph/document";
import { exportComfyPrompt, importComfyJson } from "../../server/interop/comfy";

const example = (name: string): GraphDocument =>
  graphDocumentSchema.parse(JSON.parse(readFileSync(`examples/${name}.json`, "utf8")));
const MODELS = ["petalflow-shapes"];
const byClass = (prompt: ReturnType<typeof exportComfyPrompt>["prompt"], cls: string) =>
  Object.values(prompt).filter((n) => n.class_type === cls);

describe("export to ComfyUI's API format", () => {
  it("txt2img: Noise + Scheduler + U-Net step become one KSampler; links are [id, slot]", () => {
    const doc = example("txt2img");
    const sched = doc.nodes.find((n) => n.id === "schedule")!;
    sched.params = { ...sched.params, algorithm: "euler", sigmaSchedule: "karras" };
    const { prompt, problems } = exportComfyPrompt(doc);
    expect(problems).toEqual([]);
    expect(
      Object.values(prompt)
        .map((n) => n.class_type)
        .sort(),
    ).toEqual(
      [
        "CLIPTextEncode",
        "CLIPTextEncode",
        "CheckpointLoaderSimple",
        "EmptyLatentImage",
        "KSampler",
        "SaveImage",
        "VAEDecode",
      ].sort(),
    );
    const [k] = byClass(prompt, "KSampler");
    const ckpt = Object.entries(prompt).find(([, n]) => n.class_type === "CheckpointLoaderSimple")![0];
    expect(k.inputs).toMatchObject({
      seed: 42,
      steps: 25,
      cfg: 7.5,
      sampler_name: "euler",
      scheduler: "karras",
      denoise: 1,
    });
    expect(k.inputs.model).toEqual([ckpt, 0]);
    expect(byClass(prompt, "CLIPTextEncode").map((n) => n.inputs.clip)).toEqual([
      [ckpt, 1],
      [ckpt, 1],
    ]);
    expect(byClass(prompt, "CheckpointLoaderSimple")[0].inputs.ckpt_name).toBe(
      "petalflow-shapes.safetensors",
    );

    // Round trip: importing the export gives the same sampler settings.
    const back = importComfyJson(prompt, MODELS)!;
    expect(back.problems).toEqual([]);
    const kid = Object.entries(prompt).find(([, n]) => n.class_type === "KSampler")![0];
    const p = (id: string) => back.document.nodes.find((n) => n.id === id)!.params;
    expect(p(`c${kid}.schedule`)).toMatchObject({ algorithm: "euler", sigmaSchedule: "karras", steps: 25 });
    expect(p(`c${kid}`)).toMatchObject(doc.nodes.find((n) => n.id === "sampler")!.params);
  });

  it("the template's DDIM exports as ComfyUI's ddim + ddim_uniform, with a note that it is not bit-identical", () => {
    const { prompt, problems } = exportComfyPrompt(example("txt2img"));
    expect(byClass(prompt, "KSampler")[0].inputs).toMatchObject({
      sampler_name: "ddim",
      scheduler: "ddim_uniform",
    });
    expect(problems).toEqual([
      expect.objectContaining({
        node: "sampler",
        type: "unet-step",
        severity: "warning",
        message: expect.stringMatching(/not bit-identical/),
      }),
    ]);
  });

  it("two-stage: step ranges become a KSamplerAdvanced pair", () => {
    const { prompt } = exportComfyPrompt(example("two-stage"));
    const adv = byClass(prompt, "KSamplerAdvanced").map((n) => n.inputs);
    expect(adv).toEqual([
      expect.objectContaining({
        add_noise: "enable",
        start_at_step: 0,
        end_at_step: 15,
        return_with_leftover_noise: "enable",
      }),
      expect.objectContaining({
        add_noise: "disable",
        start_at_step: 15,
        end_at_step: 10000,
        return_with_leftover_noise: "disable",
      }),
    ]);
  });

  it("lists every node that does not map (the forward-process template's Add Noise nodes)", () => {
    const { prompt, problems } = exportComfyPrompt(example("forward-process"));
    const errors = problems.filter((p) => p.severity === "error");
    expect(
      errors
        .filter((p) => p.type === "add-noise")
        .map((p) => p.node)
        .sort(),
    ).toEqual(["noisy0", "noisy250", "noisy500", "noisy750", "noisy999"]);
    expect(errors.map((p) => p.node)).toContain("noise");
    expect(errors.map((p) => p.node)).toContain("schedule");
    // VAE Decode nodes fed by Add Noise say where their input came from.
    expect(errors.find((p) => p.node === "decode0")?.message).toBe(
      'input "latent" comes from add-noise "noisy0", which ComfyUI\'s core nodes cannot express',
    );
    expect(byClass(prompt, "VAEDecode")).toHaveLength(5);
  });

  it("a socket ComfyUI requires that nothing feeds is an error naming it", () => {
    const doc = example("txt2img");
    doc.edges = doc.edges.filter((e) => !(e.to.node === "sampler" && e.to.port === "unet"));
    doc.edges = doc.edges.filter((e) => !(e.to.node === "decode" && e.to.port === "vae"));
    const { problems } = exportComfyPrompt(doc);
    expect(problems.filter((p) => p.severity === "error")).toEqual([
      {
        node: "decode",
        type: "vae-decode",
        field: "vae",
        severity: "error",
        message: 'input "vae" is not linked; ComfyUI\'s VAEDecode needs its "vae"',
      },
      {
        node: "sampler",
        type: "unet-step",
        field: "unet",
        severity: "error",
        message: 'input "unet" is not linked; ComfyUI\'s KSampler needs its "model"',
      },
    ]);
  });

  it("an imported ComfyUI prompt exports back to the same ComfyUI settings", () => {
    const original = JSON.parse(readFileSync("tests/fixtures/comfy/ksampler-advanced.prompt.json", "utf8"));
    const { prompt, problems } = exportComfyPrompt(importComfyJson(original, MODELS)!.document);
    expect(problems).toEqual([]);
    const strip = (inputs: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(inputs).filter(([, v]) => !Array.isArray(v)));
    const adv = byClass(prompt, "KSamplerAdvanced").map((n) => strip(n.inputs));
    const want = ["3", "16"].map((id) => strip(original[id].inputs));
    expect(adv).toEqual(want);
  });
});
