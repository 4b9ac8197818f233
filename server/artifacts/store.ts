/**
 * The server's ArtifactSink: images and latents a run makes become files under `<dataDir>/artifacts/`
 * (named by content hash) plus Artifact rows; Load Image / Load Latent read uploads and saved latents
 * back by the names this module hands out (`<sha256>.png`, an artifact id), never by path.
 */

import type { FileOutput } from "../../core/run/events";
import type { PrismaClient } from "../db/client";
import { decodeImageAsync } from "../media/decode";
import { isJpeg, isPng } from "../media/png";
import type { ArtifactSink, SaveImageRequest, SaveLatentRequest } from "../runtime/services";
import { readExampleAsset } from "./example-assets";
import { contentPath, readContent, removeContent, sha256Hex, writeContent } from "./files";

/** Artifact.kind values. "preview" = Preview Image output: shown, not part of the library. */
export type ArtifactKind = "image" | "latent" | "preview";

export const ARTIFACT_ID = /^[a-z0-9]{16,40}$/;
export const UPLOAD_NAME = /^([0-9a-f]{64})\.(png|jpg)$/;
const LATENT_NAME = /^([0-9a-f]{64})\.latent$/;

export function artifactUrl(id: string): string {
  return `/api/artifacts/${id}`;
}

export function uploadUrl(name: string): string {
  return `/api/uploads/${name}`;
}

export class ServerArtifacts implements ArtifactSink {
  constructor(
    private readonly db: PrismaClient,
    private readonly dataDir: string,
  ) {}

  async saveImage(req: SaveImageRequest): Promise<FileOutput> {
    const sha = sha256Hex(req.png);
    const rel = contentPath("artifacts", sha, "png");
    await writeContent(this.dataDir, rel, req.png);
    const row = await this.db.artifact.create({
      data: {
        runId: req.runId,
        nodeId: req.nodeId,
        kind: req.temporary ? "preview" : "image",
        path: rel,
        sha256: sha,
        width: req.width,
        height: req.height,
        seed: req.seed ?? null,
        bytes: req.png.byteLength,
        mimeType: "image/png",
      },
      select: { id: true },
    });
    return {
      path: artifactUrl(row.id),
      kind: "image",
      width: req.width,
      height: req.height,
      seed: req.seed,
      artifactId: row.id,
      sha256: sha,
    };
  }

  async saveLatent(req: SaveLatentRequest): Promise<FileOutput> {
    const sha = sha256Hex(req.bytes);
    const rel = contentPath("artifacts", sha, "latent");
    await writeContent(this.dataDir, rel, req.bytes);
    const row = await this.db.artifact.create({
      data: {
        runId: req.runId,
        nodeId: req.nodeId,
        kind: "latent",
        path: rel,
        sha256: sha,
        bytes: req.bytes.byteLength,
        mimeType: "application/octet-stream",
      },
      select: { id: true },
    });
    return { path: artifactUrl(row.id), kind: "latent", artifactId: row.id, sha256: sha };
  }

  /** A saved latent by artifact id or by `<sha256>.latent`. */
  async readLatent(name: string): Promise<Uint8Array> {
    const bySha = LATENT_NAME.exec(name);
    const where = bySha
      ? { sha256: bySha[1], kind: "latent" }
      : ARTIFACT_ID.test(name)
        ? { id: name, kind: "latent" }
        : null;
    const row = where ? await this.db.artifact.findFirst({ where, select: { path: true } }) : null;
    if (!row) throw new Error(`no saved latent named ${JSON.stringify(name.slice(0, 80))}`);
    return readContent(this.dataDir, row.path);
  }

  /**
   * An uploaded image by the name `storeUpload` returned (`<sha256>.png|jpg`), or one of the bundled
   * example images by its file name (the templates use them).
   */
  async readUpload(name: string): Promise<Uint8Array> {
    const m = UPLOAD_NAME.exec(name);
    const row = m
      ? await this.db.upload.findUnique({ where: { sha256: m[1] }, select: { path: true } })
      : null;
    if (row) return readContent(this.dataDir, row.path);
    const example = m ? null : await readExampleAsset(name);
    if (example) return example.bytes;
    throw new Error(`no uploaded image named ${JSON.stringify(name.slice(0, 80))}: upload it first`);
  }
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
