/**
 * A Petalflow graph document → ComfyUI's UI "workflow" (litegraph's serialisation, schema version 0.4 as
 * docs.comfy.org/specs/workflow_json_0.4 publishes it): nodes with `widgets_values` in INPUT_TYPES order,
 * `inputs`/`outputs` slots, links `[id, origin_id, origin_slot, target_id, target_slot, type]`, groups,
 * Notes, positions, titles, colours and modes. The nodes and values are those of the API export
 * (export.ts): what cannot be expressed is listed the same way.
 */
import type { DocumentNode, GraphDocument } from "../../../core/graph/document";
import { type ExportProblem, exportComfyPrompt } from "./export";
import { COMFY_NODES, CONTROL_VALUES } from "./spec";

type Link = [number, number, number, number, number, string];

export interface WorkflowNode {
  id: number;
  type: string;
  pos: [number, number];
  size: [number, number];
  flags: Record<string, boolean>;
  order: number;
  mode: number;
  inputs: { name: string; type: string; link: number | null }[];
  outputs: { name: string; type: string; links: number[] | null; slot_index: number }[];
  properties: Record<string, unknown>;
  widgets_values: unknown[];
  title?: string;
  color?: string;
  bgcolor?: string;
}

export interface ComfyWorkflow {
  last_node_id: number;
  last_link_id: number;
  nodes: WorkflowNode[];
  links: Link[];
  groups: { title: string; bounding: [number, number, number, number]; color: string; font_size: number }[];
  config: Record<string, unknown>;
  extra: { ds: { scale: number; offset: [number, number] }; info: { name: string; software: string } };
  version: 0.4;
}

export interface ComfyWorkflowExport {
  workflow: ComfyWorkflow;
  /** The file's text: as `workflow`, with seeds above 2^53 written as exact integers (Python reads them so). */
  json: string;
  problems: ExportProblem[];
}

const MODES = { normal: 0, mute: 2, bypass: 4 } as const;
/** A marker for an integer JSON cannot carry exactly as a JS number; replaced by its digits in `json`. */
const BIG = "\u0000int:";

export function exportComfyWorkflow(doc: GraphDocument): ComfyWorkflowExport {
  const { prompt, problems, sources } = exportComfyPrompt(doc, { keepModes: true });
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const into = (node: string, port: string) =>
    doc.edges.find((e) => e.to.node === node && e.to.port === port)?.from.node;

  const entries = Object.entries(prompt);
  const nodes: WorkflowNode[] = [];
  const links: Link[] = [];
  const byComfyId = new Map<number, WorkflowNode>();
  for (const [id, entry] of entries) {
    const spec = COMFY_NODES[entry.class_type];
    const source = byId.get(sources[id]);
    const control = source ? controlOf(source, into, byId) : "fixed";
    const widgets_values = spec.widgets.map((w) =>
      w === "control_after_generate" ? control : exactInteger(entry.inputs[w]),
    );
    const rows = Math.max(spec.inputs?.length ?? 0, spec.outputs.length) + spec.widgets.length;
    const node: WorkflowNode = {
      id: Number(id),
      type: entry.class_type,
      // A CLIPSetLastLayer written for a Text Encoder's CLIP skip stands to the left of that encoder.
      pos: [
        (source?.position.x ?? 0) - (entry.class_type === "CLIPSetLastLayer" ? 340 : 0),
        source?.position.y ?? 0,
      ],
      size:
        source?.size && entry.class_type !== "CLIPSetLastLayer"
          ? [source.size.width, source.size.height]
          : [315, 46 + 24 * rows],
      flags: {},
      order: 0,
      mode: MODES[source?.mode ?? "normal"],
      inputs: (spec.inputs ?? []).map(([name, type]) => ({ name, type, link: null })),
      outputs: spec.outputs.map((type, slot) => ({ name: type, type, links: [], slot_index: slot })),
      properties: { "Node name for S&R": entry.class_type },
      widgets_values,
      ...(entry._meta?.title ? { title: entry._meta.title } : {}),
      ...(source?.color ? { color: source.color, bgcolor: source.color } : {}),
    };
    nodes.push(node);
    byComfyId.set(node.id, node);
  }
  // Links in the API prompt's [node id, output slot] form become litegraph links.
  for (const [id, entry] of entries) {
    const target = byComfyId.get(Number(id)) as WorkflowNode;
    target.inputs.forEach((input, slot) => {
      const v = entry.inputs[input.name];
      if (!Array.isArray(v)) return;
      const origin = byComfyId.get(Number(v[0]));
      const out = origin?.outputs[Number(v[1])];
      if (!origin || !out) return;
      const linkId = links.length + 1;
      links.push([linkId, origin.id, Number(v[1]), target.id, slot, out.type]);
      input.link = linkId;
      out.links = [...(out.links ?? []), linkId];
    });
  }
  // litegraph's `order`: the execution order, sources first.
  const order = topologicalOrder(nodes, links);
  for (const n of nodes) n.order = order.get(n.id) ?? 0;

  let nextId = Math.max(0, ...nodes.map((n) => n.id));
  for (const note of doc.notes) {
    nextId++;
    nodes.push({
      id: nextId,
      type: "Note",
      pos: [note.position.x, note.position.y],
      size: note.size ? [note.size.width, note.size.height] : [400, 160],
      flags: {},
      order: nodes.length,
      mode: 0,
      inputs: [],
      outputs: [],
      properties: { text: "" },
      widgets_values: [note.text],
      color: "#432",
      bgcolor: "#653",
    });
  }

  const workflow: ComfyWorkflow = {
    last_node_id: nextId,
    last_link_id: links.length,
    nodes,
    links,
    groups: doc.groups.map((g) => ({
      title: g.title,
      bounding: [g.bounds.x, g.bounds.y, g.bounds.width, g.bounds.height],
      color: g.color && /^#[0-9a-fA-F]{3,8}$/.test(g.color) ? g.color : "#3f789e",
      font_size: 24,
    })),
    config: {},
    extra: { ds: { scale: 1, offset: [0, 0] }, info: { name: doc.name, software: "Petalflow" } },
    version: 0.4,
  };
  const json = JSON.stringify(workflow, null, 2).replace(/"\\u0000int:(-?\d+)"/g, "$1");
  // The object (for the API) carries such a seed as its decimal string, as the importer reads it.
  const plain = JSON.parse(JSON.stringify(workflow).replaceAll("\\u0000int:", "")) as ComfyWorkflow;
  return { workflow: plain, json, problems };
}

/** A seed kept as a decimal string (above 2^53) is marked so the file gets it as an integer literal. */
function exactInteger(v: unknown): unknown {
  return typeof v === "string" && /^-?\d{16,}$/.test(v) && !Number.isSafeInteger(Number(v)) ? BIG + v : v;
}

/** The frontend's control_after_generate of a KSampler: its Noise node's "control after run". */
function controlOf(
  unetStep: DocumentNode,
  into: (node: string, port: string) => string | undefined,
  byId: ReadonlyMap<string, DocumentNode>,
): string {
  const noise = unetStep.type === "unet-step" ? byId.get(into(unetStep.id, "noise") ?? "") : undefined;
  const c = String(noise?.params.control ?? "fixed");
  return (CONTROL_VALUES as readonly string[]).includes(c) ? c : "fixed";
}

function topologicalOrder(nodes: WorkflowNode[], links: Link[]): Map<number, number> {
  const order = new Map<number, number>();
  const ins = new Map<number, number[]>(nodes.map((n) => [n.id, []]));
  for (const l of links) ins.get(l[3])?.push(l[1]);
  const visit = (id: number, seen: Set<number>) => {
    if (order.has(id) || seen.has(id)) return;
    seen.add(id);
    for (const from of ins.get(id) ?? []) visit(from, seen);
    order.set(id, order.size);
  };
  for (const n of nodes) visit(n.id, new Set());
  return order;
}
