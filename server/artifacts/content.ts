/**
 * The ArtifactSink that runs write to, in the server process or the runner process: images and latents
 * become content-addressed files under `<dataDir>/artifacts/`, each with an id chosen here, and their
 * metadata goes to `onArtifact` — never to the database. The process that owns the database inserts
 * the rows (`recordArtifacts`, ./record.ts) together with the events that mention them, so a worker
 * never opens SQLite. Load Image / Load Latent read files by the names this module hands out
 * (`<sha256>.png`, `<sha256>.latent`); a latent named by artifact id is looked up by the owner.
 */
import { randomBytes } from "node:crypto";
import type { FileOutput } from "../../core/run/events";
import type { ArtifactSink, SaveImageRequest, SaveLatentRequest } from "../runtime/services";
import { readExampleAsset } from "./example-assets";
import { contentPath, readContent, sha256Hex, writeContentSync } from "./files";

/** Artifact.kind values. "preview" = Preview Image output: shown, not part of the library. */
export type ArtifactKind = "image" | "latent" | "preview";

export const ARTIFACT_ID = /^[a-z0-9]{16,40}$/;
export const UPLOAD_NAME = /^([0-9a-f]{64})\.(png|jpg)$/;
export const LATENT_NAME = /^([0-9a-f]{64})\.latent$/;

/** An Artifact row as the process that made the file describes it (it crosses the runner protocol). */
export interface ArtifactMeta {
  id: string;
  runId: string;
  nodeId: string;
  kind: ArtifactKind;
  /** Relative to the data directory (`contentPath`). */
  path: string;
  sha256: string;
  width: number | null;
  height: number | null;
  seed: string | null;
  bytes: number;
  mimeType: string;
  createdAt: Date;
}

export function artifactUrl(id: string): string {
  return `/api/artifacts/${id}`;
}

/** A new artifact id: 128 random bits in lowercase hex (ARTIFACT_ID), so any process can choose one. */
export function newArtifactId(): string {
  return randomBytes(16).toString("hex");
}

export interface ContentArtifactsOptions {
  /** Called (synchronously, before saveImage/saveLatent return) with each file's row to insert. */
  onArtifact: (meta: ArtifactMeta) => void;
  /** The stored path of a saved latent named by artifact id (a database lookup), or null. */
  findLatent: (artifactId: string) => Promise<string | null>;
}

export class ContentArtifacts implements ArtifactSink {
  constructor(
    private readonly dataDir: string,
    private readonly opts: ContentArtifactsOptions,
  ) {}

  async saveImage(req: SaveImageRequest): Promise<FileOutput> {
    const meta = await this.#store(req, req.png, "png", {
      kind: req.temporary ? "preview" : "image",
      width: req.width,
      height: req.height,
      seed: req.seed ?? null,
      mimeType: "image/png",
    });
    return {
      path: artifactUrl(meta.id),
      kind: "image",
      width: req.width,
      height: req.height,
      seed: req.seed,
      artifactId: meta.id,
      sha256: meta.sha256,
    };
  }

  async saveLatent(req: SaveLatentRequest): Promise<FileOutput> {
    const meta = await this.#store(req, req.bytes, "latent", {
      kind: "latent",
      width: null,
      height: null,
      seed: null,
      mimeType: "application/octet-stream",
    });
    return { path: artifactUrl(meta.id), kind: "latent", artifactId: meta.id, sha256: meta.sha256 };
  }

  async #store(
    req: { runId: string; nodeId: string },
    bytes: Uint8Array,
    ext: string,
    fields: Pick<ArtifactMeta, "kind" | "width" | "height" | "seed" | "mimeType">,
  ): Promise<ArtifactMeta> {
    const sha = sha256Hex(bytes);
    const rel = contentPath("artifacts", sha, ext);
    // Blocking write (see writeContentSync): this sink writes on the run's critical path.
    writeContentSync(this.dataDir, rel, bytes);
    const meta: ArtifactMeta = {
      id: newArtifactId(),
      runId: req.runId,
      nodeId: req.nodeId,
      path: rel,
      sha256: sha,
      bytes: bytes.byteLength,
      createdAt: new Date(),
      ...fields,
    };
    this.opts.onArtifact(meta);
    return meta;
  }

  /** A saved latent by `<sha256>.latent` (its file) or by artifact id (looked up by the owner). */
  async readLatent(name: string): Promise<Uint8Array> {
    const bySha = LATENT_NAME.exec(name);
    const rel = bySha
      ? contentPath("artifacts", bySha[1], "latent")
      : ARTIFACT_ID.test(name)
        ? await this.opts.findLatent(name)
        : null;
    const missing = () => new Error(`no saved latent named ${JSON.stringify(name.slice(0, 80))}`);
    if (!rel) throw missing();
    try {
      return await readContent(this.dataDir, rel);
    } catch (e) {
      if (bySha && /is missing/.test((e as Error).message)) throw missing();
      throw e;
    }
  }

  /**
   * An uploaded image by the name `storeUpload` returned (`<sha256>.png|jpg`: its file), or one of the
   * bundled example images by its file name (the templates use them).
   */
  async readUpload(name: string): Promise<Uint8Array> {
    const m = UPLOAD_NAME.exec(name);
    const missing = `no uploaded image named ${JSON.stringify(name.slice(0, 80))}: upload it first`;
    if (m) {
      try {
        return await readContent(this.dataDir, contentPath("uploads", m[1], m[2]));
      } catch (e) {
        // Never uploaded, or its file was deleted: without the database both read the same.
        if (/is missing/.test((e as Error).message)) throw new Error(`${missing} (${(e as Error).message})`);
        throw e;
      }
    }
    const example = await readExampleAsset(name);
    if (example) return example.bytes;
    throw new Error(missing);
  }
}
