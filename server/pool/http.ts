/**
 * The server's HTTP side for pool workers (`/api/worker/...`), authenticated by PETALFLOW_WORKER_TOKEN,
 * a token separate from the user's: it can store a run's outputs and read a run's inputs by content
 * name, nothing else (no library, no runs, no tRPC).
 *
 *   POST /api/worker/artifacts      body: the file; header x-petalflow-artifact: JSON metadata.
 *        The server checks the sha256, writes the file content-addressed, and inserts the Artifact row
 *        through recordArtifacts (as for the runner's files) under an id derived from (run, node, kind,
 *        sha256): a retried upload, even concurrent, answers the same row and makes no second one.
 *   GET  /api/worker/inputs/<name>  an uploaded image (`<sha256>.png|jpg`, example names) or a saved
 *        latent (artifact id or `<sha256>.latent`), for Load Image / Load Latent on the worker.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { FileOutput } from "../../core/run/events";
import type { ArtifactMeta as ArtifactRow, ContentArtifacts } from "../artifacts/content";
import { contentPath, sha256Hex, writeContent, writeContentSync } from "../artifacts/files";
import { recordArtifacts } from "../artifacts/record";
import { artifactUrl } from "../artifacts/store";
import { isRequestAuthorized } from "../auth";
import type { PrismaClient } from "../db/client";
import { BodyTooLargeError, jsonError, readBodyLimited } from "../http/body";

export const ARTIFACT_HEADER = "x-petalflow-artifact";

/** Uploads up to this size are written with blocking calls (see storeArtifact). */
const SYNC_WRITE_BYTES = 1024 * 1024;

export const artifactMetaSchema = z.object({
  runId: z.string().min(1).max(100),
  nodeId: z.string().min(1).max(200),
  kind: z.enum(["image", "preview", "latent"]),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  seed: z
    .string()
    .regex(/^-?\d{1,40}$/, "a seed is an integer in decimal")
    .optional(),
});
export type ArtifactMeta = z.infer<typeof artifactMetaSchema>;

export interface WorkerHttpDeps {
  workerToken: string | undefined;
  db: PrismaClient;
  dataDir: string;
  artifacts: Pick<ContentArtifacts, "readLatent" | "readUpload">;
  maxBodyBytes: number;
}

export async function handleWorkerRequest(deps: WorkerHttpDeps, req: Request): Promise<Response> {
  if (!deps.workerToken)
    return jsonError(503, "this server takes no workers: PETALFLOW_WORKER_TOKEN is not set");
  if (!isRequestAuthorized(deps.workerToken, req.headers))
    return jsonError(401, "a worker token (PETALFLOW_WORKER_TOKEN) is required");
  const url = new URL(req.url);
  const rest = url.pathname.replace(/^\/api\/worker\/?/, "");
  if (req.method === "POST" && rest === "artifacts") return storeArtifact(deps, req);
  if (req.method === "GET" && rest.startsWith("inputs/")) {
    const name = decodeURIComponent(rest.slice("inputs/".length));
    try {
      const bytes =
        name.endsWith(".latent") || !/\.(png|jpe?g)$/i.test(name)
          ? await deps.artifacts.readLatent(name)
          : await deps.artifacts.readUpload(name);
      return new Response(new Uint8Array(bytes), { headers: { "content-type": "application/octet-stream" } });
    } catch (e) {
      return jsonError(404, (e as Error).message);
    }
  }
  return jsonError(404, `no worker route ${req.method} /api/worker/${rest.slice(0, 80)}`);
}

async function storeArtifact(deps: WorkerHttpDeps, req: Request): Promise<Response> {
  let meta: ArtifactMeta;
  try {
    meta = artifactMetaSchema.parse(JSON.parse(req.headers.get(ARTIFACT_HEADER) ?? "null"));
  } catch (e) {
    return jsonError(400, `bad ${ARTIFACT_HEADER} header: ${(e as Error).message.slice(0, 300)}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBodyLimited(req, deps.maxBodyBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) return jsonError(413, e.message);
    throw e;
  }
  const sha = sha256Hex(bytes);
  if (sha !== meta.sha256)
    return jsonError(400, `the body's sha256 is ${sha}, not the ${meta.sha256} announced (a torn upload?)`);
  // One raw statement: a model query is compiled by Prisma at every call (≈ 0.6 ms of CPU against
  // 0.13 raw, issue 18), on every upload and so on its node's way to "finished".
  const run = await deps.db.$queryRawUnsafe<unknown[]>(
    `SELECT 1 FROM "Run" WHERE "id" = ? LIMIT 1`,
    meta.runId,
  );
  if (!run.length) return jsonError(404, `no run ${meta.runId}`);
  const ext = meta.kind === "latent" ? "latent" : "png";
  const rel = contentPath("artifacts", sha, ext);
  // A small file (an image, a small latent) with blocking calls: the upload is on its node's way to
  // "finished", and each async fs call (stat, mkdir, open, write, close, rename) is a hop through
  // libuv's thread pool that waits for a thread on a busy host; blocking costs this loop microseconds.
  if (bytes.byteLength <= SYNC_WRITE_BYTES) writeContentSync(deps.dataDir, rel, bytes);
  else await writeContent(deps.dataDir, rel, bytes);
  const row: ArtifactRow = {
    id: uploadArtifactId(meta),
    runId: meta.runId,
    nodeId: meta.nodeId,
    kind: meta.kind,
    path: rel,
    sha256: sha,
    width: meta.width ?? null,
    height: meta.height ?? null,
    seed: meta.seed ?? null,
    bytes: bytes.byteLength,
    mimeType: ext === "png" ? "image/png" : "application/octet-stream",
    createdAt: new Date(),
  };
  try {
    await recordArtifacts(deps.db, meta.runId, [row]);
  } catch (e) {
    // Its id is already there: an upload retried (or sent twice at once) after the first was stored.
    if ((e as { code?: string }).code !== "P2002") throw e;
  }
  const out: FileOutput = {
    path: artifactUrl(row.id),
    kind: meta.kind === "latent" ? "latent" : "image",
    ...(meta.width ? { width: meta.width, height: meta.height } : {}),
    ...(meta.seed ? { seed: meta.seed } : {}),
    artifactId: row.id,
    sha256: sha,
  };
  return Response.json(out);
}

/**
 * The Artifact id of an upload: derived from what makes it the same output (run, node, kind, content),
 * so that a retried upload names the row the first one made, whichever server process stored it.
 */
export function uploadArtifactId(m: Pick<ArtifactMeta, "runId" | "nodeId" | "kind" | "sha256">): string {
  return createHash("sha256")
    .update(`${m.runId}\0${m.nodeId}\0${m.kind}\0${m.sha256}`)
    .digest("hex")
    .slice(0, 32);
}

/** The app's pieces the worker routes use. */
export function workerHttpDeps(app: {
  env: { PETALFLOW_WORKER_TOKEN?: string; PETALFLOW_MAX_REQUEST_MB: number };
  db: PrismaClient;
  dataDir: string;
  artifacts: ContentArtifacts;
}): WorkerHttpDeps {
  return {
    workerToken: app.env.PETALFLOW_WORKER_TOKEN,
    db: app.db,
    dataDir: app.dataDir,
    artifacts: app.artifacts,
    maxBodyBytes: app.env.PETALFLOW_MAX_REQUEST_MB * 1024 * 1024,
  };
}
