/**
 * The runner process: executes graphs for the server, which forks it (remote-executor.ts), so that
 * onnxruntime's synchronous `session.run` blocks this process's event loop, not the server's. It
 * builds the same runtime as the server from the server's resolved configuration
 * (PETALFLOW_RUNNER_CONFIG), with its own Prisma client on the same SQLite file for artifact rows.
 *
 * Messages in: run, cancel, stats, free. Out: ready, event (as they happen), done, stats, freed, error,
 * log. It exits when the parent disconnects, so that a kill -9 of the server leaves no orphan: the
 * handler is registered before anything heavy loads, and the connection is checked again after.
 */
import type { FromRunner, ToRunner } from "./protocol";

if (!process.send) {
  console.error("server/runner/child.ts is started by the server (child_process.fork), not directly");
  process.exit(2);
}
process.on("disconnect", () => process.exit(0));

const { envSchema, loadEnv } = await import("../env");
const { RUNNER_CONFIG_VAR } = await import("./protocol");
const { createServerDb } = await import("../db/serialized");
const { ServerArtifacts } = await import("../artifacts/store");
const { createRuntime } = await import("../runtime/create");
const { freeRuntime, inlineStats } = await import("./runner");
const { failedRunSummary } = await import("../engine/execute");

if (!process.connected) process.exit(0);

function send(message: FromRunner): void {
  if (!process.connected) return;
  process.send?.(message, undefined, undefined, () => undefined);
}

const MiB = 1024 * 1024;
const config = process.env[RUNNER_CONFIG_VAR];
const env = config ? envSchema.parse(JSON.parse(config)) : loadEnv();
const log = (message: string) => send({ type: "log", message });
const db = createServerDb(env.DATABASE_URL);
const runtime = createRuntime({
  modelsDir: env.PETALFLOW_MODELS_DIR,
  provider: env.PETALFLOW_PROVIDER,
  sessionBudgetBytes: env.PETALFLOW_SESSION_CACHE_MB * MiB,
  outputCacheBytes: env.PETALFLOW_OUTPUT_CACHE_MB * MiB,
  artifacts: new ServerArtifacts(db, env.PETALFLOW_DATA_DIR),
  limits: {
    maxPixels: env.PETALFLOW_MAX_PIXELS,
    maxWork: env.PETALFLOW_MAX_WORK,
    maxUploadBytes: env.PETALFLOW_MAX_UPLOAD_MB * MiB,
  },
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
