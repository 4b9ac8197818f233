/** Graph writes shared by several routers; each happens in one transaction. */
import type { Prisma, PrismaClient } from "../db/client";
import type { StoredDocument } from "./documents";

export interface NewGraph {
  name: string;
  description?: string;
  tags?: string[];
  document: StoredDocument;
  message?: string | null;
}

/** A new graph whose version 1 (its head) holds `document`. */
export async function createGraph(db: PrismaClient, g: NewGraph): Promise<string> {
  return db.$transaction(async (tx) => {
    const graph = await tx.graph.create({
      data: {
        name: g.name,
        description: g.description ?? "",
        tags: { create: (g.tags ?? []).map((tag) => ({ tag })) },
      },
      select: { id: true },
    });
    const version = await tx.graphVersion.create({
      data: {
        graphId: graph.id,
        number: 1,
        document: g.document.json,
        hash: g.document.hash,
        message: g.message,
      },
      select: { id: true },
    });
    await tx.graph.update({
      where: { id: graph.id },
      data: { headVersionId: version.id },
      select: { id: true },
    });
    return graph.id;
  });
}

export interface SavedVersion {
  id: string;
  number: number;
  /** False when the document was already stored (the head, or an older version made head again). */
  created: boolean;
}

/**
 * Makes `document` the graph's head. Versions are immutable and unique per graph by hash: an
 * unchanged document creates nothing; a document equal to an older version makes that version the
 * head again. Either way the draft is cleared (it is now saved).
 */
export async function saveVersion(
  tx: Prisma.TransactionClient,
  graphId: string,
  document: StoredDocument,
  message: string | null,
): Promise<SavedVersion> {
  const existing = await tx.graphVersion.findFirst({
    where: { graphId, hash: { in: document.hashes } },
    select: { id: true, number: true },
  });
  if (existing) {
    await tx.graph.update({
      where: { id: graphId },
      data: { headVersionId: existing.id, draft: null, draftUpdatedAt: null },
      select: { id: true },
    });
    return { ...existing, created: false };
  }
  const last = await tx.graphVersion.aggregate({ where: { graphId }, _max: { number: true } });
  const version = await tx.graphVersion.create({
    data: {
      graphId,
      number: (last._max.number ?? 0) + 1,
      document: document.json,
      hash: document.hash,
      message,
    },
    select: { id: true, number: true },
  });
  await tx.graph.update({
    where: { id: graphId },
    data: { headVersionId: version.id, draft: null, draftUpdatedAt: null },
    select: { id: true },
  });
  return { ...version, created: true };
}
