/**
 * `npm run worker`: one pool worker on a GPU host (server/pool/worker-host.ts). It takes runs from
 * BullMQ on PETALFLOW_REDIS_URL, executes them with its own models (PETALFLOW_MODELS_DIR) and provider,
 * and uploads outputs to PETALFLOW_SERVER_URL with PETALFLOW_WORKER_TOKEN. It never opens the database.
 * Prints `worker <id> ready` once it serves; SIGTERM/SIGINT stop it after the run in progress is cancelled.
 * Exit codes: 2 bad configuration, 1 could not start.
 */
import { envFields, parseConfig } from "../server/env";
import { UploadArtifacts } from "../server/pool/upload-artifacts";
import { PoolWorkerHost } from "../server/pool/worker-host";
import { createRuntime } from "../server/runtime/create";
import { runtimeOptions } from "../server/runtime/options";

// The worker's own settings, declared once in server/env.ts; the runtime's (models dir, provider,
// caches, PETALFLOW_MAX_*) are the server's, read by runtimeOptions below.
const needed = ["PETALFLOW_SERVER_URL", "PETALFLOW_WORKER_TOKEN", "PETALFLOW_REDIS_URL"] as const;
const workerEnvSchema = envFields
  .pick({
    PETALFLOW_SERVER_URL: true,
    PETALFLOW_WORKER_TOKEN: true,
    PETALFLOW_REDIS_URL: true,
    PETALFLOW_WORKER_ID: true,
    PETALFLOW_WORKER_HEARTBEAT_MS: true,
    PETALFLOW_POOL_LOCK_MS: true,
  })
  .superRefine((e, ctx) => {
    for (const k of needed)
      if (!e[k]) ctx.addIssue({ code: "custom", path: [k], message: "required for a worker" });
  });

let env: ReturnType<typeof workerEnvSchema.parse> & { [K in (typeof needed)[number]]: string };
try {
  env = parseConfig(workerEnvSchema, process.env) as typeof env;
} catch (e) {
  console.error(`petalflow worker: ${(e as Error).message}`);
  process.exit(2);
}
let settings: ReturnType<typeof runtimeOptions>;
try {
  settings = runtimeOptions(process.env);
} catch (e) {
  console.error(`petalflow worker: ${(e as Error).message}`);
  process.exit(2);
}
const log = (m: string) => console.error(m);
const runtime = createRuntime({
  ...settings,
  artifacts: new UploadArtifacts({
    serverUrl: env.PETALFLOW_SERVER_URL,
    workerToken: env.PETALFLOW_WORKER_TOKEN,
  }),
  log,
});
const host = new PoolWorkerHost({
  redisUrl: env.PETALFLOW_REDIS_URL,
  runtime,
  provider: async () => (await runtime.services.sessions.providerReport()).provider ?? "none",
  id: env.PETALFLOW_WORKER_ID,
  heartbeatMs: env.PETALFLOW_WORKER_HEARTBEAT_MS,
  lockMs: env.PETALFLOW_POOL_LOCK_MS,
  log,
});
try {
  await host.start();
} catch (e) {
  console.error(`petalflow worker: could not start: ${(e as Error).message}`);
  process.exit(1);
}
console.log(`worker ${host.id} ready (${host.models.map((m) => m.id).join(", ") || "no models"})`);
let stopping = false;
for (const sig of ["SIGTERM", "SIGINT"] as const)
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    void host.close().finally(() => process.exit(0));
  });
