/**
 * What procedures return: explicit `select`s and plain JSON shapes (dates as ISO strings, documents
 * parsed) so the types the editor sees are the values it gets over HTTP, where no transformer runs.
 */

import type { GraphDocument } from "../../core/graph/document";
import type { NodeResult, RunError } from "../../core/run/events";
import { artifactUrl } from "../artifacts/store";
import type { Prisma } from "../db/client";
import { readStored } from "../library/documents";
import type { RunStatus } from "../queue/queue";

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

// ---- graphs -------------------------------------------------------------------------------------

export const graphSummarySelect = {
  id: true,
  name: true,
  description: true,
  createdAt: true,
  updatedAt: true,
  archivedAt: true,
  thumbnailArtifactId: true,
  draftUpdatedAt: true,
  tags: { select: { tag: true }, orderBy: { tag: "asc" } },
  headVersion: { select: { id: true, number: true, createdAt: true } },
} satisfies Prisma.GraphSelect;

export type GraphSummaryRow = Prisma.GraphGetPayload<{ select: typeof graphSummarySelect }>;

export interface GraphSummary {
  id: string;
  name: string;
  description: string;
  tags: string[];
  thumbnailUrl: string | null;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt: string | null;
  head: { id: string; number: number; createdAt: string } | null;
  /** The working draft differs from the head (autosaved, not saved as a version). */
  hasDraft: boolean;
  draftUpdatedAt: string | null;
}

export function toGraphSummary(g: GraphSummaryRow): GraphSummary {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    tags: g.tags.map((t) => t.tag),
    thumbnailUrl: g.thumbnailArtifactId ? artifactUrl(g.thumbnailArtifactId) : null,
    createdAt: iso(g.createdAt),
    updatedAt: iso(g.updatedAt),
    archived: g.archivedAt !== null,
    archivedAt: isoOrNull(g.archivedAt),
    head: g.headVersion
      ? { id: g.headVersion.id, number: g.headVersion.number, createdAt: iso(g.headVersion.createdAt) }
      : null,
    hasDraft: g.draftUpdatedAt !== null,
    draftUpdatedAt: isoOrNull(g.draftUpdatedAt),
  };
}

export const versionSummarySelect = {
  id: true,
  number: true,
  hash: true,
  message: true,
  createdAt: true,
} satisfies Prisma.GraphVersionSelect;

export interface VersionSummary {
  id: string;
  number: number;
  hash: string;
  message: string | null;
  createdAt: string;
}

export function toVersionSummary(v: Prisma.GraphVersionGetPayload<{ select: typeof versionSummarySelect }>) {
  return { id: v.id, number: v.number, hash: v.hash, message: v.message, createdAt: iso(v.createdAt) };
}

export interface VersionWithDocument extends VersionSummary {
  graphId: string;
  document: GraphDocument;
}

// ---- artifacts ----------------------------------------------------------------------------------

export const artifactSelect = {
  id: true,
  runId: true,
  nodeId: true,
  kind: true,
  sha256: true,
  width: true,
  height: true,
  seed: true,
  bytes: true,
  mimeType: true,
  createdAt: true,
} satisfies Prisma.ArtifactSelect;

export interface ArtifactInfo {
  id: string;
  runId: string;
  nodeId: string;
  kind: "image" | "latent" | "preview";
  url: string;
  sha256: string;
  width: number | null;
  height: number | null;
  seed: string | null;
  bytes: number;
  mimeType: string;
  createdAt: string;
}

export function toArtifact(
  a: Prisma.ArtifactGetPayload<{ select: typeof artifactSelect }>,
  urlSuffix = "",
): ArtifactInfo {
  return {
    id: a.id,
    runId: a.runId,
    nodeId: a.nodeId,
    kind: a.kind as ArtifactInfo["kind"],
    url: artifactUrl(a.id) + urlSuffix,
    sha256: a.sha256,
    width: a.width,
    height: a.height,
    seed: a.seed,
    bytes: a.bytes,
    mimeType: a.mimeType,
    createdAt: iso(a.createdAt),
  };
}

// ---- runs ---------------------------------------------------------------------------------------

export const runSummarySelect = {
  id: true,
  graphId: true,
  graph: { select: { name: true } },
  graphVersionId: true,
  graphVersion: { select: { number: true } },
  status: true,
  priority: true,
  queueSeq: true,
  label: true,
  batchIndex: true,
  sweepId: true,
  seeds: true,
  error: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  retryOfId: true,
  artifacts: {
    where: { kind: "image" },
    orderBy: { createdAt: "asc" },
    take: 16,
    select: artifactSelect,
  },
} satisfies Prisma.RunSelect;

export interface RunErrorInfo extends RunError {
  ms?: number;
}

export interface RunSummaryInfo {
  id: string;
  graphId: string | null;
  graphName: string | null;
  graphVersionId: string | null;
  versionNumber: number | null;
  status: RunStatus;
  priority: number;
  label: string | null;
  batchIndex: number | null;
  sweepId: string | null;
  /** The seed each seed widget uses, by "node.param". */
  seeds: Record<string, string>;
  error: RunErrorInfo | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  retryOfId: string | null;
  /** The images it made (up to 16). */
  images: ArtifactInfo[];
}

export function toRunSummary(r: Prisma.RunGetPayload<{ select: typeof runSummarySelect }>): RunSummaryInfo {
  return {
    id: r.id,
    graphId: r.graphId,
    graphName: r.graph?.name ?? null,
    graphVersionId: r.graphVersionId,
    versionNumber: r.graphVersion?.number ?? null,
    status: r.status as RunStatus,
    priority: r.priority,
    label: r.label,
    batchIndex: r.batchIndex,
    sweepId: r.sweepId,
    seeds: parseJson(r.seeds, {}),
    error: parseJson(r.error, null),
    createdAt: iso(r.createdAt),
    startedAt: isoOrNull(r.startedAt),
    finishedAt: isoOrNull(r.finishedAt),
    retryOfId: r.retryOfId,
    images: r.artifacts.map((a) => toArtifact(a)),
  };
}

export const runDetailSelect = {
  ...runSummarySelect,
  document: true,
  overrides: true,
  nodeResults: true,
  artifacts: { orderBy: { createdAt: "asc" }, select: artifactSelect },
} satisfies Prisma.RunSelect;

export interface RunDetail extends Omit<RunSummaryInfo, "images"> {
  /** The exact document that ran (overrides applied). */
  document: GraphDocument;
  overrides: unknown;
  nodeResults: Record<string, NodeResult>;
  /** Every file it made: images, Preview Image outputs, latents. */
  artifacts: ArtifactInfo[];
  images: ArtifactInfo[];
}

export function toRunDetail(r: Prisma.RunGetPayload<{ select: typeof runDetailSelect }>): RunDetail {
  const artifacts = r.artifacts.map((a) => toArtifact(a));
  return {
    ...toRunSummary({ ...r, artifacts: [] }),
    images: artifacts.filter((a) => a.kind === "image"),
    document: readStored(r.document),
    overrides: parseJson(r.overrides, {}),
    nodeResults: parseJson(r.nodeResults, {}),
    artifacts,
  };
}
