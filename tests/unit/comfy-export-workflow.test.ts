/**
 * Export to ComfyUI's UI "workflow" format. The structure is checked against ComfyUI's published
 * schema (docs.comfy.org/specs/workflow_json_0.4, transcribed below: its required fields and types),
 * the links against litegraph's rules (each link appears on its origin's output and its target's
 * input, with the origin's type), and the content by importing the file back with our importer.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type GraphDocument, graphDocumentSchema } from "../../core/graph/document";
import { validateDocument } from "../../core/graph/validate";
import { registry } from "../../nodes/registry";
import { exportComfyPrompt, exportComfyWorkflow, importComfyJson } from "../../server/interop/comfy";
import { parseComfyJson } from "../../server/interop/comfy/json";

/** docs.comfy.org "Workflow JSON 0.4": required fields and their types (additional properties allowed). */
const id = z.union([z.number().int(), z.string()]);
const vec2 = z.union([z.tuple([z.number(), z.number()]), z.object({ 0: z.number(), 1: z.number() })]);
const slotType = z.union([z.string(), z.array(z.string()), z.number()]);
const schema04 = z.looseObject({
  last_node_id: id,
  last_link_id: z.number(),
  nodes: z.array(
    z.looseObject({
      id,
      type: z.string(),
      pos: vec2,
      size: vec2,
      flags: z.looseObject({ collapsed: z.boolean().optional(), pinned: z.boolean().optional() }),
      order: z.number(),
      mode: z.number(),
      inputs: z
        .array(z.looseObject({ name: z.string(), type: slotType, link: z.number().nullable().optional() }))
        .optional(),
      outputs: z
        .array(
          z.looseObject({
            name: z.string(),
            type: slotType,
            links: z.array(z.number()).nullable().optional(),
          }),
        )
        .optional(),
      properties: z.looseObject({ "Node name for S&R": z.string().optional() }),
      widgets_values: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
      color: z.string().optional(),
      bgcolor: z.string().optional(),
    }),
  ),
  links: z.array(z.tuple([z.number(), id, id, id, id, slotType])),
  groups: z
    .array(
      z.looseObject({
        title: z.string(),
        bounding: z.tuple([z.number(), z.number(), z.number(), z.number()]),
        color: z.string().optional(),
        font_size: z.number().optional(),
      }),
    )
    .optional(),
  config: z.looseObject({}).nullable().optional(),
  extra: z
    .looseObject({ ds: z.looseObject({ scale: z.number(), offset: vec2 }).optional() })
    .nullable()
    .optional(),
  version: z.number(),
});

const example = (name: string): GraphDocument =>
  graphDocumentSchema.parse(JSON.parse(readFileSync(`examples/${name}.json`, "utf8")));
const MODELS = ["petalflow-shapes"];

/** litegraph's invariants: ids unique, every link on both of its ends, with the origin output's type. */
function checkLinks(wf: z.infer<typeof schema04>) {
  const nodes = new Map(wf.nodes.map((n) => [n.id, n]));
  expect(nodes.size).toBe(wf.nodes.length);
  expect(wf.last_node_id).toBe(Math.max(...wf.nodes.map((n) => Number(n.id))));
  expect(wf.last_link_id).toBe(Math.max(0, ...wf.links.map((l) => l[0])));
  for (const [linkId, from, fromSlot, to, toSlot, type] of wf.links) {
    const out = nodes.get(from)?.outputs?.[Number(fromSlot)];
    const input = nodes.get(to)?.inputs?.[Number(toSlot)];
    expect(out?.links, `link ${linkId}`).toContain(linkId);
    expect(input?.link, `link ${linkId}`).toBe(linkId);
    expect(out?.type).toBe(type);
    expect(input?.type).toBe(type);
  }
  // The execution order puts every link's origin before its target.
  for (const l of wf.links) expect(nodes.get(l[1])!.order).toBeLessThan(nodes.get(l[3])!.order);
}

describe("export to ComfyUI's UI workflow format", () => {
  it("txt2img: the published 0.4 schema holds, links are consistent, widgets are in INPUT_TYPES order, positions kept", () => {
    const doc = example("txt2img");
    const sched = doc.nodes.find((n) => n.id === "schedule")!;
    sched.params = { ...sched.params, algorithm: "euler", sigmaSchedule: "karras" };
    doc.nodes.find((n) => n.id === "noise")!.params.control = "increment";
    const { workflow, json, problems } = exportComfyWorkflow(doc);
    expect(problems).toEqual([]);
    const parsed = schema04.parse(JSON.parse(json));
    expect(parsed).toEqual(workflow);
    checkLinks(parsed);
    expect(workflow.version).toBe(0.4);

    const ks = workflow.nodes.find((n) => n.type === "KSampler")!;
    // nodes.py KSampler: seed (+ the frontend's control_after_generate), steps, cfg, sampler_name, scheduler, denoise.
    expect(ks.widgets_values).toEqual([42, "increment", 25, 7.5, "euler", "karras", 1]);
    expect(ks.inputs.map((i) => i.name)).toEqual(["model", "positive", "negative", "latent_image"]);
    const sampler = doc.nodes.find((n) => n.id === "sampler")!;
    expect(ks.pos).toEqual([sampler.position.x, sampler.position.y]);
    const ckpt = workflow.nodes.find((n) => n.type === "CheckpointLoaderSimple")!;
    expect(ckpt.widgets_values).toEqual(["petalflow-shapes.safetensors"]);
    expect(ckpt.outputs.map((o) => o.type)).toEqual(["MODEL", "CLIP", "VAE"]);
    // The same nodes and values as the API export.
    const api = exportComfyPrompt(doc).prompt;
    expect(workflow.nodes.map((n) => n.type).sort()).toEqual(
      Object.values(api)
        .map((n) => n.class_type)
        .sort(),
    );
  });

  it("re-imports into the same graph: node types, settings, wiring and layout", () => {
    const doc = example("txt2img");
    const { json } = exportComfyWorkflow(doc);
    const back = importComfyJson(parseComfyJson(json), MODELS)!;
    expect(back.source).toBe("comfy-workflow");
    expect(back.problems).toEqual([]);
    expect(validateDocument(back.document, registry).errors).toEqual([]);
    const types = (d: GraphDocument) => d.nodes.map((n) => n.type).sort();
    expect(types(back.document)).toEqual(types(doc));
    // The same settings on each node, found by type (ids differ: ComfyUI's are numbers).
    const byType = (d: GraphDocument, t: string) => d.nodes.filter((n) => n.type === t).map((n) => n.params);
    for (const t of ["unet-step", "empty-latent", "model-loader", "save-image", "vae-decode"])
      expect(byType(back.document, t), t).toEqual(byType(doc, t));
    expect(
      byType(back.document, "text-encoder")
        .map((p) => p.text)
        .sort(),
    ).toEqual(
      byType(doc, "text-encoder")
        .map((p) => p.text)
        .sort(),
    );
    // The wiring, as "type.port -> type.port".
    const wires = (d: GraphDocument) => {
      const t = new Map(d.nodes.map((n) => [n.id, n.type]));
      return d.edges
        .map((e) => `${t.get(e.from.node)}.${e.from.port} -> ${t.get(e.to.node)}.${e.to.port}`)
        .sort();
    };
    // An imported KSampler's Noise also takes the latent (for its size, as ComfyUI's prepare_noise does).
    expect(wires(back.document).filter((w) => !w.endsWith("-> noise.latent"))).toEqual(wires(doc));
    // The U-Net step keeps its place.
    const pos = (d: GraphDocument) => d.nodes.find((n) => n.type === "unet-step")!.position;
    expect(pos(back.document)).toEqual(pos(doc));
  });

  it("notes, groups, titles, colours and muted/bypassed modes carry over; a 64-bit seed is written exactly", () => {
    const doc = example("txt2img");
    doc.notes.push({ id: "n1", text: "remember the negative prompt", position: { x: 10, y: 20 } });
    doc.groups.push({
      id: "g1",
      title: "Prompts",
      bounds: { x: 0, y: 0, width: 500, height: 400 },
      color: "#8a8",
    });
    const save = doc.nodes.find((n) => n.type === "save-image")!;
    save.mode = "mute";
    save.title = "Keep";
    save.color = "#335533";
    doc.nodes.find((n) => n.id === "noise")!.params.seed = "18446744073709551615";
    const { workflow, json } = exportComfyWorkflow(doc);
    schema04.parse(JSON.parse(json));
    const note = workflow.nodes.find((n) => n.type === "Note")!;
    expect(note.widgets_values).toEqual(["remember the negative prompt"]);
    expect(note.pos).toEqual([10, 20]);
    expect(workflow.groups).toEqual([
      expect.objectContaining({ title: "Prompts", bounding: [0, 0, 500, 400], color: "#8a8" }),
    ]);
    const saved = workflow.nodes.find((n) => n.type === "SaveImage")!;
    expect(saved).toMatchObject({ mode: 2, title: "Keep", color: "#335533" });
    // Python's json reads the literal exactly; JavaScript's JSON.parse would round it.
    expect(json).toMatch(/"widgets_values": \[\s*18446744073709551615,/);
    const back = importComfyJson(parseComfyJson(json), MODELS)!.document;
    expect(back.nodes.find((n) => n.type === "noise")!.params.seed).toBe("18446744073709551615");
    expect(back.nodes.find((n) => n.type === "save-image")).toMatchObject({ mode: "mute", title: "Keep" });
    expect(back.notes.map((n) => n.text)).toEqual(["remember the negative prompt"]);
    expect(back.groups.map((g) => g.title)).toEqual(["Prompts"]);
  });

  it("an imported ComfyUI workflow exports back to the same ComfyUI widgets", () => {
    const original = JSON.parse(readFileSync("tests/fixtures/comfy/ksampler-advanced.prompt.json", "utf8"));
    const { workflow, problems } = exportComfyWorkflow(importComfyJson(original, MODELS)!.document);
    expect(problems).toEqual([]);
    checkLinks(schema04.parse(workflow));
    const adv = workflow.nodes.filter((n) => n.type === "KSamplerAdvanced").map((n) => n.widgets_values);
    const i = (id: string) => original[id].inputs;
    const want = ["3", "16"].map((id) => [
      i(id).add_noise,
      i(id).noise_seed,
      "fixed",
      i(id).steps,
      i(id).cfg,
      i(id).sampler_name,
      i(id).scheduler,
      i(id).start_at_step,
      i(id).end_at_step,
      i(id).return_with_leftover_noise,
    ]);
    expect(adv).toEqual(want);
  });

  it("what does not map is listed, as in the API export", () => {
    const { workflow, problems } = exportComfyWorkflow(example("forward-process"));
    expect(problems.filter((p) => p.severity === "error").length).toBeGreaterThan(0);
    checkLinks(schema04.parse(workflow));
  });
});
