/**
 * The database side of stored files: uploads (checked, stored once per content hash, with a row),
 * pruning Preview Image outputs, and finding a saved latent by artifact id. Runs write their files
 * through ContentArtifacts (./content.ts) and never touch the database; the rows they describe are
 * inserted by `recordArtifacts` (./record.ts).
 */

import type { PrismaClient } from "../db/client";
import { decodeImageAsync } from "../media/decode";
import { isJpeg, isPng } from "../media/png";
import { ARTIFACT_ID } from "./content";
import { contentPath, removeContent, sha256Hex, writeContent } from "./files";

export { ARTIFACT_ID, type ArtifactKind, artifactUrl, UPLOAD_NAME } from "./content";

/** The stored path of the saved latent with this artifact id, or null. */
export async function findLatentPath(db: PrismaClient, artifactId: string): Promise<string | null> {
  if (!ARTIFACT_ID.test(artifactId)) return null;
  const row = await db.artifact.findFirst({
    where: { id: artifactId, kind: "latent" },
    select: { path: true },
  });
  return row?.path ?? null;
}

export interface StoredUpload {
  /** What the Load Image widget stores. */
  name: string;
  width: number;
  height: number;
  mimeType: string;
  bytes: number;
}

/** Raised for an upload that is not a real PNG/JPEG within the limits: the message is for the user. */
export class UploadRejectedError extends Error {
  override readonly name = "UploadRejectedError";
  readonly code = "UPLOAD_REJECTED";
}

/**
 * Checks that `bytes` is a real PNG or JPEG (fully decoded under the limits) and stores it once per
 * content hash.
 */
export async function storeUpload(
  db: PrismaClient,
  dataDir: string,
  bytes: Uint8Array,
  limits: { maxPixels: number; maxBytes: number },
): Promise<StoredUpload> {
  const kind = isPng(bytes) ? "png" : isJpeg(bytes) ? "jpg" : null;
  if (!kind) throw new UploadRejectedError("not a PNG or JPEG image");
  let width: number;
  let height: number;
  try {
    ({ width, height } = await decodeImageAsync(bytes, limits));
  } catch (e) {
    throw new UploadRejectedError(e instanceof Error ? e.message : String(e));
  }
  const sha = sha256Hex(bytes);
  const rel = contentPath("uploads", sha, kind);
  const mimeType = kind === "png" ? "image/png" : "image/jpeg";
  await writeContent(dataDir, rel, bytes);
  await db.upload.upsert({
    where: { sha256: sha },
    create: { sha256: sha, path: rel, mimeType, width, height, bytes: bytes.byteLength },
    update: {},
  });
  return { name: `${sha}.${kind}`, width, height, mimeType, bytes: bytes.byteLength };
}

/**
 * Preview Image outputs are shown, not kept: rows older than `maxAgeMs` are deleted, with their files
 * when no other artifact has the same content. Returns how many rows went.
 */
export async function prunePreviews(db: PrismaClient, dataDir: string, maxAgeMs: number): Promise<number> {
  const old = await db.artifact.findMany({
    where: { kind: "preview", createdAt: { lt: new Date(Date.now() - maxAgeMs) } },
    select: { id: true, path: true },
    take: 10_000,
  });
  if (!old.length) return 0;
  await db.artifact.deleteMany({ where: { id: { in: old.map((a) => a.id) } } });
  for (const rel of new Set(old.map((a) => a.path)))
    if ((await db.artifact.count({ where: { path: rel } })) === 0) await removeContent(dataDir, rel);
  return old.length;
}
