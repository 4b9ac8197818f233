/**
 * AUTOMATIC1111 / Forge "parameters" text (the PNG tEXt chunk they write) → the same intermediate
 * graph a ComfyUI txt2img prompt gives: checkpoint, two prompts, empty latent, KSampler, decode, save.
 *
 *   a red circle
 *   Negative prompt: blurry
 *   Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 123, Size: 512x512, Model: v1-5
 */
import type { IrGraph, IrNode } from "./ir";
import type { ImportProblem } from "./types";

/** A1111 sampler labels (modules/sd_samplers_kdiffusion.py) → ComfyUI sampler_name [+ scheduler]. */
const SAMPLERS: Record<string, [string, string?]> = {
  euler: ["euler"],
  "euler a": ["euler_ancestral"],
  heun: ["heun"],
  lms: ["lms"],
  "lms karras": ["lms", "karras"],
  "dpm++ 2m": ["dpmpp_2m"],
  "dpm++ 2m karras": ["dpmpp_2m", "karras"],
  ddim: ["ddim", "ddim_uniform"],
  lcm: ["lcm"],
};

/** A1111 "Schedule type" labels (1.9+) → ComfyUI scheduler names. */
const SCHEDULES: Record<string, string> = {
  automatic: "normal",
  karras: "karras",
  exponential: "exponential",
  uniform: "normal",
  "sgm uniform": "sgm_uniform",
  simple: "simple",
  ddim: "ddim_uniform",
};

/** A1111's own `key: value` splitter (quoted values may hold commas). */
const PARAM = /\s*([\w ./+-]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g;

export function looksLikeA1111(text: string): boolean {
  return /(^|\n)Steps: \d+/.test(text);
}

export function readA1111(text: string): IrGraph {
  const problems: ImportProblem[] = [];
  const report = (severity: ImportProblem["severity"], message: string, field?: string) =>
    problems.push({ node: "parameters", type: "A1111", field, severity, message });
  const lines = text.replace(/\r\n?/g, "\n").trim().split("\n");
  let paramLine = "";
  if (lines.length && /^Steps: /.test(lines[lines.length - 1].trim())) paramLine = lines.pop()!.trim();
  const positive: string[] = [];
  const negative: string[] = [];
  let inNegative = false;
  for (const line of lines) {
    if (line.startsWith("Negative prompt:")) {
      inNegative = true;
      negative.push(line.slice("Negative prompt:".length).trim());
    } else (inNegative ? negative : positive).push(line);
  }
  const p: Record<string, string> = {};
  for (const m of paramLine.matchAll(PARAM)) {
    let v = m[2].trim();
    if (v.startsWith('"') && v.endsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        /* keep as written */
      }
    }
    p[m[1].trim()] = v;
  }
  const sampler = (p.Sampler ?? "Euler").trim();
  const mapped = SAMPLERS[sampler.toLowerCase()];
  let samplerName = mapped?.[0] ?? sampler;
  let scheduler = mapped?.[1] ?? "normal";
  if (!mapped) {
    // "DPM++ 2M SDE Karras" and the like: keep the name so the problem names it.
    samplerName = sampler;
  }
  const scheduleType = p["Schedule type"];
  if (scheduleType) {
    const s = SCHEDULES[scheduleType.toLowerCase()];
    if (s) scheduler = s;
    else {
      scheduler = scheduleType;
    }
  }
  const [w, h] = (p.Size ?? "512x512").split("x").map((v) => Number.parseInt(v, 10));
  const seed = /^\d+$/.test(p.Seed ?? "") ? Number(p.Seed) : 0;
  // "Clip skip: N" is ComfyUI's CLIPSetLastLayer −N (A1111 counts layers back from the last, 1 = the last).
  const clipSkip = Number.parseInt(p["Clip skip"] ?? "1", 10);
  // A1111 leaves SDXL's CLIP at its penultimate layer whatever "Clip skip" says (unless its
  // sdxl_clip_l_skip option is on, which the parameters text does not record).
  const xl = /xl/i.test(p.Model ?? "");
  const skipLayer = Number.isInteger(clipSkip) && clipSkip > 1 && !xl;
  if (xl && clipSkip > 2)
    report(
      "warning",
      `Clip skip ${clipSkip} is not applied: AUTOMATIC1111 keeps SDXL's penultimate layer unless its "sdxl_clip_l_skip" option was on`,
      "Clip skip",
    );
  if (p["Clip skip"] && !/^\d+$/.test(p["Clip skip"].trim()))
    report("error", `Clip skip "${p["Clip skip"]}" is not a whole number; ignored`, "Clip skip");
  if (p["Hires upscale"] || p["Hires resize-1"])
    report("error", "the hires. fix second pass is not imported; only the first pass is", "Hires upscale");
  if (p["Denoising strength"] && !p["Hires upscale"])
    report("warning", "this was an img2img run; imported as text-to-image", "Denoising strength");
  if (p["Batch size"] && p["Batch size"] !== "1")
    report("warning", `batch size ${p["Batch size"]} is imported as 1`, "Batch size");
  const node = (
    id: string,
    classType: string,
    widgets: Record<string, unknown>,
    links: IrNode["links"] = {},
    x = 0,
    y = 0,
  ): IrNode => ({
    id,
    classType,
    mode: "normal",
    widgets,
    links,
    pos: { x, y },
  });
  const clip = { from: skipLayer ? "10" : "4", slot: skipLayer ? 0 : 1 };
  const nodes: IrNode[] = [
    node("4", "CheckpointLoaderSimple", { ckpt_name: p.Model ?? "" }, {}, 0, 200),
    node("6", "CLIPTextEncode", { text: positive.join("\n").trim() }, { clip }, 420, 40),
    node("7", "CLIPTextEncode", { text: negative.join("\n").trim() }, { clip }, 420, 320),
    node("5", "EmptyLatentImage", { width: w || 512, height: h || 512, batch_size: 1 }, {}, 420, 600),
    node(
      "3",
      "KSampler",
      {
        seed,
        control_after_generate: "fixed",
        steps: Number.parseInt(p.Steps ?? "20", 10) || 20,
        cfg: Number.parseFloat(p["CFG scale"] ?? "7") || 7,
        sampler_name: samplerName,
        scheduler,
        denoise: 1,
      },
      {
        model: { from: "4", slot: 0 },
        positive: { from: "6", slot: 0 },
        negative: { from: "7", slot: 0 },
        latent_image: { from: "5", slot: 0 },
      },
      1160,
      200,
    ),
    node("8", "VAEDecode", {}, { samples: { from: "3", slot: 0 }, vae: { from: "4", slot: 2 } }, 1500, 200),
    node("9", "SaveImage", { filename_prefix: "a1111" }, { images: { from: "8", slot: 0 } }, 1800, 200),
  ];
  if (skipLayer)
    nodes.push(
      node(
        "10",
        "CLIPSetLastLayer",
        { stop_at_clip_layer: -clipSkip },
        { clip: { from: "4", slot: 1 } },
        0,
        460,
      ),
    );
  return { nodes, groups: [], notes: [], problems };
}
