/** Graph documents for the server tests, built from the registry so versions and defaults stay current. */

import { DOCUMENT_FORMAT, DOCUMENT_FORMAT_VERSION, type GraphDocument } from "../../../core/graph/document";
import { defaultParams } from "../../../core/node/define";
import { registry } from "../../../nodes/registry";

/** A document node of `type` with its declaration's version and default params, overridden by `params`. */
export function node(id: string, type: string, params: Record<string, unknown> = {}, x = 0) {
  const def = registry.get(type);
  if (!def) throw new Error(`unknown node type ${type}`);
  return {
    id,
    type,
    version: def.version,
    position: { x, y: 0 },
    mode: "normal" as const,
    params: { ...defaultParams(def), ...params },
  };
}

/** An edge from `from`.`fromPort` to `to`.`toPort`. */
export const edge = (from: string, fromPort: string, to: string, toPort: string) => ({
  id: `${from}.${fromPort}-${to}.${toPort}`,
  from: { node: from, port: fromPort },
  to: { node: to, port: toPort },
});

export interface Txt2ImgOptions {
  model?: string;
  seed?: number;
  steps?: number;
  cfg?: number;
  size?: number;
  control?: "fixed" | "increment" | "decrement" | "randomize";
  prompt?: string;
}

/** model-loader → text-encoder ×2, empty-latent, noise, scheduler, unet-step, vae-decode, save-image. */
export function txt2img(o: Txt2ImgOptions = {}): GraphDocument {
  const size = o.size ?? 16;
  return {
    format: DOCUMENT_FORMAT,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    name: "txt2img",
    description: "",
    nodes: [
      node("model", "model-loader", { model: o.model ?? "tiny-sd" }),
      node("pos", "text-encoder", { text: o.prompt ?? "a red circle" }, 200),
      node("neg", "text-encoder", { text: "" }, 200),
      node("latent", "empty-latent", { width: size, height: size }, 200),
      node(
        "noise",
        "noise",
        { seed: o.seed ?? 1, control: o.control ?? "fixed", width: size, height: size },
        200,
      ),
      node("sched", "scheduler", { steps: o.steps ?? 3 }, 400),
      node("sample", "unet-step", { cfg: o.cfg ?? 5 }, 600),
      node("decode", "vae-decode", {}, 800),
      node("save", "save-image", {}, 1000),
    ],
    edges: [
      edge("model", "textEncoder", "pos", "textEncoder"),
      edge("model", "textEncoder", "neg", "textEncoder"),
      edge("model", "unet", "sched", "unet"),
      edge("model", "unet", "sample", "unet"),
      edge("pos", "conditioning", "sample", "positive"),
      edge("neg", "conditioning", "sample", "negative"),
      edge("latent", "latent", "sample", "latent"),
      edge("noise", "noise", "sample", "noise"),
      edge("sched", "schedule", "sample", "schedule"),
      edge("sample", "latent", "decode", "latent"),
      edge("model", "vae", "decode", "vae"),
      edge("decode", "image", "save", "image"),
    ],
    groups: [],
    notes: [],
    metadata: {},
  };
}

/** load-image (an uploaded image by name) → save-image. */
export function loadAndSave(image: string): GraphDocument {
  return {
    format: DOCUMENT_FORMAT,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    name: "load and save",
    description: "",
    nodes: [node("load", "load-image", { image }), node("save", "save-image", {}, 300)],
    edges: [edge("load", "image", "save", "image")],
    groups: [],
    notes: [],
    metadata: {},
  };
}
