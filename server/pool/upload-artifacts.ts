/**
 * A pool worker's ArtifactSink: every image or latent a node makes is uploaded to the server (which
 * writes the file and the Artifact row) before the node reports finished, so the node's event carries
 * the server's artifact id as on a single machine. Uploads are idempotent by sha256 on the server, so
 * a failed attempt is simply sent again. Load Image / Load Latent fetch their bytes from the server.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
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

/** A reply read whole: uploads answer a small JSON, inputs are one file. */
interface Reply {
  status: number;
  ok: boolean;
  body: Buffer;
}

/** How long one exchange may go without a byte before it counts as a network error (ms). */
const IDLE_TIMEOUT_MS = 300_000;

export class UploadArtifacts implements ArtifactSink {
  // node:http on kept-alive connections, not fetch: an upload is on its node's way to "finished", and
  // fetch (undici: Request, Headers, web streams) took several times node:http's CPU per request on
  // the worker. A connection the server closed meanwhile fails the request, which is retried below.
  readonly #agent: http.Agent;

  constructor(private readonly opts: UploadOptions) {
    const Agent = new URL(opts.serverUrl).protocol === "https:" ? https.Agent : http.Agent;
    this.#agent = new Agent({ keepAlive: true });
  }

  #exchange(
    path: string,
    method: string,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<Reply> {
    const url = new URL(path, this.opts.serverUrl);
    const send = url.protocol === "https:" ? https.request : http.request;
    return new Promise<Reply>((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          agent: this.#agent,
          timeout: IDLE_TIMEOUT_MS,
          headers: {
            ...headers,
            authorization: `Bearer ${this.opts.workerToken}`,
            ...(body ? { "content-length": String(body.byteLength) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            resolve({ status, ok: status >= 200 && status < 300, body: Buffer.concat(chunks) });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  async #fetch(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: Uint8Array },
    what: string,
  ): Promise<Reply> {
    // Network errors and 5xx are retried with backoff for a while: a server restarting is away for seconds.
    const deadline = Date.now() + (this.opts.retryForMs ?? 120_000);
    let lastError = "";
    for (let i = 0; ; i++) {
      if (i) await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** i, 5000)));
      try {
        const res = await this.#exchange(path, init.method ?? "GET", init.headers ?? {}, init.body);
        this.opts.onAttempt?.(what, res.ok);
        if (res.ok || res.status < 500) return res;
        lastError = `${res.status} ${res.body.toString()}`;
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
        body: bytes,
      },
      `uploading ${meta.kind} of node ${meta.nodeId}`,
    );
    if (!res.ok)
      throw new Error(`the server refused the ${meta.kind} of node ${meta.nodeId}: ${res.body.toString()}`);
    return JSON.parse(res.body.toString()) as FileOutput;
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
    if (!res.ok) {
      let error: string | undefined;
      try {
        error = (JSON.parse(res.body.toString()) as { error?: string }).error;
      } catch {
        // not JSON: the status says it
      }
      throw new Error(error ?? `${res.status} ${http.STATUS_CODES[res.status] ?? ""}`.trim());
    }
    return new Uint8Array(res.body); // a copy: a small Buffer is a view of a shared pool
  }

  readLatent(name: string): Promise<Uint8Array> {
    return this.#input(name);
  }

  readUpload(name: string): Promise<Uint8Array> {
    return this.#input(name);
  }
}
