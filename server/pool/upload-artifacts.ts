/**
 * A pool worker's ArtifactSink: every image or latent a node makes is uploaded to the server (which
 * writes the file and the Artifact row) before the node reports finished, so the node's event carries
 * the server's artifact id as on a single machine. Uploads are idempotent by sha256 on the server, so
 * a failed attempt is simply sent again. Load Image / Load Latent fetch their bytes from the server.
 */
import { createHash } from "node:crypto";
import type { FileOutput } from "../../core/run/events";
import type { ArtifactSink, SaveImageRequest, SaveLatentRequest } from "../runtime/services";
import { ARTIFACT_HEADER, type ArtifactMeta } from "./http";

export interface UploadOptions {
  serverUrl: string;
  workerToken: string;
  /** How long an upload is retried before the node fails (ms; network errors and 5xx are retried). */
  retryForMs?: number;
  /** Observes each HTTP attempt (tests count retries). */
  onAttempt?: (what: string, ok: boolean) => void;
}

export class UploadArtifacts implements ArtifactSink {
  constructor(private readonly opts: UploadOptions) {}

  async #fetch(path: string, init: RequestInit, what: string): Promise<Response> {
    // Network errors and 5xx are retried with backoff for a while: a server restarting is away for seconds.
    const deadline = Date.now() + (this.opts.retryForMs ?? 120_000);
    let lastError = "";
    for (let i = 0; ; i++) {
      if (i) await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** i, 5000)));
      try {
        const res = await fetch(new URL(path, this.opts.serverUrl), {
          ...init,
          headers: { ...init.headers, authorization: `Bearer ${this.opts.workerToken}` },
        });
        this.opts.onAttempt?.(what, res.ok);
        if (res.ok || res.status < 500) return res;
        lastError = `${res.status} ${await res.text()}`;
      } catch (e) {
        this.opts.onAttempt?.(what, false);
        lastError = (e as Error).message;
      }
      if (Date.now() > deadline)
        throw new Error(`${what}: the server did not take it after ${i + 1} attempts (${lastError})`);
    }
  }

  async #upload(meta: ArtifactMeta, bytes: Uint8Array): Promise<FileOutput> {
    const res = await this.#fetch(
      "/api/worker/artifacts",
      {
        method: "POST",
        headers: { [ARTIFACT_HEADER]: JSON.stringify(meta), "content-type": "application/octet-stream" },
        body: new Uint8Array(bytes),
      },
      `uploading ${meta.kind} of node ${meta.nodeId}`,
    );
    if (!res.ok)
      throw new Error(`the server refused the ${meta.kind} of node ${meta.nodeId}: ${await res.text()}`);
    return (await res.json()) as FileOutput;
  }

  saveImage(req: SaveImageRequest): Promise<FileOutput> {
    return this.#upload(
      {
        runId: req.runId,
        nodeId: req.nodeId,
        kind: req.temporary ? "preview" : "image",
        sha256: createHash("sha256").update(req.png).digest("hex"),
        width: req.width,
        height: req.height,
        ...(req.seed !== undefined ? { seed: req.seed } : {}),
      },
      req.png,
    );
  }

  saveLatent(req: SaveLatentRequest): Promise<FileOutput> {
    return this.#upload(
      {
        runId: req.runId,
        nodeId: req.nodeId,
        kind: "latent",
        sha256: createHash("sha256").update(req.bytes).digest("hex"),
      },
      req.bytes,
    );
  }

  async #input(name: string): Promise<Uint8Array> {
    const res = await this.#fetch(`/api/worker/inputs/${encodeURIComponent(name)}`, {}, `reading ${name}`);
    if (!res.ok)
      throw new Error(((await res.json().catch(() => null)) as { error?: string })?.error ?? res.statusText);
    return new Uint8Array(await res.arrayBuffer());
  }

  readLatent(name: string): Promise<Uint8Array> {
    return this.#input(name);
  }

  readUpload(name: string): Promise<Uint8Array> {
    return this.#input(name);
  }
}
