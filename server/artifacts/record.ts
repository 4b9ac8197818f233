/**
 * Inserting Artifact rows from the metadata a run's process returned (ContentArtifacts' `onArtifact`,
 * sent over the runner protocol): the one place rows for run outputs are written, by the process that
 * owns the database, inside a transaction it already holds. Metadata from another process is checked
 * like any input: it must describe a content-addressed file of this run.
 */
import { z } from "zod";
import type { Prisma } from "../db/client";
import { insertRows } from "../db/raw-insert";
import { ARTIFACT_ID, type ArtifactMeta } from "./content";
import { contentPath } from "./files";

const artifactMetaSchema = z
  .object({
    id: z.string().regex(ARTIFACT_ID),
    runId: z.string().min(1),
    nodeId: z.string().min(1).max(200),
    kind: z.enum(["image", "latent", "preview"]),
    path: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    width: z.number().int().positive().nullable(),
    height: z.number().int().positive().nullable(),
    seed: z
      .string()
      .regex(/^-?\d{1,40}$/)
      .nullable(),
    bytes: z.number().int().nonnegative(),
    mimeType: z.enum(["image/png", "application/octet-stream"]),
    createdAt: z.date(),
  })
  .refine((m) => m.path === contentPath("artifacts", m.sha256, m.kind === "latent" ? "latent" : "png"), {
    message: "path is not the content address of sha256",
    path: ["path"],
  });

/**
 * Inserts the rows of `metas`, which must all belong to `runId`; returns how many. Call it with the
 * transaction that records the events mentioning them (or that finishes the run), so that a stored
 * event never names a missing artifact.
 */
export async function recordArtifacts(
  tx: Prisma.TransactionClient,
  runId: string,
  metas: readonly ArtifactMeta[],
): Promise<number> {
  if (!metas.length) return 0;
  const data = metas.map((m, i) => {
    const parsed = artifactMetaSchema.safeParse(m);
    if (!parsed.success) {
      const why = parsed.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ");
      throw new Error(`artifact ${i} of run ${runId} is malformed (${why})`);
    }
    if (parsed.data.runId !== runId)
      throw new Error(`artifact ${parsed.data.id} belongs to run ${parsed.data.runId}, not ${runId}`);
    return parsed.data;
  });
  // One raw statement (server/db/raw-insert.ts): Save Image's row goes in with the event that shows it.
  return insertRows(
    tx,
    "Artifact",
    [
      "id",
      "runId",
      "nodeId",
      "kind",
      "path",
      "sha256",
      "width",
      "height",
      "seed",
      "bytes",
      "mimeType",
      "createdAt",
    ],
    data,
  );
}
