/**
 * A Petalflow graph document → ComfyUI's API "prompt" format ({id: {class_type, inputs}}, links as
 * [node_id, output_index]). A U-Net step with its Noise and Scheduler becomes one KSampler, or a
 * KSamplerAdvanced when it runs a step range or skips adding noise. Primitives are inlined. Nodes with
 * no ComfyUI core equivalent are left out and listed, as is every setting that ComfyUI cannot express.
 */
import type { DocumentNode, GraphDocument } from "../../../core/graph/document";
import { COMFY_SAMPLERS } from "./sampler-names";
import { COMFY_NODES } from "./spec";

export interface ExportProblem {
  /** The Petalflow node id. */
  node: string;
  type: string;
  field?: string;
  severity: "error" | "warning";
  message: string;
}

export interface ComfyExport {
  prompt: Record<string, { class_type: string; inputs: Record<string, unknown>; _meta?: { title: string } }>;
  problems: ExportProblem[];
  /** ComfyUI node id → the Petalflow node it came from (a KSampler: its U-Net step). */
  sources: Record<string, string>;
}

export interface ExportOptions {
  /** For a UI workflow, which keeps modes: no warning that a muted or bypassed node becomes active. */
  keepModes?: boolean;
}

/** Petalflow output port → ComfyUI output index, per node type. */
const OUTPUT_SLOTS: Record<string, Record<string, number>> = {
  "model-loader": { unet: 0, textEncoder: 1, vae: 2 },
  "text-encoder": { conditioning: 0 },
  "unet-step": { latent: 0 },
  "empty-latent": { latent: 0 },
  "vae-decode": { image: 0 },
  "vae-encode": { latent: 0 },
  "latent-upscale": { latent: 0 },
  "conditioning-combine": { conditioning: 0 },
  "load-image": { image: 0, mask: 1 },
  "text-encoder-sdxl": { conditioning: 0 },
  "set-latent-noise-mask": { latent: 0 },
  "vae-encode-inpaint": { latent: 0 },
  "load-mask": { mask: 0 },
  "inpaint-conditioning": { positive: 0, negative: 1, latent: 2 },
};

/** ComfyUI socket input → the Petalflow port that feeds it (where the names differ). */
const PORT_OF: Record<string, string> = {
  model: "unet",
  latent_image: "latent",
  samples: "latent",
  pixels: "image",
  images: "image",
  clip: "textEncoder",
  conditioning_1: "a",
  conditioning_2: "b",
};

const SAMPLER_OF: Record<string, string> = Object.fromEntries(
  Object.entries(COMFY_SAMPLERS)
    .filter(([comfy]) => comfy !== "ddim")
    .map(([comfy, ours]) => [ours, comfy]),
);

export function exportComfyPrompt(doc: GraphDocument, opts: ExportOptions = {}): ComfyExport {
  const problems: ExportProblem[] = [];
  const report = (n: DocumentNode, severity: ExportProblem["severity"], message: string, field?: string) =>
    problems.push({ node: n.id, type: n.type, field, severity, message });
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const into = (node: string, port: string) => {
    const e = doc.edges.find((x) => x.to.node === node && x.to.port === port);
    return e ? { node: byId.get(e.from.node), port: e.from.port } : null;
  };
  // Nodes that travel inside a KSampler or as inlined values get no ComfyUI id of their own.
  const absorbed = new Set<string>();
  for (const n of doc.nodes) {
    if (n.type !== "unet-step") continue;
    for (const p of ["noise", "schedule"]) {
      const src = into(n.id, p)?.node;
      if (src) absorbed.add(src.id);
    }
  }
  const ids = new Map<string, string>();
  for (const n of doc.nodes)
    if (OUTPUT_SLOTS[n.type] || n.type === "save-image" || n.type === "preview-image")
      ids.set(n.id, String(ids.size + 1));

  const link = (node: string, port: string, owner: DocumentNode, field: string): unknown => {
    const src = into(node, port);
    if (!src?.node) return undefined;
    const id = ids.get(src.node.id);
    const slot = OUTPUT_SLOTS[src.node.type]?.[src.port];
    if (id === undefined || slot === undefined) {
      report(
        owner,
        "error",
        `input "${port}" comes from ${src.node.type} "${src.node.id}", which ComfyUI's core nodes cannot express`,
        field,
      );
      return undefined;
    }
    return [id, slot];
  };
  /** A widget value, or the value of the primitive linked into it (API prompts have no primitives). */
  const value = (n: DocumentNode, name: string, fallback: unknown): unknown => {
    const src = into(n.id, name)?.node;
    if (src?.type.startsWith("primitive-")) return src.params.value ?? fallback;
    return n.params[name] ?? fallback;
  };

  const prompt: ComfyExport["prompt"] = {};
  /** ComfyUI nodes with no Petalflow node of their own (CLIPSetLastLayer) → the Petalflow node they serve. */
  const extraSources: [string, string][] = [];
  const layers = new Map<string, string>();
  /** The loader's model id behind a text encoder (its family is not in the document; the name tells). */
  const modelOf = (n: DocumentNode): string => {
    const src = into(n.id, "textEncoder")?.node;
    return src?.type === "model-loader" ? String(src.params.model ?? "") : "";
  };
  /**
   * A text encoder's clip: the checkpoint's CLIP, through a CLIPSetLastLayer when the CLIP skip is not the
   * family's default. SD 1.x/2.x: CLIP skip k = stop_at_clip_layer −k. SDXL: Petalflow's CLIP skip 1 is the
   * penultimate layer un-normalised, ComfyUI's SDXL default (−2), so k → −(k + 1).
   */
  const clipInput = (n: DocumentNode, sdxl: boolean): unknown => {
    const clip = link(n.id, "textEncoder", n, "textEncoder");
    const skip = Math.max(1, Math.round(Number(n.params.clipSkip ?? 1)));
    if (!Array.isArray(clip) || skip === 1) return clip;
    const stop = sdxl ? -(skip + 1) : -skip;
    const key = `${clip[0]}:${clip[1]}:${stop}`;
    let id = layers.get(key);
    if (!id) {
      id = String(ids.size + extraSources.length + 1);
      layers.set(key, id);
      extraSources.push([id, n.id]);
      prompt[id] = { class_type: "CLIPSetLastLayer", inputs: { stop_at_clip_layer: stop, clip } };
    }
    return [id, 0];
  };
  /** The pixel size of the latent a conditioning is sampled with (a Text Encoder (SDXL)'s 0 = that size). */
  const imageSize = (n: DocumentNode): { w: number; h: number } | null => {
    for (const e of doc.edges) {
      if (e.from.node !== n.id) continue;
      const step = byId.get(e.to.node);
      const latent = step?.type === "unet-step" ? into(step.id, "latent")?.node : undefined;
      if (latent?.type === "empty-latent")
        return { w: Number(latent.params.width ?? 1024), h: Number(latent.params.height ?? 1024) };
    }
    return null;
  };
  for (const n of doc.nodes) {
    if (n.mode !== "normal" && !opts.keepModes)
      report(n, "warning", `a ${n.mode === "mute" ? "muted" : "bypassed"} node is exported as an active one`);
    const id = ids.get(n.id);
    const put = (class_type: string, inputs: Record<string, unknown>) => {
      if (id === undefined) return;
      const clean = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined));
      // A socket ComfyUI requires but nothing feeds (the negative prompt is warned about on its own).
      for (const [name] of COMFY_NODES[class_type]?.inputs ?? []) {
        const field = PORT_OF[name] ?? name;
        if (
          name in clean ||
          name === "negative" ||
          problems.some((x) => x.node === n.id && x.field === field)
        )
          continue;
        report(
          n,
          "error",
          `input "${field}" is not linked; ComfyUI's ${class_type} needs its "${name}"`,
          field,
        );
      }
      prompt[id] = { class_type, inputs: clean, ...(n.title ? { _meta: { title: n.title } } : {}) };
    };
    const p = n.params;
    switch (n.type) {
      case "model-loader":
        put("CheckpointLoaderSimple", { ckpt_name: `${String(p.model ?? "")}.safetensors` });
        break;
      case "text-encoder":
        put("CLIPTextEncode", { text: value(n, "text", ""), clip: clipInput(n, /xl/i.test(modelOf(n))) });
        break;
      case "text-encoder-sdxl":
        put(...sdxlEncoder(n));
        break;
      case "set-latent-noise-mask":
        put("SetLatentNoiseMask", {
          samples: link(n.id, "latent", n, "latent"),
          mask: link(n.id, "mask", n, "mask"),
        });
        break;
      case "vae-encode-inpaint":
        put("VAEEncodeForInpaint", {
          pixels: link(n.id, "image", n, "image"),
          vae: link(n.id, "vae", n, "vae"),
          mask: link(n.id, "mask", n, "mask"),
          grow_mask_by: p.growMaskBy ?? 6,
        });
        break;
      case "load-mask":
        report(
          n,
          "warning",
          "the uploaded image must be copied into ComfyUI's input folder under this name",
          "image",
        );
        put("LoadImageMask", {
          image: String(p.image ?? ""),
          channel: p.channel ?? "alpha",
          upload: "image",
        });
        break;
      case "inpaint-conditioning":
        report(
          n,
          "warning",
          "ComfyUI sizes the mask to the latent bilinearly and rounds it, Petalflow (as diffusers) by nearest pixel: latent cells on the mask's edge may differ",
          "mask",
        );
        if (!into(n.id, "negative"))
          report(
            n,
            "error",
            "ComfyUI's InpaintModelConditioning needs a negative; link an empty Text Encoder",
            "negative",
          );
        put("InpaintModelConditioning", {
          positive: link(n.id, "positive", n, "positive"),
          negative: link(n.id, "negative", n, "negative"),
          vae: link(n.id, "vae", n, "vae"),
          pixels: link(n.id, "image", n, "image"),
          mask: link(n.id, "mask", n, "mask"),
          noise_mask: p.noiseMask !== false,
        });
        break;
      case "empty-latent":
        put("EmptyLatentImage", { width: p.width ?? 64, height: p.height ?? 64, batch_size: p.batch ?? 1 });
        break;
      case "vae-decode":
        put("VAEDecode", { samples: link(n.id, "latent", n, "latent"), vae: link(n.id, "vae", n, "vae") });
        break;
      case "vae-encode":
        put("VAEEncode", { pixels: link(n.id, "image", n, "image"), vae: link(n.id, "vae", n, "vae") });
        break;
      case "latent-upscale":
        put("LatentUpscale", {
          upscale_method: p.method === "nearest" ? "nearest-exact" : "bilinear",
          width: p.width ?? 128,
          height: p.height ?? 128,
          crop: "disabled",
          samples: link(n.id, "latent", n, "latent"),
        });
        break;
      case "conditioning-combine":
        put("ConditioningCombine", {
          conditioning_1: link(n.id, "a", n, "a"),
          conditioning_2: link(n.id, "b", n, "b"),
        });
        break;
      case "load-image":
        report(
          n,
          "warning",
          "the uploaded image must be copied into ComfyUI's input folder under this name",
          "image",
        );
        put("LoadImage", { image: String(p.image ?? ""), upload: "image" });
        break;
      case "save-image":
        put("SaveImage", {
          filename_prefix: p.prefix ?? "petalflow",
          images: link(n.id, "image", n, "image"),
        });
        break;
      case "preview-image":
        put("PreviewImage", { images: link(n.id, "image", n, "image") });
        break;
      case "unet-step":
        put(...sampler(n));
        break;
      case "noise":
      case "scheduler":
      case "primitive-int":
      case "primitive-float":
      case "primitive-text":
        if (!absorbed.has(n.id) && !n.type.startsWith("primitive-"))
          report(
            n,
            "error",
            `a ${n.type} node that feeds no U-Net step has no ComfyUI core equivalent; left out`,
          );
        break;
      default:
        report(n, "error", `node type "${n.type}" has no ComfyUI core equivalent; left out`);
    }
  }
  const sources = Object.fromEntries([
    ...[...ids].filter(([, id]) => prompt[id]).map(([node, id]) => [id, node]),
    ...extraSources,
  ]);
  return { prompt, problems, sources };

  /** Text Encoder (SDXL) → CLIPTextEncodeSDXL, or CLIPTextEncodeSDXLRefiner on a refiner model. */
  function sdxlEncoder(n: DocumentNode): [string, Record<string, unknown>] {
    const p = n.params;
    const text = value(n, "text", "");
    const text2 = value(n, "text2", "");
    const textG = typeof text2 === "string" && text2.trim() ? text2 : text;
    const clip = clipInput(n, true);
    let size: { w: number; h: number } | null | undefined;
    const px = (field: string, axis: "w" | "h"): number => {
      const v = Number(p[field] ?? 0);
      if (v > 0) return v;
      size ??= imageSize(n);
      if (!size)
        report(
          n,
          "warning",
          `${field} 0 (the image's size) is written as 1024: the size of the latent it is sampled with is not known here`,
          field,
        );
      return size ? size[axis] : 1024;
    };
    if (/refiner/i.test(modelOf(n)))
      return [
        "CLIPTextEncodeSDXLRefiner",
        {
          ascore: p.aestheticScore ?? 6,
          width: px("originalWidth", "w"),
          height: px("originalHeight", "h"),
          text: textG,
          clip,
        },
      ];
    return [
      "CLIPTextEncodeSDXL",
      {
        width: px("originalWidth", "w"),
        height: px("originalHeight", "h"),
        crop_w: p.cropLeft ?? 0,
        crop_h: p.cropTop ?? 0,
        target_width: px("targetWidth", "w"),
        target_height: px("targetHeight", "h"),
        text_g: textG,
        text_l: text,
        clip,
      },
    ];
  }

  function sampler(n: DocumentNode): [string, Record<string, unknown>] {
    const sched = into(n.id, "schedule")?.node;
    if (!sched)
      report(
        n,
        "error",
        "no Scheduler is linked; steps, sampler and scheduler are ComfyUI defaults",
        "schedule",
      );
    const sp = sched?.params ?? {};
    const algorithm = String(sp.algorithm ?? "euler");
    let samplerName = SAMPLER_OF[algorithm];
    let scheduler = String(sp.sigmaSchedule ?? "model");
    if (algorithm.endsWith("-karras")) {
      samplerName = SAMPLER_OF[algorithm.replace(/-karras$/, "")];
      scheduler = "karras";
    }
    if (algorithm === "ddim" && scheduler === "model") {
      // diffusers' DDIM (η = 0, leading spacing) ≈ ComfyUI's ddim (Euler) on ddim_uniform σ: same timesteps,
      // but diffusers' last step ends at ᾱ_0 rather than σ = 0.
      report(
        n,
        "warning",
        'DDIM is exported as ComfyUI\'s "ddim" + "ddim_uniform": the same timesteps, not bit-identical',
        "schedule",
      );
      return finish(n, "ddim", "ddim_uniform");
    }
    if (algorithm === "lcm" || algorithm === "ddpm")
      report(
        n,
        "warning",
        `ComfyUI's "${algorithm}" is k-diffusion's, not diffusers' ${algorithm.toUpperCase()}: images will differ`,
        "schedule",
      );
    if (!samplerName) {
      report(n, "error", `sampler "${algorithm}" has no ComfyUI equivalent; exported as euler`, "schedule");
      samplerName = "euler";
    }
    if (scheduler === "model") {
      scheduler = sp.karras ? "karras" : "normal";
      report(
        n,
        "warning",
        `Petalflow's diffusers σ spacing has no ComfyUI name; exported as "${scheduler}" (set the Scheduler's σ schedule for an exact match)`,
        "schedule",
      );
    }
    return finish(n, samplerName, scheduler);
  }

  function finish(
    n: DocumentNode,
    samplerName: string,
    scheduler: string,
  ): [string, Record<string, unknown>] {
    const p = n.params;
    const noise = into(n.id, "noise")?.node;
    const sched = into(n.id, "schedule")?.node;
    const steps = sched ? value(sched, "steps", 20) : 20;
    const denoise = Number(p.denoise ?? 1);
    let start = Number(p.startStep ?? 0);
    if (denoise < 1) start = Math.max(start, Number(steps) - Math.round(Number(steps) * denoise));
    const end = Number(p.endStep ?? 10000);
    const seed = noise ? value(noise, "seed", 0) : 0;
    if (!noise && p.addNoise !== false)
      report(n, "error", "no Noise is linked; the seed is exported as 0", "noise");
    const common = {
      steps,
      cfg: value(n, "cfg", 7.5),
      sampler_name: samplerName,
      scheduler,
      model: link(n.id, "unet", n, "unet"),
      positive: link(n.id, "positive", n, "positive"),
      negative: link(n.id, "negative", n, "negative"),
      latent_image: link(n.id, "latent", n, "latent"),
    };
    if (!common.negative)
      report(
        n,
        "warning",
        "ComfyUI's KSampler needs a negative prompt; link an empty Text Encoder",
        "negative",
      );
    if (start === 0 && end >= Number(steps) && p.addNoise !== false && !p.leftoverNoise)
      return ["KSampler", { seed, denoise: 1, ...common }];
    return [
      "KSamplerAdvanced",
      {
        add_noise: p.addNoise === false ? "disable" : "enable",
        noise_seed: seed,
        start_at_step: start,
        end_at_step: end,
        return_with_leftover_noise: p.leftoverNoise ? "enable" : "disable",
        ...common,
      },
    ];
  }
}
