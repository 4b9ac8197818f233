/**
 * Turning a request into runs: where the document comes from (a saved version or an unsaved draft),
 * overrides and seeds applied, every resulting document validated. Graph problems become a
 * GraphInvalidError (node-keyed errors for the client); nothing is queued unless all documents are valid.
 */

import { type GraphDocument, graphDocumentSchema, storedJson } from "../../core/graph/document";
import { applyOverrides, type ParamSet, randomSeed, seedsOf } from "../../core/graph/overrides";
import { validateDocument } from "../../core/graph/validate";
import { MAX_SEED } from "../../core/node/define";
import { registry } from "../../nodes/registry";
import type { PrismaClient } from "../db/client";
import { fieldError, GraphInvalidError, notFound } from "../errors";
import { readStored, storeForm } from "../library/documents";
import type { NewRun } from "../queue/queue";

export interface SourceInput {
  versionId?: string;
  graphId?: string;
  document?: unknown;
}

export interface RunSource {
  graphId: string | null;
  graphVersionId: string | null;
  /** The document as given (structurally valid, graph-valid). */
  document: GraphDocument;
}

/** Loads or checks the source document; throws GraphInvalidError when it cannot run. */
export async function resolveSource(db: PrismaClient, input: SourceInput): Promise<RunSource> {
  const raw = await rawSource(db, input);
  checkRunnable(raw.document);
  const parsed = graphDocumentSchema.safeParse(raw.document);
  if (!parsed.success)
    throw fieldError("document", parsed.error.issues[0]?.message ?? "not a graph document");
  let graphVersionId = raw.graphVersionId;
  if (!graphVersionId && raw.graphId) {
    // A draft identical to a saved version runs as that version (shares show its images).
    const same = await db.graphVersion.findFirst({
      where: { graphId: raw.graphId, hash: { in: storeForm(parsed.data).hashes } },
      select: { id: true },
    });
    graphVersionId = same?.id ?? null;
  }
  return { graphId: raw.graphId, graphVersionId, document: parsed.data };
}

/** The source document unchecked (runs.validate reports its problems as data). */
export async function rawSource(
  db: PrismaClient,
  input: SourceInput,
): Promise<{ graphId: string | null; graphVersionId: string | null; document: unknown }> {
  if (input.versionId) {
    const v = await db.graphVersion.findUnique({
      where: { id: input.versionId },
      select: { id: true, graphId: true, document: true },
    });
    if (!v) throw notFound("version");
    if (input.graphId && input.graphId !== v.graphId)
      throw fieldError("graphId", "the version belongs to another graph");
    return { graphId: v.graphId, graphVersionId: v.id, document: readStored(v.document) };
  }
  if (input.document === undefined) throw fieldError("document", "give a versionId or a document");
  if (input.graphId) {
    const g = await db.graph.count({ where: { id: input.graphId } });
    if (!g) throw notFound("graph");
  }
  return { graphId: input.graphId ?? null, graphVersionId: null, document: input.document };
}

export function checkRunnable(doc: unknown, label?: string): GraphDocument {
  const v = validateDocument(doc, registry);
  if (!v.ok || !v.document) throw new GraphInvalidError(v.errors, v.byNode, label);
  return v.document;
}

/** applyOverrides with its errors (unknown node or parameter) as field errors. */
export function withOverrides(
  doc: GraphDocument,
  overrides: { seed?: bigint; set?: ParamSet[] },
  field = "overrides.set",
): GraphDocument {
  try {
    return applyOverrides(doc, registry, overrides);
  } catch (e) {
    throw fieldError(field, (e as Error).message.replace(/^--set: /, ""));
  }
}

export interface PlannedRun extends NewRun {
  document: string;
}

/** One run of `doc`: validated, canonical, with the seeds it will use. */
export function planRun(
  source: Pick<RunSource, "graphId" | "graphVersionId">,
  doc: GraphDocument,
  extra: Omit<NewRun, "graphId" | "graphVersionId" | "document" | "seeds">,
): PlannedRun {
  checkRunnable(doc, extra.label ?? undefined);
  return {
    graphId: source.graphId,
    graphVersionId: source.graphVersionId,
    document: storedJson(doc),
    seeds: seedsOf(doc, registry),
    ...extra,
  };
}

/** The seed a batch starts from: the override, else the document's first seed widget, else 0. */
export function batchBaseSeed(doc: GraphDocument, override: bigint | undefined): bigint {
  if (override !== undefined) return override;
  const first = Object.values(seedsOf(doc, registry))[0];
  return first !== undefined && /^\d+$/.test(first) ? BigInt(first) : 0n;
}

export function batchSeeds(base: bigint, count: number, mode: "sequential" | "random"): bigint[] {
  return Array.from({ length: count }, (_, i) =>
    mode === "random" ? randomSeed() : (base + BigInt(i)) % (MAX_SEED + 1n),
  );
}

/** "seed=3, cfg=7": axis values named by parameter (node-qualified when two axes share a name). */
export function cellLabel(axes: { nodeId: string; param: string }[], values: unknown[]): string {
  return axes
    .map((a, i) => {
      const shared = axes.some((b, j) => j !== i && b.param === a.param);
      const name = shared ? `${a.nodeId}.${a.param}` : a.param;
      const v = values[i];
      return `${name}=${typeof v === "string" ? v : JSON.stringify(v)}`;
    })
    .join(", ");
}
