/**
 * The intermediate ComfyUI graph → a Petalflow graph document. Each ComfyUI node becomes one or more
 * Petalflow nodes (a KSampler: Noise + Scheduler + U-Net step) with a table saying where each of its
 * ComfyUI inputs lands and what each of its outputs is; links are then wired through those tables.
 * Whatever cannot be brought over is listed per node, and the rest of the graph still opens.
 */
import {
  type DocumentEdge,
  type DocumentNode,
  emptyDocument,
  type GraphDocument,
  graphDocumentSchema,
} from "../../../core/graph/document";
import { defaultParams } from "../../../core/node/define";
import { scheduler as schedulerNode } from "../../../nodes/scheduler/definition";
import { textEncoderSdxl } from "../../../nodes/text-encoder-sdxl/definition";
import type { IrGraph, IrLink, IrNode } from "./ir";
import { samplerSetting, schedulerParams } from "./sampler-names";
import type { ImportProblem } from "./types";

interface Port {
  node: string;
  port: string;
}

interface Mapped {
  nodes: DocumentNode[];
  /** ComfyUI input name → where a link into it goes in Petalflow. */
  inputs: Record<string, Port[]>;
  /** By output slot: a Petalflow output, or "the value linked into this ComfyUI input" (pass-through). */
  outputs: (Port | { passThrough: string })[];
  /** Links between the Petalflow nodes of one ComfyUI node (a KSampler's noise and schedule). */
  internal?: { from: Port; to: Port }[];
}

export interface MapOptions {
  /** Installed model ids (folder names) that a checkpoint name is matched against. */
  models: readonly string[];
  name?: string;
  /**
   * Images uploaded to this server through the ComfyUI-compatible /upload/image: ComfyUI input name →
   * Petalflow upload name. A LoadImage naming one of them loads it instead of asking for a re-upload.
   */
  uploads?: ReadonlyMap<string, string>;
}

export interface MapResult {
  document: GraphDocument;
  problems: ImportProblem[];
}

const num = (v: unknown, fallback: number): number =>
  typeof v === "number" && Number.isFinite(v) ? v : fallback;
const int = (v: unknown, fallback: number): number => Math.round(num(v, fallback));
const snap8 = (v: number): number => Math.min(2048, Math.max(8, Math.round(v / 8) * 8));
/** ComfyUI's widget seeds are integers; JSON may carry one as a number or (from us) a decimal string. */
const seedOf = (v: unknown): number | string =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0
    ? v
    : typeof v === "string" && /^\d{1,20}$/.test(v)
      ? v
      : 0;

/** Checkpoint file name → model id: strip folders and the extension, compare case-insensitively. */
export function matchModel(ckptName: string, models: readonly string[]): string | null {
  const base = ckptName.split(/[\\/]/).pop() ?? ckptName;
  const stem = base.replace(/\.(safetensors|ckpt|pt|pth|bin|onnx|sft|gguf)$/i, "").toLowerCase();
  return models.find((m) => m.toLowerCase() === stem) ?? null;
}

export function mapComfyGraph(ir: IrGraph, opts: MapOptions): MapResult {
  const problems: ImportProblem[] = [...ir.problems];
  const report = (n: IrNode, severity: ImportProblem["severity"], message: string, field?: string) =>
    problems.push({ node: n.id, type: n.classType, field, severity, message });
  const byId = new Map(ir.nodes.map((n) => [n.id, n]));
  const layout = autoLayout(ir.nodes);
  const mapped = new Map<string, Mapped>();

  /** Pixel size of the latent coming out of `link`, when it can be traced (for LatentUpscaleBy). */
  const latentSize = (link: IrLink | undefined, depth = 0): { w: number; h: number } | null => {
    const src = link && byId.get(link.from);
    if (!src || depth > 100) return null;
    const w = src.widgets;
    switch (src.classType) {
      case "EmptyLatentImage":
        return { w: int(w.width, 512), h: int(w.height, 512) };
      case "LatentUpscale":
        return { w: int(w.width, 512), h: int(w.height, 512) };
      case "LatentUpscaleBy": {
        const s = latentSize(src.links.samples, depth + 1);
        const k = num(w.scale_by, 1.5);
        return s && { w: Math.round((s.w / 8) * k) * 8, h: Math.round((s.h / 8) * k) * 8 };
      }
      case "KSampler":
      case "KSamplerAdvanced":
        return latentSize(src.links.latent_image, depth + 1);
      default:
        return null;
    }
  };

  /** The CLIPSetLastLayer nearest upstream of a text encoder's clip (the last one applied wins), if any. */
  const clipChain = (n: IrNode): { layer: IrNode | null; ckpt: IrNode | null } => {
    let link = n.links.clip;
    let layer: IrNode | null = null;
    for (let depth = 0; link && depth < 100; depth++) {
      const src = byId.get(link.from);
      if (src?.classType === "CheckpointLoaderSimple") return { layer, ckpt: src };
      if (src?.classType !== "CLIPSetLastLayer") break;
      layer ??= src;
      link = src.links.clip;
    }
    return { layer, ckpt: null };
  };
  /** A plain CLIPTextEncode's model family is not in the workflow: an "xl" checkpoint name is read as SDXL. */
  const isXlCheckpoint = (n: IrNode): boolean =>
    /xl/i.test(String(clipChain(n).ckpt?.widgets.ckpt_name ?? ""));
  /**
   * ComfyUI's stop_at_clip_layer → the Text Encoder's CLIP skip. SD 1.x/2.x: −1 is the last layer (CLIP
   * skip 1), −2 the penultimate (2), …, each re-normalised by the final LayerNorm as Petalflow does.
   * SDXL: ComfyUI's default is −2 without the LayerNorm, which is Petalflow's SDXL CLIP skip 1, so
   * −k → k − 1; −1 (the last layer, un-normalised) has no Petalflow setting.
   */
  const clipSkipFor = (n: IrNode, sdxl: boolean, say: typeof report): number => {
    const { layer } = clipChain(n);
    if (!layer) return 1;
    const stop = int(layer.widgets.stop_at_clip_layer, -1);
    const field = "stop_at_clip_layer";
    if (stop > -1 || stop < -24) {
      say(
        n,
        "error",
        `stop_at_clip_layer ${stop} (node ${layer.id}) is outside ComfyUI's −24 … −1; CLIP skip 1 used`,
        field,
      );
      return 1;
    }
    let skip = sdxl ? -stop - 1 : -stop;
    if (sdxl && stop === -1) {
      say(
        n,
        "error",
        `stop_at_clip_layer −1 (node ${layer.id}) on SDXL makes ComfyUI use both CLIPs' last layer without the final LayerNorm; Petalflow's SDXL encoding starts at the penultimate layer (ComfyUI's −2, its SDXL default), so the prompt encodes differently`,
        field,
      );
      skip = 1;
    }
    if (skip > 12) {
      say(
        n,
        "error",
        `stop_at_clip_layer ${stop} (node ${layer.id}) is past Petalflow's CLIP skip 12; 12 used`,
        field,
      );
      skip = 12;
    }
    return skip;
  };

  for (const n of ir.nodes) {
    const at = n.pos ?? layout.get(n.id) ?? { x: 0, y: 0 };
    const id = `c${n.id}`.replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 56);
    const base = (
      type: string,
      params: Record<string, unknown>,
      extra: Partial<DocumentNode> = {},
    ): DocumentNode => ({
      id,
      type,
      version: 1,
      position: { ...at },
      title: n.title?.slice(0, 200),
      params,
      mode: n.mode,
      ...extra,
    });
    const w = n.widgets;
    const one = (node: DocumentNode, inputs: Record<string, Port[]>, outputs: Mapped["outputs"]): Mapped => ({
      nodes: [node],
      inputs,
      outputs,
    });
    let m: Mapped | null = null;
    switch (n.classType) {
      case "CheckpointLoaderSimple": {
        const ckpt = String(w.ckpt_name ?? "");
        const found = matchModel(ckpt, opts.models);
        if (!found)
          report(
            n,
            "error",
            `checkpoint "${ckpt}" is not installed; pick one of: ${opts.models.join(", ") || "(no models installed)"}`,
            "ckpt_name",
          );
        const stem = (ckpt.split(/[\\/]/).pop() ?? "").replace(/\.[A-Za-z0-9]+$/, "");
        m = one(base("model-loader", { model: found ?? stem.slice(0, 255) }), {}, [
          { node: id, port: "unet" },
          { node: id, port: "textEncoder" },
          { node: id, port: "vae" },
        ]);
        break;
      }
      case "CLIPTextEncode": {
        const skip = clipSkipFor(n, isXlCheckpoint(n), report);
        m = one(
          base("text-encoder", { text: String(w.text ?? "").slice(0, 4000), clipSkip: skip }),
          { clip: [{ node: id, port: "textEncoder" }], text: [{ node: id, port: "text" }] },
          [{ node: id, port: "conditioning" }],
        );
        if (String(w.text ?? "").length > 4000)
          report(n, "warning", "the prompt was cut to 4000 characters", "text");
        break;
      }
      case "CLIPTextEncodeSDXL":
      case "CLIPTextEncodeSDXLRefiner": {
        m = mapSdxlEncoder(n, base, report, clipSkipFor(n, true, report));
        m.inputs = {
          clip: [{ node: id, port: "textEncoder" }],
          text: [{ node: id, port: "text" }],
          text_l: [{ node: id, port: "text" }],
          text_g: [{ node: id, port: "text2" }],
        };
        m.outputs = [{ node: id, port: "conditioning" }];
        break;
      }
      case "CLIPSetLastLayer":
        // The CLIP passes through; its layer becomes the CLIP skip of each Text Encoder it feeds.
        m = { nodes: [], inputs: {}, outputs: [{ passThrough: "clip" }] };
        break;
      case "KSampler":
      case "KSamplerAdvanced":
        m = mapSampler(n, id, at, problems);
        break;
      case "EmptyLatentImage": {
        const width = int(w.width, 512);
        const height = int(w.height, 512);
        const batch = int(w.batch_size, 1);
        if (snap8(width) !== width || snap8(height) !== height)
          report(
            n,
            "warning",
            `size ${width}×${height} was adjusted to ${snap8(width)}×${snap8(height)} (8 … 2048, multiples of 8)`,
          );
        if (batch > 16 || batch < 1)
          report(n, "warning", `batch_size ${batch} was clamped to 1 … 16`, "batch_size");
        m = one(
          base("empty-latent", {
            width: snap8(width),
            height: snap8(height),
            batch: Math.min(16, Math.max(1, batch)),
          }),
          {},
          [{ node: id, port: "latent" }],
        );
        break;
      }
      case "VAEDecode":
        m = one(
          base("vae-decode", {}),
          { samples: [{ node: id, port: "latent" }], vae: [{ node: id, port: "vae" }] },
          [{ node: id, port: "image" }],
        );
        break;
      case "VAEEncode":
        m = one(
          base("vae-encode", {}),
          { pixels: [{ node: id, port: "image" }], vae: [{ node: id, port: "vae" }] },
          [{ node: id, port: "latent" }],
        );
        break;
      case "LatentUpscale":
      case "LatentUpscaleBy": {
        const methodIn = String(w.upscale_method ?? "nearest-exact");
        const method =
          methodIn === "bilinear" ? "bilinear" : methodIn === "nearest-exact" ? "nearest" : "bilinear";
        if (methodIn !== "bilinear" && methodIn !== "nearest-exact")
          report(
            n,
            "warning",
            `upscale_method "${methodIn}" is not available; using bilinear`,
            "upscale_method",
          );
        let size: { w: number; h: number } | null;
        if (n.classType === "LatentUpscale") {
          size = { w: int(w.width, 0), h: int(w.height, 0) };
          if (size.w === 0 || size.h === 0) {
            report(
              n,
              "error",
              "a width or height of 0 (keep aspect ratio) is not supported; set both",
              "width",
            );
            size = null;
          }
          if (String(w.crop ?? "disabled") !== "disabled")
            report(
              n,
              "warning",
              `crop "${String(w.crop)}" is not supported; the latent is resized without cropping`,
              "crop",
            );
        } else {
          size = latentSize({ from: n.id, slot: 0 });
          if (!size)
            report(
              n,
              "error",
              "cannot tell the size of the incoming latent, so scale_by cannot become a target size; set width and height",
              "scale_by",
            );
        }
        const params = size ? { width: snap8(size.w), height: snap8(size.h), method } : { method };
        m = one(base("latent-upscale", params), { samples: [{ node: id, port: "latent" }] }, [
          { node: id, port: "latent" },
        ]);
        break;
      }
      case "ConditioningCombine":
        m = one(
          base("conditioning-combine", {}),
          { conditioning_1: [{ node: id, port: "a" }], conditioning_2: [{ node: id, port: "b" }] },
          [{ node: id, port: "conditioning" }],
        );
        break;
      case "LoadImage": {
        const file = String(w.image ?? "");
        const uploaded = opts.uploads?.get(file);
        if (!uploaded)
          report(
            n,
            "error",
            `image "${file}" lives in ComfyUI's input folder; upload it on this node`,
            "image",
          );
        m = one(base("load-image", { image: uploaded ?? "", width: 0, height: 0 }), {}, [
          { node: id, port: "image" },
          { node: id, port: "mask" },
        ]);
        break;
      }
      case "LoadImageMask": {
        const file = String(w.image ?? "");
        const uploaded = opts.uploads?.get(file);
        if (!uploaded)
          report(
            n,
            "error",
            `image "${file}" lives in ComfyUI's input folder; upload it on this node`,
            "image",
          );
        const channel = String(w.channel ?? "alpha");
        const known = ["alpha", "red", "green", "blue"].includes(channel);
        if (!known)
          report(n, "error", `channel "${channel}" is not alpha, red, green or blue; alpha used`, "channel");
        m = one(base("load-mask", { image: uploaded ?? "", channel: known ? channel : "alpha" }), {}, [
          { node: id, port: "mask" },
        ]);
        break;
      }
      case "SetLatentNoiseMask":
        m = one(
          base("set-latent-noise-mask", {}),
          { samples: [{ node: id, port: "latent" }], mask: [{ node: id, port: "mask" }] },
          [{ node: id, port: "latent" }],
        );
        break;
      case "InpaintModelConditioning":
        // ComfyUI brings the mask to the latent's size bilinearly and rounds it; Petalflow (as diffusers)
        // takes the nearest pixel: latent cells on the mask's edge can differ.
        report(
          n,
          "warning",
          "the mask given to the inpainting U-Net is sized to the latent by nearest pixel (diffusers), not ComfyUI's bilinear-then-round: latent cells on the mask's edge may differ",
          "mask",
        );
        m = one(
          base("inpaint-conditioning", { noiseMask: w.noise_mask !== false }),
          {
            positive: [{ node: id, port: "positive" }],
            negative: [{ node: id, port: "negative" }],
            vae: [{ node: id, port: "vae" }],
            pixels: [{ node: id, port: "image" }],
            mask: [{ node: id, port: "mask" }],
          },
          [
            { node: id, port: "positive" },
            { node: id, port: "negative" },
            { node: id, port: "latent" },
          ],
        );
        break;
      case "VAEEncodeForInpaint": {
        const grow = int(w.grow_mask_by, 6);
        if (grow < 0 || grow > 64)
          report(n, "warning", `grow_mask_by ${grow} was clamped to 0 … 64`, "grow_mask_by");
        m = one(
          base("vae-encode-inpaint", { growMaskBy: Math.min(64, Math.max(0, grow)) }),
          {
            pixels: [{ node: id, port: "image" }],
            vae: [{ node: id, port: "vae" }],
            mask: [{ node: id, port: "mask" }],
          },
          [{ node: id, port: "latent" }],
        );
        break;
      }
      case "SaveImage": {
        const prefix =
          String(w.filename_prefix ?? "ComfyUI")
            .replace(/[^\w.-]+/g, "_")
            .slice(0, 64) || "ComfyUI";
        m = one(base("save-image", { prefix }), { images: [{ node: id, port: "image" }] }, []);
        break;
      }
      case "PreviewImage":
        m = one(base("preview-image", {}), { images: [{ node: id, port: "image" }] }, []);
        break;
      case "PrimitiveNode": {
        const v = w.value;
        const kind =
          typeof v === "string" ? "text" : n.outputType === "INT" || Number.isInteger(v) ? "int" : "float";
        // An integer above 2^53 (a 64-bit seed, read exactly as a decimal string) does not fit an Integer
        // node; like a COMBO it is inlined: the widgets it feeds hold the same value in the workflow.
        const bigInt = n.outputType === "INT" && typeof v === "string" && /^-?\d+$/.test(v);
        if (bigInt || (n.outputType && !["INT", "FLOAT", "STRING"].includes(n.outputType))) {
          // A COMBO primitive (a sampler name, a checkpoint…): its value is already in the widgets it feeds.
          m = { nodes: [], inputs: {}, outputs: [{ passThrough: "__inline" }] };
          break;
        }
        m = one(base(`primitive-${kind}`, { value: kind === "text" ? String(v ?? "") : num(v, 0) }), {}, [
          { node: id, port: "value" },
        ]);
        break;
      }
      default:
        report(n, "error", `node type "${n.classType}" has no Petalflow equivalent; it was left out`);
    }
    if (m) mapped.set(n.id, m);
  }

  // Edges: each ComfyUI input link, resolved to a Petalflow output, to every Petalflow input it feeds.
  const edges: DocumentEdge[] = [];
  const sourceOf = (link: IrLink, depth = 0): Port | null => {
    const m = mapped.get(link.from);
    const out = m?.outputs[link.slot];
    if (!out || depth > 100) return null;
    if ("passThrough" in out) {
      const up = byId.get(link.from)?.links[out.passThrough];
      return up ? sourceOf(up, depth + 1) : null;
    }
    return out;
  };
  for (const m of mapped.values())
    for (const e of m.internal ?? []) edges.push({ id: `e${edges.length + 1}`, ...e });
  for (const n of ir.nodes) {
    const m = mapped.get(n.id);
    // Pass-through nodes (CLIPSetLastLayer) have no Petalflow node: their input is read via sourceOf.
    if (!m || m.nodes.length === 0) continue;
    for (const [input, link] of Object.entries(n.links)) {
      const src = byId.get(link.from);
      if (!src) {
        report(n, "error", `input "${input}" is linked to node ${link.from}, which does not exist`, input);
        continue;
      }
      const from = sourceOf(link);
      if (!from) {
        const viaInline = mapped.get(link.from)?.outputs[link.slot];
        if (viaInline && "passThrough" in viaInline && viaInline.passThrough === "__inline") continue;
        if (mapped.has(link.from) || src.classType === "CLIPSetLastLayer")
          report(
            n,
            "error",
            `input "${input}" could not be linked: its source (node ${link.from}, ${src.classType}) has no usable output ${link.slot}`,
            input,
          );
        else
          report(
            n,
            "error",
            `input "${input}" comes from node ${link.from} (${src.classType}), which was left out`,
            input,
          );
        continue;
      }
      const targets = m.inputs[input];
      if (!targets) {
        // A widget fed by a link that Petalflow cannot link (e.g. sampler_name from a primitive): the
        // value was copied in when the source is a primitive; otherwise say so.
        if (src.classType !== "PrimitiveNode")
          report(
            n,
            "error",
            `input "${input}" cannot take a link in Petalflow; set its value on the node`,
            input,
          );
        continue;
      }
      for (const to of targets) edges.push({ id: `e${edges.length + 1}`, from, to });
    }
  }

  const doc = emptyDocument(opts.name ?? "Imported ComfyUI workflow");
  doc.nodes = [...mapped.values()].flatMap((m) => m.nodes);
  doc.edges = edges;
  doc.groups = ir.groups.map((g, i) => ({ id: `g${i + 1}`, ...g }));
  doc.notes = ir.notes.map((n) => ({
    id: n.id,
    text: n.text.slice(0, 20000),
    position: n.pos,
    size: n.size,
  }));
  doc.notes.push(...placeProblems(problems, ir.nodes, mapped, layout, new Set(doc.notes.map((n) => n.id))));
  return { document: graphDocumentSchema.parse(doc), problems };
}

/** ComfyUI widget → [suffix of the Petalflow node id, its widget], where a node's id alone is not enough. */
const WIDGET_AT: Record<string, Record<string, [string, string]>> = {
  CheckpointLoaderSimple: { ckpt_name: ["", "model"] },
  KSampler: {
    sampler_name: [".schedule", "algorithm"],
    scheduler: [".schedule", "sigmaSchedule"],
    steps: [".schedule", "steps"],
    seed: [".noise", "seed"],
    denoise: ["", "startStep"],
    cfg: ["", "cfg"],
  },
  KSamplerAdvanced: {
    sampler_name: [".schedule", "algorithm"],
    scheduler: [".schedule", "sigmaSchedule"],
    steps: [".schedule", "steps"],
    noise_seed: [".noise", "seed"],
    cfg: ["", "cfg"],
    start_at_step: ["", "startStep"],
    end_at_step: ["", "endStep"],
  },
  EmptyLatentImage: { width: ["", "width"], height: ["", "height"], batch_size: ["", "batch"] },
  LatentUpscale: {
    upscale_method: ["", "method"],
    width: ["", "width"],
    height: ["", "height"],
    crop: ["", "width"],
  },
  LatentUpscaleBy: { upscale_method: ["", "method"], scale_by: ["", "width"] },
  CLIPTextEncode: { text: ["", "text"], stop_at_clip_layer: ["", "clipSkip"] },
  CLIPTextEncodeSDXL: {
    stop_at_clip_layer: ["", "clipSkip"],
    width: ["", "originalWidth"],
    height: ["", "originalHeight"],
    target_width: ["", "targetWidth"],
    target_height: ["", "targetHeight"],
    text_l: ["", "text"],
    text_g: ["", "text2"],
  },
  CLIPTextEncodeSDXLRefiner: {
    stop_at_clip_layer: ["", "clipSkip"],
    width: ["", "originalWidth"],
    height: ["", "originalHeight"],
    ascore: ["", "aestheticScore"],
    text: ["", "text"],
  },
  LoadImage: { image: ["", "image"] },
  LoadImageMask: { image: ["", "image"], channel: ["", "channel"] },
  VAEEncodeForInpaint: { grow_mask_by: ["", "growMaskBy"] },
};

/** AUTOMATIC1111 setting → [the node of readA1111's graph it concerns, its ComfyUI widget]. */
const A1111_AT: Record<string, [string, string?]> = {
  "Clip skip": ["6"],
  "Hires upscale": ["3"],
  "Denoising strength": ["3", "denoise"],
  "Batch size": ["5", "batch_size"],
};

/**
 * Says where each problem shows (`at`): on the Petalflow node and widget/input that took the ComfyUI
 * value, or — for a node that was left out — on a note put in its place, which also keeps its settings.
 * Returns those notes.
 */
function placeProblems(
  problems: ImportProblem[],
  nodes: readonly IrNode[],
  mapped: ReadonlyMap<string, Mapped>,
  layout: ReadonlyMap<string, { x: number; y: number }>,
  taken: Set<string>,
): GraphDocument["notes"] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const leftOut = new Map<string, ImportProblem[]>();
  for (const p of problems) {
    // An AUTOMATIC1111 setting shows on the node of the graph readA1111 built that it concerns.
    const a1111 = p.node === "parameters" && p.field ? A1111_AT[p.field] : undefined;
    const n = byId.get(a1111?.[0] ?? p.node);
    if (!n) continue;
    if (a1111) {
      const m = mapped.get(n.id);
      const main = m?.nodes.at(-1);
      const widget = a1111[1] ? WIDGET_AT[n.classType]?.[a1111[1]] : undefined;
      if (main) p.at = widget ? { node: main.id + widget[0], field: widget[1] } : { node: main.id };
      continue;
    }
    const m = mapped.get(n.id);
    // A node's own Petalflow node comes last (a KSampler's U-Net step after its noise and schedule).
    const main = m?.nodes.at(-1);
    if (!m || !main) {
      leftOut.set(n.id, [...(leftOut.get(n.id) ?? []), p]);
      continue;
    }
    const widget = p.field ? WIDGET_AT[n.classType]?.[p.field] : undefined;
    const port = p.field ? m.inputs[p.field]?.[0] : undefined;
    p.at = widget
      ? { node: main.id + widget[0], field: widget[1] }
      : port
        ? { node: port.node, field: port.port }
        : { node: main.id };
  }
  const notes: GraphDocument["notes"] = [];
  for (const [nodeId, list] of leftOut) {
    const n = byId.get(nodeId) as IrNode;
    let id = `comfy-left-out-${nodeId}`.replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 60);
    while (taken.has(id)) id = `${id.slice(0, 58)}_`;
    taken.add(id);
    const settings = JSON.stringify(n.widgets.widgets_values ?? n.widgets);
    const text = [
      `⚠ ComfyUI node ${nodeId} “${n.title ?? n.classType}” (${n.classType}) was not brought over:`,
      ...list.map((p) => `• ${p.field ? `${p.field}: ` : ""}${p.message}`),
      settings && settings !== "{}" && settings !== "[]" ? `Its settings: ${settings}` : "",
    ]
      .filter(Boolean)
      .join("\n")
      .slice(0, 20000);
    // The size the node had in ComfyUI (so it covers nothing new), at least enough to read the text.
    const size = {
      width: Math.max(260, n.size?.width ?? 0),
      height: Math.max(140, n.size?.height ?? 0),
    };
    notes.push({ id, text, position: { ...(n.pos ?? layout.get(nodeId) ?? { x: 0, y: 0 }) }, size });
    for (const p of list) p.at = { note: id };
  }
  return notes;
}

type Report = (n: IrNode, severity: ImportProblem["severity"], message: string, field?: string) => void;

/**
 * CLIPTextEncodeSDXL (width, height, crop_w, crop_h, target_width, target_height, text_g, text_l) and
 * CLIPTextEncodeSDXLRefiner (ascore, width, height, text) → Text Encoder (SDXL). text_l is CLIP-L's prompt
 * (`text`), text_g CLIP-G's (`text2`, empty = the same). ComfyUI's SDXL adm is (height, width, crop_h, crop_w,
 * target_height, target_width); the refiner's (height, width, 0, 0, ascore).
 */
function mapSdxlEncoder(
  n: IrNode,
  base: (type: string, params: Record<string, unknown>) => DocumentNode,
  report: Report,
  clipSkip: number,
): Mapped {
  const w = n.widgets;
  const refiner = n.classType === "CLIPTextEncodeSDXLRefiner";
  const size = (field: string, fallback: number): number => {
    const v = int(w[field], fallback);
    if (v <= 0) {
      report(n, "warning", `${field} 0 means "the image's size" in Petalflow, not 0`, field);
      return 0;
    }
    if (v > 8192) {
      report(n, "warning", `${field} ${v} was clamped to 8192`, field);
      return 8192;
    }
    return v;
  };
  const cut = (field: string): string => {
    const t = String(w[field] ?? "");
    if (t.length > 4000) report(n, "warning", "the prompt was cut to 4000 characters", field);
    return t.slice(0, 4000);
  };
  // Every widget stored (the refiner's ComfyUI node has no crop or target size: Petalflow's defaults).
  const params: Record<string, unknown> = { ...defaultParams(textEncoderSdxl), clipSkip };
  if (refiner) {
    params.text = cut("text");
    params.originalWidth = size("width", 1024);
    params.originalHeight = size("height", 1024);
    const score = num(w.ascore, 6);
    if (score < 0 || score > 10)
      report(n, "warning", `ascore ${score} was clamped to Petalflow's 0 … 10`, "ascore");
    params.aestheticScore = Math.min(10, Math.max(0, score));
  } else {
    const textL = cut("text_l");
    const textG = cut("text_g");
    params.text = textL;
    params.text2 = textG === textL ? "" : textG;
    if (!textG.trim() && textL.trim())
      report(
        n,
        "warning",
        "text_g is empty: ComfyUI encodes an empty prompt with CLIP-G, Petalflow's empty prompt 2 uses the prompt (text_l)",
        "text_g",
      );
    params.originalWidth = size("width", 1024);
    params.originalHeight = size("height", 1024);
    params.cropLeft = Math.max(0, Math.min(8192, int(w.crop_w, 0)));
    params.cropTop = Math.max(0, Math.min(8192, int(w.crop_h, 0)));
    params.targetWidth = size("target_width", 1024);
    params.targetHeight = size("target_height", 1024);
  }
  return { nodes: [base("text-encoder-sdxl", params)], inputs: {}, outputs: [] };
}

/** KSampler / KSamplerAdvanced → Noise + Scheduler + U-Net step, with ComfyUI's step arithmetic. */
function mapSampler(n: IrNode, id: string, at: { x: number; y: number }, problems: ImportProblem[]): Mapped {
  const w = n.widgets;
  const report = (severity: ImportProblem["severity"], message: string, field?: string) =>
    problems.push({ node: n.id, type: n.classType, field, severity, message });
  const advanced = n.classType === "KSamplerAdvanced";
  const setting = samplerSetting(w.sampler_name, w.scheduler);
  if (setting.samplerProblem) report("error", setting.samplerProblem, "sampler_name");
  const sched = schedulerParams(setting);
  if (setting.scheduleProblem) report("error", setting.scheduleProblem, "scheduler");
  else if (sched.problem) report("warning", sched.problem, "scheduler");
  let steps = Math.max(1, int(w.steps, 20));
  let startStep = 0;
  let endStep = 10000;
  let addNoise = true;
  let leftoverNoise = false;
  if (advanced) {
    addNoise = w.add_noise !== "disable";
    startStep = Math.max(0, int(w.start_at_step, 0));
    endStep = Math.max(0, int(w.end_at_step, 10000));
    leftoverNoise = w.return_with_leftover_noise === "enable";
  } else {
    // ComfyUI's KSampler with denoise d < 1 runs `steps` steps at the end of an int(steps/d)-step schedule.
    const d = num(w.denoise, 1);
    if (n.links.denoise)
      report("error", "a linked denoise cannot be converted to a step range; set it on the node", "denoise");
    if (d <= 0) {
      report("warning", `denoise ${d} runs no steps`, "denoise");
      startStep = steps;
    } else if (d < 1) {
      const total = Math.floor(steps / d);
      startStep = total - steps;
      steps = total;
    }
  }
  if (steps > 1000) report("error", `steps ${steps} is over Petalflow's 1000`, "steps");
  const cfg = num(w.cfg, 8);
  if (cfg > 30) report("warning", `cfg ${cfg} was clamped to 30`, "cfg");
  const seedField = advanced ? "noise_seed" : "seed";
  const control = w.control_after_generate;
  const x = at.x;
  const y = at.y;
  const nodes: DocumentNode[] = [
    {
      id: `${id}.noise`,
      type: "noise",
      version: 1,
      position: { x: x - 300, y: y + 300 },
      title: n.title ? `${n.title} · noise`.slice(0, 200) : undefined,
      params: {
        seed: seedOf(w[seedField]),
        control: ["fixed", "increment", "decrement", "randomize"].includes(String(control))
          ? control
          : "fixed",
        width: 512,
        height: 512,
        batch: 1,
        // ComfyUI draws one torch.randn(latent.shape) from the seed for the whole batch (prepare_noise).
        batchNoise: "one draw",
      },
      mode: "normal",
    },
    {
      id: `${id}.schedule`,
      type: "scheduler",
      version: 1,
      position: { x: x - 300, y: y - 40 },
      title: n.title ? `${n.title} · schedule`.slice(0, 200) : undefined,
      // Every widget present (β schedule "model", …): the canvas reads the params as stored.
      params: { ...defaultParams(schedulerNode), ...sched.params, steps: Math.min(1000, steps) },
      mode: "normal",
    },
    {
      id,
      type: "unet-step",
      version: 1,
      position: { x, y },
      title: n.title?.slice(0, 200),
      params: {
        cfg: Math.min(30, Math.max(0, cfg)),
        denoise: 1,
        startStep: Math.min(10000, startStep),
        endStep: Math.min(10000, endStep),
        addNoise,
        leftoverNoise,
      },
      mode: n.mode,
    },
  ];
  return {
    nodes,
    inputs: {
      model: [
        { node: id, port: "unet" },
        { node: `${id}.schedule`, port: "unet" },
      ],
      positive: [{ node: id, port: "positive" }],
      negative: [{ node: id, port: "negative" }],
      latent_image: [
        { node: id, port: "latent" },
        { node: `${id}.noise`, port: "latent" },
      ],
      [seedField]: [{ node: `${id}.noise`, port: "seed" }],
      steps: [{ node: `${id}.schedule`, port: "steps" }],
      cfg: [{ node: id, port: "cfg" }],
    },
    outputs: [{ node: id, port: "latent" }],
    internal: [
      { from: { node: `${id}.noise`, port: "noise" }, to: { node: id, port: "noise" } },
      { from: { node: `${id}.schedule`, port: "schedule" }, to: { node: id, port: "schedule" } },
    ],
  };
}

/** Positions for nodes without any (API prompts): columns by distance from the sources. */
function autoLayout(nodes: IrNode[]): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    if (!n || seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...Object.values(n.links).map((l) => depthOf(l.from, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const out = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const d = depthOf(n.id, new Set());
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    out.set(n.id, { x: 60 + d * 420, y: 60 + row * 520 });
  }
  return out;
}
