/**
 * The runner process: executes graphs for the server, which forks it (process-runner.ts), so that
 * onnxruntime's synchronous `session.run` blocks this process's event loop, not the server's. It
 * builds the same runtime as the server from the server's runtime settings (PETALFLOW_RUNNER_CONFIG).
 * It never opens the database: the files a run makes are written here (content-addressed) and their
 * rows go to the server as "artifact" messages; a Load Latent by artifact id asks the server.
 *
 * Messages in: run, cancel, stats, free, foundLatent. Out: ready, event (as they happen), artifact,
 * findLatent, done, stats, freed, error, log. It exits when the parent disconnects, so that a kill -9
 * of the server leaves no orphan: the handler is registered before anything heavy loads, and the
 * connection is checked again after.
 */
import type { ArtifactMeta } from "../artifacts/content";
import type { FromRunner, ToRunner } from "./protocol";

if (!process.send) {
  console.error("server/runner/child.ts is started by the server (child_process.fork), not directly");
  process.exit(2);
}
process.on("disconnect", () => process.exit(0));

const { INLINE_IMAGE_MAX_BYTES, RUNNER_CONFIG_VAR } = await import("./protocol");
const { readFileSync } = await import("node:fs");
const path = await import("node:path");
const { ContentArtifacts } = await import("../artifacts/content");
const { createRuntime } = await import("../runtime/create");
const { runtimeOptions } = await import("../runtime/options");
const { freeRuntime, inlineStats } = await import("./runner");
const { failedRunSummary } = await import("../engine/executor");

if (!process.connected) process.exit(0);

function send(message: FromRunner): void {
  if (!process.connected) return;
  process.send?.(message, undefined, undefined, () => undefined);
}

const options = runtimeOptions(JSON.parse(process.env[RUNNER_CONFIG_VAR] ?? "{}"));
const log = (message: string) => send({ type: "log", message });

/** A small image's bytes (read back: it was just written), for the live event stream; else nothing. */
function inlineImage(meta: ArtifactMeta): Uint8Array | undefined {
  if (meta.kind === "latent" || meta.bytes > INLINE_IMAGE_MAX_BYTES) return undefined;
  try {
    return readFileSync(path.join(options.dataDir, meta.path));
  } catch {
    return undefined; // the image is still served by URL
  }
}

/** Latent lookups waiting for the server's answer, by request id. */
const lookups = new Map<number, { resolve: (path: string | null) => void; reject: (e: Error) => void }>();
let nextLookup = 1;

const runtime = createRuntime({
  ...options,
  artifacts: new ContentArtifacts(options.dataDir, {
    onArtifact: (meta) => {
      const inline = inlineImage(meta);
      send({ type: "artifact", meta, ...(inline ? { inline } : {}) });
    },
    findLatent: (artifactId) =>
      new Promise((resolve, reject) => {
        if (!process.connected) return reject(new Error("the server is gone"));
        const id = nextLookup++;
        lookups.set(id, { resolve, reject });
        send({ type: "findLatent", id, artifactId });
      }),
  }),
  log,
});

const active = new Map<string, AbortController>();

async function run(msg: Extract<ToRunner, { type: "run" }>): Promise<void> {
  const abort = new AbortController();
  active.set(msg.runId, abort);
  const started = performance.now();
  try {
    const { outputs: _outputs, ...summary } = await runtime.executor.run(msg.document, {
      runId: msg.runId,
      signal: abort.signal,
      previews: msg.previews,
      progressIntervalMs: msg.progressIntervalMs,
      onEvent: (event) => send({ type: "event", runId: msg.runId, event }),
    });
    send({ type: "done", runId: msg.runId, summary });
  } catch (e) {
    const { outputs: _outputs, ...summary } = failedRunSummary(msg.runId, started, {
      message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
      code: "internal",
    });
    send({ type: "done", runId: msg.runId, summary });
  } finally {
    active.delete(msg.runId);
  }
}

async function request(id: number, answer: () => Promise<FromRunner>): Promise<void> {
  try {
    send(await answer());
  } catch (e) {
    send({ type: "error", id, message: e instanceof Error ? e.message : String(e) });
  }
}

process.on("message", (msg: ToRunner) => {
  switch (msg.type) {
    case "run":
      void run(msg);
      break;
    case "cancel":
      active.get(msg.runId)?.abort();
      break;
    case "stats":
      void request(msg.id, async () => {
        const { runner: _runner, ...stats } = await inlineStats(runtime, {
          mode: "process",
          pid: process.pid,
        });
        return { type: "stats", id: msg.id, ...stats };
      });
      break;
    case "foundLatent": {
      const lookup = lookups.get(msg.id);
      lookups.delete(msg.id);
      if (msg.error !== undefined) lookup?.reject(new Error(msg.error));
      else lookup?.resolve(msg.path);
      break;
    }
    case "free":
      void request(msg.id, async () => ({
        type: "freed",
        id: msg.id,
        ...(await freeRuntime(runtime, { outputs: msg.outputs ?? false })),
      }));
      break;
  }
});

send({ type: "ready", pid: process.pid });
