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
  /** UTF-8 bytes of the document's compact JSON, as sent (see documentBytes). */
  maxDocumentBytes: 1_000_000,
  /** Levels of nesting inside one parameter or metadata value (`{"a":[1]}` is 2). */
  maxValueDepth: 16,
  /** UTF-8 bytes of the compact JSON of `metadata`. */
  maxMetadataBytes: 64 * 1024,
} as const;

/**
 * The path (inside `value`) of the first value nested deeper than `maxDepth`, or null. The walk
 * recurses at most `maxDepth` levels whatever the input, so hostile nesting (thousands of levels)
 * cannot overflow the call stack; it allocates nothing unless it finds one.
 */
export function tooDeepAt(value: unknown, maxDepth: number): (string | number)[] | null {
  const path: (string | number)[] = [];
  const visit = (v: object, depth: number): boolean => {
    if (depth >= maxDepth) return true;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x && typeof x === "object" && visit(x, depth + 1)) return path.push(i) > 0;
      }
      return false;
    }
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const x = (v as Record<string, unknown>)[k];
      if (x && typeof x === "object" && visit(x, depth + 1)) return path.push(k) > 0;
    }
    return false;
  };
  return value && typeof value === "object" && visit(value, 0) ? path.reverse() : null;
}

/**
 * Nesting a whole document may have: a parameter value starts 4 levels down (nodes[i].params.x) and
 * may nest maxValueDepth more (checked per value, with its path); this is the cheap outer guard.
 */
const MAX_DOCUMENT_DEPTH = 32;

/** Raised by documentBytes for a value nested too deep to measure safely; `path` says where. */
export class NestingError extends Error {
  readonly code = "DOCUMENT_TOO_DEEP";
  constructor(readonly path: (string | number)[]) {
    super(`nested more than ${MAX_DOCUMENT_DEPTH} levels deep (at ${formatJsonPath(path)})`);
    this.name = "NestingError";
  }
}

/** `metadata.x.a` / `nodes[3].params` */
export function formatJsonPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/**
 * UTF-8 bytes of compact JSON: the one measure of a document's size (create, save, enqueue). Checks
 * the nesting first (bounded): JSON.stringify itself overflows the stack past ~4,000 levels.
 */
export function documentBytes(value: unknown): number {
  const deep = tooDeepAt(value, MAX_DOCUMENT_DEPTH);
  if (deep) throw new NestingError(deep.slice(0, 6));
  return utf8Length(JSON.stringify(value) ?? "");
}

/** UTF-8 length of a string without encoding it into a copy. */
function utf8Length(s: string): number {
  // Node's native count on the server; the loop below in the browser.
  const B = (globalThis as { Buffer?: { byteLength(s: string, e: "utf8"): number } }).Buffer;
  if (B) return B.byteLength(s, "utf8");
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // a pair: 2 units, 4 bytes
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** A free-form JSON value (a parameter, a metadata entry) at most LIMITS.maxValueDepth deep. */
const boundedValue = z.unknown().superRefine((value, ctx) => {
  const at = tooDeepAt(value, LIMITS.maxValueDepth);
  if (at)
    ctx.addIssue({
      code: "custom",
      path: at.slice(0, 4),
      message: `nested more than ${LIMITS.maxValueDepth} levels deep`,
    });
});

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
  params: z.record(z.string().max(64), boundedValue).default({}),
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
  metadata: z
    .record(z.string().max(64), boundedValue)
    .superRefine((metadata, ctx) => {
      let bytes = 0;
      try {
        bytes = documentBytes(metadata);
      } catch {
        return; // not JSON at all: reported by the document's own check
      }
      if (bytes > LIMITS.maxMetadataBytes)
        ctx.addIssue({
          code: "custom",
          message: `metadata is ${bytes} bytes; at most ${LIMITS.maxMetadataBytes}`,
        });
    })
    .default({}),
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

/** Deeper than any valid document (a parameter value sits at depth 4, plus maxValueDepth). */
const MAX_SORT_DEPTH = 64;

/** JSON with object keys sorted at every level; arrays keep their order. */
export function stableStringify(value: unknown, indent = 0): string {
  return JSON.stringify(sortKeys(value, 0), null, indent || undefined);
}

function sortKeys(value: unknown, depth: number): unknown {
  // Bounded recursion: schema-checked documents never come near this; hostile ones get an error, not a stack overflow.
  if (depth > MAX_SORT_DEPTH)
    throw new RangeError(`the value is nested more than ${MAX_SORT_DEPTH} levels deep`);
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((v) => sortKeys(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v, depth + 1);
    }
    return out;
  }
  return value;
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The canonical form: nodes, edges, groups and notes sorted by id, keys sorted (see canonicalJson and
 * storedJson for its two spellings). Canvas-only state (selection, viewport) is not part of a document.
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

/** The canonical form, indented for people: exported files and the editor's saved/unsaved comparison. */
export function canonicalJson(doc: GraphDocument): string {
  return `${stableStringify(canonicalize(doc), 2)}\n`;
}

/**
 * The canonical form as stored (versions, drafts, runs) and hashed: compact, so a stored row is no
 * bigger than the document as measured by the limit (indentation multiplied deep nesting ~15×).
 */
export function storedJson(doc: GraphDocument): string {
  return stableStringify(canonicalize(doc));
}
