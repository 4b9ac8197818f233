/**
 * The graph document — the saved "workflow". Defined once with zod; pure (safe in the browser).
 * `canonicalJson` gives a stable byte form: two saves of the same graph are identical, so they diff and hash.
 */
import { z } from "zod";

export const DOCUMENT_FORMAT = "petalflow.graph";
export const DOCUMENT_FORMAT_VERSION = 1;

export const LIMITS = {
  maxNodes: 2000,
  maxEdges: 10000,
  maxGroups: 500,
  maxNotes: 500,
  maxDocumentBytes: 1_000_000,
} as const;

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "ids use letters, digits and _ . : - only");
const finite = z.number().finite();
const position = z.object({ x: finite, y: finite });

export const nodeModeSchema = z.enum(["normal", "bypass", "mute"]);
export type NodeMode = z.infer<typeof nodeModeSchema>;

export const documentNodeSchema = z.object({
  id,
  type: z.string().min(1).max(64),
  version: z.number().int().min(1).max(1000),
  position,
  title: z.string().max(200).optional(),
  params: z.record(z.string().max(64), z.unknown()).default({}),
  mode: nodeModeSchema.default("normal"),
  /** Canvas size when the user resized the node. */
  size: z.object({ width: finite, height: finite }).optional(),
  /** Canvas only (as ComfyUI's node colour and pin): a colour for the node, and "cannot be dragged". */
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, "a colour is #rrggbb")
    .optional(),
  pinned: z.boolean().optional(),
});
export type DocumentNode = z.infer<typeof documentNodeSchema>;

export const edgeEndSchema = z.object({ node: id, port: z.string().min(1).max(64) });
export const documentEdgeSchema = z.object({
  id,
  from: edgeEndSchema,
  to: edgeEndSchema,
});
export type DocumentEdge = z.infer<typeof documentEdgeSchema>;

export const groupSchema = z.object({
  id,
  title: z.string().max(200),
  bounds: z.object({ x: finite, y: finite, width: finite.nonnegative(), height: finite.nonnegative() }),
  color: z.string().max(32).optional(),
});
export const noteSchema = z.object({
  id,
  text: z.string().max(20000),
  position,
  size: z.object({ width: finite, height: finite }).optional(),
});

export const graphDocumentSchema = z.object({
  format: z.literal(DOCUMENT_FORMAT),
  formatVersion: z.literal(DOCUMENT_FORMAT_VERSION),
  name: z.string().max(200).default("Untitled"),
  description: z.string().max(5000).default(""),
  nodes: z.array(documentNodeSchema).max(LIMITS.maxNodes),
  edges: z.array(documentEdgeSchema).max(LIMITS.maxEdges),
  groups: z.array(groupSchema).max(LIMITS.maxGroups).default([]),
  notes: z.array(noteSchema).max(LIMITS.maxNotes).default([]),
  /** Free-form metadata, e.g. the seeds a run used (kept small). */
  metadata: z.record(z.string().max(64), z.unknown()).default({}),
});
export type GraphDocument = z.infer<typeof graphDocumentSchema>;
export type GraphDocumentInput = z.input<typeof graphDocumentSchema>;

export function emptyDocument(name = "Untitled"): GraphDocument {
  return {
    format: DOCUMENT_FORMAT,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    name,
    description: "",
    nodes: [],
    edges: [],
    groups: [],
    notes: [],
    metadata: {},
  };
}

/** JSON with object keys sorted at every level; arrays keep their order. */
export function stableStringify(value: unknown, indent = 0): string {
  return JSON.stringify(sortKeys(value), null, indent || undefined);
}

function sortKeys(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The canonical form: nodes, edges, groups and notes sorted by id, keys sorted, 2-space indented, with a
 * trailing newline. Canvas-only state (selection, viewport) is not part of a document.
 */
export function canonicalize(doc: GraphDocument): GraphDocument {
  return {
    ...doc,
    nodes: [...doc.nodes].sort(byId),
    edges: [...doc.edges].sort(byId),
    groups: [...doc.groups].sort(byId),
    notes: [...doc.notes].sort(byId),
  };
}

export function canonicalJson(doc: GraphDocument): string {
  return `${stableStringify(canonicalize(doc), 2)}\n`;
}
