/**
 * Validation of a graph document: returns EVERY problem at once, each keyed by node id and/or field,
 * and never throws, whatever JSON it is given. Also migrates old node versions and fills in defaults,
 * returning the document the executor will run.
 */

import { hasErrorCode } from "../error-codes";
import { checkWidgetValue, type NodeDefinition, widgetSocketType } from "../node/define";
import type { NodeRegistry } from "../node/registry-core";
import { canConnect, type SocketType } from "../node/sockets";
import {
  DOCUMENT_FORMAT,
  DOCUMENT_FORMAT_VERSION,
  type DocumentEdge,
  type DocumentNode,
  documentBytes,
  documentEdgeSchema,
  documentNodeSchema,
  formatJsonPath,
  type GraphDocument,
  graphDocumentSchema,
  LIMITS,
  type NestingError,
} from "./document";

export type ValidationCode =
  | "invalid_document"
  | "too_large"
  | "duplicate_id"
  | "unknown_node_type"
  | "unknown_node_version"
  | "invalid_node"
  | "invalid_edge"
  | "dangling_edge"
  | "unknown_port"
  | "missing_input"
  | "type_mismatch"
  | "multiple_links"
  | "cycle"
  | "param_invalid"
  | "no_output";

export interface ValidationError {
  code: ValidationCode;
  message: string;
  /** The node the problem belongs to, when there is one. */
  nodeId?: string;
  /** The field: a port or parameter name of the node, or a document path such as "edges[3]". */
  field?: string;
  edgeId?: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: ValidationError[];
  warnings: ValidationError[];
  /** Errors grouped by node id ("" for document-level errors). */
  byNode: Record<string, ValidationError[]>;
  /** The migrated, defaults-filled document; present when `ok`. */
  document?: GraphDocument;
}

export interface ValidateOptions {
  /** Require at least one active output node (default true). */
  requireOutput?: boolean;
}

/**
 * A declaration's own entry: port and parameter names come from documents, and "constructor" or
 * "toString" must not find Object.prototype's members.
 */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** "an IMAGE", "a LATENT", "a UNET" (read "you-net"): socket names are read as words. */
export function withArticle(word: string): string {
  return `${/^[AEIO]/i.test(word) ? "an" : "a"} ${word}`;
}

/** The socket type of a node's input port or linkable widget, or null if the port does not exist. */
export function inputPortType(def: NodeDefinition, port: string): SocketType | null {
  const input = own(def.inputs, port);
  if (input) return input.type;
  const widget = own(def.widgets, port);
  if (widget?.linkable) return widgetSocketType(widget);
  return null;
}

export function validateDocument(
  input: unknown,
  registry: NodeRegistry,
  opts: ValidateOptions = {},
): ValidationResult {
  const errors: ValidationError[] = [];
  const warnings: ValidationError[] = [];
  try {
    const doc = checkStructure(input, errors);
    if (doc) checkGraph(doc, registry, errors, warnings, opts);
    const result: ValidationResult = {
      ok: errors.length === 0,
      errors,
      warnings,
      byNode: groupByNode(errors),
    };
    if (result.ok && doc) result.document = doc;
    return result;
  } catch (e) {
    // A bug here must not take the caller down: report it as a document error.
    const err: ValidationError = {
      code: "invalid_document",
      field: "document",
      message: `could not validate: ${e instanceof Error ? e.message : String(e)}`,
    };
    return { ok: false, errors: [...errors, err], warnings, byNode: groupByNode([...errors, err]) };
  }
}

function groupByNode(errors: ValidationError[]): Record<string, ValidationError[]> {
  const out: Record<string, ValidationError[]> = {};
  for (const e of errors) {
    const key = e.nodeId ?? "";
    out[key] = [...(out[key] ?? []), e];
  }
  return out;
}

function fmtPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/** Structural checks; item by item so one bad node does not hide the others. */
function checkStructure(input: unknown, errors: ValidationError[]): GraphDocument | null {
  if (typeof input === "string") {
    if (input.length > LIMITS.maxDocumentBytes) {
      errors.push({
        code: "too_large",
        field: "document",
        message: `document is ${input.length} bytes; at most ${LIMITS.maxDocumentBytes}`,
      });
      return null;
    }
    try {
      input = JSON.parse(input);
    } catch (e) {
      errors.push({
        code: "invalid_document",
        field: "document",
        message: `not valid JSON: ${(e as Error).message}`,
      });
      return null;
    }
  }
  if (!input || typeof input !== "object" || Array.isArray(input)) {
    errors.push({
      code: "invalid_document",
      field: "document",
      message: "a graph document must be a JSON object",
    });
    return null;
  }
  let size: number;
  try {
    size = documentBytes(input);
  } catch (e) {
    if (hasErrorCode(e, "DOCUMENT_TOO_DEEP")) {
      errors.push({
        code: "invalid_document",
        field: formatJsonPath((e as NestingError).path),
        message: e.message,
      });
      return null;
    }
    errors.push({
      code: "invalid_document",
      field: "document",
      message: "the document cannot be serialised as JSON",
    });
    return null;
  }
  if (size > LIMITS.maxDocumentBytes) {
    errors.push({
      code: "too_large",
      field: "document",
      message: `document is ${size} bytes; at most ${LIMITS.maxDocumentBytes}`,
    });
    return null;
  }
  const raw = input as Record<string, unknown>;
  if (raw.format !== DOCUMENT_FORMAT)
    errors.push({
      code: "invalid_document",
      field: "format",
      message: `format must be "${DOCUMENT_FORMAT}"`,
    });
  if (raw.formatVersion !== DOCUMENT_FORMAT_VERSION)
    errors.push({
      code: "invalid_document",
      field: "formatVersion",
      message: `formatVersion ${JSON.stringify(raw.formatVersion)} is not supported; this server reads version ${DOCUMENT_FORMAT_VERSION}`,
    });
  const nodesRaw = raw.nodes;
  const edgesRaw = raw.edges ?? [];
  if (!Array.isArray(nodesRaw)) {
    errors.push({ code: "invalid_document", field: "nodes", message: "nodes must be a list" });
    return null;
  }
  if (!Array.isArray(edgesRaw)) {
    errors.push({ code: "invalid_document", field: "edges", message: "edges must be a list" });
    return null;
  }
  if (nodesRaw.length > LIMITS.maxNodes)
    errors.push({
      code: "too_large",
      field: "nodes",
      message: `${nodesRaw.length} nodes; at most ${LIMITS.maxNodes}`,
    });
  if (edgesRaw.length > LIMITS.maxEdges)
    errors.push({
      code: "too_large",
      field: "edges",
      message: `${edgesRaw.length} edges; at most ${LIMITS.maxEdges}`,
    });
  if (errors.some((e) => e.code === "too_large")) return null;

  const nodes: DocumentNode[] = [];
  nodesRaw.forEach((n, i) => {
    const parsed = documentNodeSchema.safeParse(n);
    const nodeId =
      n && typeof n === "object" && typeof (n as { id?: unknown }).id === "string"
        ? (n as { id: string }).id
        : undefined;
    if (parsed.success) nodes.push(parsed.data);
    else
      for (const issue of parsed.error.issues)
        errors.push({
          code: "invalid_node",
          nodeId,
          field: nodeId ? fmtPath(issue.path) || "node" : fmtPath(["nodes", i, ...issue.path]),
          message: issue.message,
        });
  });
  const edges: DocumentEdge[] = [];
  edgesRaw.forEach((e, i) => {
    const parsed = documentEdgeSchema.safeParse(e);
    if (parsed.success) edges.push(parsed.data);
    else {
      const to = e && typeof e === "object" ? (e as { to?: { node?: unknown } }).to : undefined;
      const nodeId = typeof to?.node === "string" ? to.node : undefined;
      for (const issue of parsed.error.issues)
        errors.push({
          code: "invalid_edge",
          nodeId,
          field: fmtPath(["edges", i, ...issue.path]),
          message: issue.message,
        });
    }
  });
  // The rest of the document (name, groups, notes, metadata) with the checked lists put back.
  const whole = graphDocumentSchema.safeParse({
    ...raw,
    format: DOCUMENT_FORMAT,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    nodes: [],
    edges: [],
  });
  if (!whole.success) {
    for (const issue of whole.error.issues)
      errors.push({
        code: "invalid_document",
        field: fmtPath(issue.path) || "document",
        message: issue.message,
      });
    return { ...emptyShell(raw), nodes, edges };
  }
  return { ...whole.data, nodes, edges };
}

function emptyShell(raw: Record<string, unknown>): GraphDocument {
  return {
    format: DOCUMENT_FORMAT,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    name: typeof raw.name === "string" ? raw.name.slice(0, 200) : "Untitled",
    description: "",
    nodes: [],
    edges: [],
    groups: [],
    notes: [],
    metadata: {},
  };
}

/** Every rule a graph breaks, each as a named check; later checks skip what earlier ones reported. */
function checkGraph(
  doc: GraphDocument,
  registry: NodeRegistry,
  errors: ValidationError[],
  warnings: ValidationError[],
  opts: ValidateOptions,
): void {
  const nodesById = checkIds(doc, errors);
  const defs = checkNodeTypes(nodesById, registry, errors);
  const linked = checkEdges(doc.edges, nodesById, defs, errors);
  checkInputsAndParams(nodesById, defs, linked, errors, warnings);
  checkCycles(doc.edges, nodesById, errors);
  if (opts.requireOutput !== false) checkHasOutput(nodesById, defs, errors);
}

/** "node\0port" → the edge feeding that input. */
type LinkedInputs = Map<string, DocumentEdge>;

/** Node and edge ids are unique; returns the nodes by id (the first of a duplicated id). */
function checkIds(doc: GraphDocument, errors: ValidationError[]): Map<string, DocumentNode> {
  const nodesById = new Map<string, DocumentNode>();
  for (const n of doc.nodes) {
    if (nodesById.has(n.id))
      errors.push({
        code: "duplicate_id",
        nodeId: n.id,
        field: "id",
        message: `node id "${n.id}" is used more than once`,
      });
    else nodesById.set(n.id, n);
  }
  const edgeIds = new Set<string>();
  for (const e of doc.edges) {
    if (edgeIds.has(e.id))
      errors.push({
        code: "duplicate_id",
        nodeId: e.to.node,
        edgeId: e.id,
        field: `edge ${e.id}`,
        message: `edge id "${e.id}" is used more than once`,
      });
    edgeIds.add(e.id);
  }
  return nodesById;
}

/** Node types exist and versions are known; older versions are migrated in place. */
function checkNodeTypes(
  nodesById: ReadonlyMap<string, DocumentNode>,
  registry: NodeRegistry,
  errors: ValidationError[],
): Map<string, NodeDefinition> {
  const defs = new Map<string, NodeDefinition>();
  for (const n of nodesById.values()) {
    const def = registry.get(n.type);
    if (!def) {
      errors.push({
        code: "unknown_node_type",
        nodeId: n.id,
        field: "type",
        message: `unknown node type "${n.type}" — this server does not have it`,
      });
      continue;
    }
    defs.set(n.id, def);
    if (n.version > def.version) {
      errors.push({
        code: "unknown_node_version",
        nodeId: n.id,
        field: "version",
        message: `${def.title} version ${n.version} is newer than this server's version ${def.version}`,
      });
      continue;
    }
    if (n.version < def.version) {
      const migrated = migrateParams(def, n.version, n.params);
      if ("error" in migrated) {
        errors.push({
          code: "unknown_node_version",
          nodeId: n.id,
          field: "version",
          message: migrated.error,
        });
        continue;
      }
      n.params = migrated.params;
      n.version = def.version;
    }
  }
  return defs;
}

/** Edges: endpoints exist, ports exist, types match, one link per input. */
function checkEdges(
  edges: readonly DocumentEdge[],
  nodesById: ReadonlyMap<string, DocumentNode>,
  defs: ReadonlyMap<string, NodeDefinition>,
  errors: ValidationError[],
): LinkedInputs {
  const linked: LinkedInputs = new Map();
  for (const e of edges) {
    const from = nodesById.get(e.from.node);
    const to = nodesById.get(e.to.node);
    if (!from || !to) {
      const missing = !from ? e.from.node : e.to.node;
      errors.push({
        code: "dangling_edge",
        nodeId: to ? to.id : from?.id,
        field: to ? e.to.port : e.from.port,
        edgeId: e.id,
        message: `link ${e.id} points at node "${missing}", which does not exist`,
      });
      continue;
    }
    const fromDef = defs.get(from.id);
    const toDef = defs.get(to.id);
    if (!fromDef || !toDef) continue; // unknown type already reported
    const outSpec = own(fromDef.outputs, e.from.port);
    if (!outSpec) {
      errors.push({
        code: "unknown_port",
        nodeId: from.id,
        field: e.from.port,
        edgeId: e.id,
        message: `${fromDef.title} has no output "${e.from.port}"`,
      });
      continue;
    }
    const inType = inputPortType(toDef, e.to.port);
    if (!inType) {
      const w = own(toDef.widgets, e.to.port);
      errors.push({
        code: "unknown_port",
        nodeId: to.id,
        field: e.to.port,
        edgeId: e.id,
        message: w
          ? `${toDef.title}'s "${e.to.port}" cannot be fed by a link`
          : `${toDef.title} has no input "${e.to.port}"`,
      });
      continue;
    }
    const compat = canConnect(outSpec.type, inType);
    if (!compat.ok)
      errors.push({
        code: "type_mismatch",
        nodeId: to.id,
        field: e.to.port,
        edgeId: e.id,
        message: `${compat.reason} (from ${fromDef.title} "${from.id}")`,
      });
    const key = `${to.id}\0${e.to.port}`;
    if (linked.has(key))
      errors.push({
        code: "multiple_links",
        nodeId: to.id,
        field: e.to.port,
        edgeId: e.id,
        message: `input "${e.to.port}" has more than one link`,
      });
    else linked.set(key, e);
  }
  return linked;
}

/**
 * Required inputs are linked and parameter values are valid (widgets fed by a link are not checked);
 * fills in defaults and drops (with a warning) parameters the node type does not have.
 */
function checkInputsAndParams(
  nodesById: ReadonlyMap<string, DocumentNode>,
  defs: ReadonlyMap<string, NodeDefinition>,
  linked: LinkedInputs,
  errors: ValidationError[],
  warnings: ValidationError[],
): void {
  for (const n of nodesById.values()) {
    const def = defs.get(n.id);
    if (!def) continue;
    if (n.mode !== "mute")
      for (const [port, spec] of Object.entries(def.inputs)) {
        if (!spec.optional && !linked.has(`${n.id}\0${port}`))
          errors.push({
            code: "missing_input",
            nodeId: n.id,
            field: port,
            message: `${def.title} needs ${withArticle(spec.type)} link into "${port}"`,
          });
      }
    const params: Record<string, unknown> = {};
    for (const [name, w] of Object.entries(def.widgets)) {
      const value = n.params[name] === undefined ? w.default : n.params[name];
      params[name] = value;
      if (linked.has(`${n.id}\0${name}`)) continue;
      const bad = checkWidgetValue(w, value);
      if (bad)
        errors.push({
          code: "param_invalid",
          nodeId: n.id,
          field: name,
          message: `${w.label ?? name} ${bad}`,
        });
    }
    if (def.checkParams) {
      const unlinked = Object.fromEntries(
        Object.entries(params).filter(([name]) => !linked.has(`${n.id}\0${name}`)),
      );
      for (const problem of def.checkParams(unlinked))
        errors.push({ code: "param_invalid", nodeId: n.id, field: problem.field, message: problem.message });
    }
    for (const name of Object.keys(n.params))
      if (!Object.hasOwn(def.widgets, name))
        warnings.push({
          code: "param_invalid",
          nodeId: n.id,
          field: name,
          message: `${def.title} has no parameter "${name}"; it is ignored`,
        });
    n.params = params;
  }
}

function checkCycles(
  edges: readonly DocumentEdge[],
  nodesById: ReadonlyMap<string, DocumentNode>,
  errors: ValidationError[],
): void {
  for (const cycle of findCycles(edges, nodesById)) {
    const names = cycle.map((id) => `"${id}"`).join(" → ");
    for (const id of cycle)
      errors.push({
        code: "cycle",
        nodeId: id,
        field: "links",
        message: `these nodes form a cycle: ${names}`,
      });
  }
}

/** Something to compute: at least one active output node. */
function checkHasOutput(
  nodesById: ReadonlyMap<string, DocumentNode>,
  defs: ReadonlyMap<string, NodeDefinition>,
  errors: ValidationError[],
): void {
  const hasOutput = [...nodesById.values()].some((n) => n.mode === "normal" && defs.get(n.id)?.isOutput);
  if (!hasOutput)
    errors.push({
      code: "no_output",
      field: "nodes",
      message: "the graph has no active output node (e.g. Save Image or Preview Image)",
    });
}

/** Applies a node type's migrations from `from` up to its current version. */
export function migrateParams(
  def: NodeDefinition,
  from: number,
  params: Record<string, unknown>,
): { params: Record<string, unknown> } | { error: string } {
  let p = { ...params };
  for (let v = from; v < def.version; v++) {
    const step = def.migrations?.[v];
    if (!step) {
      // No migration means the change was additive: new widgets take their defaults.
      continue;
    }
    try {
      p = step(p);
    } catch (e) {
      return { error: `cannot upgrade ${def.title} from version ${v}: ${(e as Error).message}` };
    }
  }
  return { params: p };
}

/** Strongly connected components with more than one node (or a self-loop), via Tarjan's algorithm. */
export function findCycles(edges: readonly DocumentEdge[], nodes: ReadonlyMap<string, unknown>): string[][] {
  const adj = new Map<string, string[]>();
  for (const e of edges) {
    if (!nodes.has(e.from.node) || !nodes.has(e.to.node)) continue;
    (adj.get(e.from.node) ?? adj.set(e.from.node, []).get(e.from.node)!).push(e.to.node);
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  // Iterative to survive 2,000-node chains without blowing the call stack.
  for (const start of nodes.keys()) {
    if (idx.has(start)) continue;
    const work: [string, number][] = [[start, 0]];
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      if (i === 0) {
        idx.set(v, index);
        low.set(v, index);
        index++;
        stack.push(v);
        onStack.add(v);
      }
      const next = adj.get(v) ?? [];
      if (i < next.length) {
        frame[1]++;
        const w = next[i];
        if (!idx.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        const selfLoop = comp.length === 1 && (adj.get(v) ?? []).includes(v);
        if (comp.length > 1 || selfLoop) out.push(comp.reverse());
      }
    }
  }
  return out;
}
