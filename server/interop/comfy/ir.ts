/**
 * Both ComfyUI formats read into one small intermediate form: nodes with named widget values and
 * named input links. The UI "workflow" format's frontend-only parts are resolved here: links through
 * Reroutes are followed to their real source, PrimitiveNodes become nodes of their own (their value
 * is also copied into the converted widget they feed), Notes become document notes.
 */
import type { NodeMode } from "../../../core/graph/document";
import { COMFY_NODES, namedWidgets } from "./spec";
import type { ImportProblem } from "./types";

export interface IrLink {
  from: string;
  slot: number;
}

export interface IrNode {
  id: string;
  classType: string;
  title?: string;
  pos?: { x: number; y: number };
  size?: { width: number; height: number };
  mode: NodeMode;
  widgets: Record<string, unknown>;
  links: Record<string, IrLink>;
  /** PrimitiveNode only: the socket type of its output (INT, FLOAT, STRING, COMBO…). */
  outputType?: string;
}

export interface IrGraph {
  nodes: IrNode[];
  groups: {
    title: string;
    bounds: { x: number; y: number; width: number; height: number };
    color?: string;
  }[];
  notes: {
    id: string;
    text: string;
    pos: { x: number; y: number };
    size?: { width: number; height: number };
  }[];
  problems: ImportProblem[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** An API-format link: [source node id, output index]. */
function asPromptLink(v: unknown): IrLink | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const [from, slot] = v;
  if ((typeof from !== "string" && typeof from !== "number") || !Number.isInteger(slot)) return null;
  return { from: String(from), slot: slot as number };
}

/** True for an API "prompt": an object whose values are all `{class_type, inputs}`. */
export function isComfyPrompt(v: unknown): v is Record<string, Json> {
  if (!isObj(v)) return false;
  const entries = Object.values(v);
  return entries.length > 0 && entries.every((n) => isObj(n) && typeof n.class_type === "string");
}

/** True for a UI "workflow": `nodes` and `links` arrays (litegraph's serialisation). */
export function isComfyWorkflow(v: unknown): v is Json {
  return isObj(v) && Array.isArray(v.nodes) && Array.isArray(v.links);
}

export function readPrompt(prompt: Record<string, Json>): IrGraph {
  const nodes: IrNode[] = [];
  for (const [id, raw] of Object.entries(prompt)) {
    const widgets: Record<string, unknown> = {};
    const links: Record<string, IrLink> = {};
    const inputs = isObj(raw.inputs) ? raw.inputs : {};
    for (const [name, value] of Object.entries(inputs)) {
      const link = asPromptLink(value);
      if (link) links[name] = link;
      else widgets[name] = value;
    }
    const meta = isObj(raw._meta) ? raw._meta : {};
    nodes.push({
      id,
      classType: raw.class_type as string,
      title: typeof meta.title === "string" ? meta.title : undefined,
      mode: "normal",
      widgets,
      links,
    });
  }
  return { nodes, groups: [], notes: [], problems: [] };
}

/** A litegraph vector: [x, y] or, in older saves of a Float32Array, {"0": x, "1": y}. */
function vec2(v: unknown): [number, number] | null {
  const a = Array.isArray(v) ? v : isObj(v) ? [v["0"], v["1"]] : null;
  if (!a || typeof a[0] !== "number" || typeof a[1] !== "number") return null;
  if (!Number.isFinite(a[0]) || !Number.isFinite(a[1])) return null;
  return [a[0], a[1]];
}

interface WfLink {
  from: string;
  slot: number;
}

/** litegraph links: [id, origin_id, origin_slot, target_id, target_slot, type], or the newer object form. */
function readLinks(raw: unknown[]): Map<string, WfLink> {
  const out = new Map<string, WfLink>();
  for (const l of raw) {
    if (Array.isArray(l) && l.length >= 5) out.set(String(l[0]), { from: String(l[1]), slot: Number(l[2]) });
    else if (isObj(l) && l.id !== undefined)
      out.set(String(l.id), { from: String(l.origin_id), slot: Number(l.origin_slot) });
  }
  return out;
}

const MODES: Record<number, NodeMode> = { 0: "normal", 2: "mute", 4: "bypass" };

export function readWorkflow(wf: Json): IrGraph {
  const problems: ImportProblem[] = [];
  const rawNodes = (wf.nodes as unknown[]).filter(isObj);
  const byId = new Map(rawNodes.map((n) => [String(n.id), n]));
  const links = readLinks(wf.links as unknown[]);
  const nodes: IrNode[] = [];
  const notes: IrGraph["notes"] = [];

  /** Follows a link back through Reroutes to the node that really produces the value. */
  const resolve = (linkId: unknown, seen = new Set<string>()): WfLink | null => {
    if (linkId === null || linkId === undefined) return null;
    const l = links.get(String(linkId));
    if (!l) return null;
    const src = byId.get(l.from);
    if (src?.type !== "Reroute") return l;
    if (seen.has(l.from)) return null;
    seen.add(l.from);
    const input = Array.isArray(src.inputs) && isObj(src.inputs[0]) ? src.inputs[0] : null;
    return resolve(input?.link, seen);
  };

  for (const n of rawNodes) {
    const id = String(n.id);
    const type = typeof n.type === "string" ? n.type : "";
    const p = vec2(n.pos);
    const s = vec2(n.size);
    const pos = p ? { x: p[0], y: p[1] } : undefined;
    const size = s ? { width: s[0], height: s[1] } : undefined;
    const values = Array.isArray(n.widgets_values) ? n.widgets_values : [];
    if (type === "Reroute") continue;
    if (type === "Note" || type === "MarkdownNote") {
      notes.push({ id: `note${id}`, text: String(values[0] ?? ""), pos: pos ?? { x: 0, y: 0 }, size });
      continue;
    }
    const node: IrNode = {
      id,
      classType: type,
      title: typeof n.title === "string" ? n.title : undefined,
      pos,
      size,
      mode: MODES[Number(n.mode ?? 0)] ?? "normal",
      widgets: {},
      links: {},
    };
    if (type === "PrimitiveNode") {
      const out = Array.isArray(n.outputs) && isObj(n.outputs[0]) ? n.outputs[0] : {};
      node.outputType = typeof out.type === "string" ? out.type : undefined;
      node.widgets = { value: values[0] };
      nodes.push(node);
      continue;
    }
    const spec = COMFY_NODES[type];
    if (spec) node.widgets = namedWidgets(spec, values);
    else node.widgets = { widgets_values: values };
    for (const input of Array.isArray(n.inputs) ? n.inputs : []) {
      if (!isObj(input) || input.link === null || input.link === undefined) continue;
      const widget = isObj(input.widget) && typeof input.widget.name === "string" ? input.widget.name : null;
      const name = widget ?? String(input.name);
      const src = resolve(input.link);
      if (!src) {
        problems.push({
          node: id,
          type,
          field: name,
          severity: "error",
          message: links.has(String(input.link))
            ? `input "${name}" is linked through a Reroute that has no source; left unlinked`
            : `input "${name}" refers to link ${String(input.link)}, which is not in the workflow's links; left unlinked`,
        });
        continue;
      }
      const srcNode = byId.get(src.from);
      // A PrimitiveNode's value also lands in the converted widget (ComfyUI keeps it there too).
      if (widget && srcNode?.type === "PrimitiveNode" && Array.isArray(srcNode.widgets_values))
        node.widgets[widget] = srcNode.widgets_values[0];
      node.links[name] = src;
    }
    nodes.push(node);
  }

  const groups: IrGraph["groups"] = [];
  for (const g of Array.isArray(wf.groups) ? wf.groups : []) {
    if (!isObj(g)) continue;
    const b = Array.isArray(g.bounding) ? g.bounding : [];
    if (b.length !== 4 || !b.every((v) => typeof v === "number" && Number.isFinite(v))) continue;
    groups.push({
      title: String(g.title ?? "Group").slice(0, 200),
      bounds: { x: b[0], y: b[1], width: Math.max(0, b[2]), height: Math.max(0, b[3]) },
      color: typeof g.color === "string" ? g.color.slice(0, 32) : undefined,
    });
  }
  return { nodes, groups, notes, problems };
}
