/**
 * The process-wide singletons: configuration, database, runtime (models, sessions, executor), queue,
 * worker and event bus. `getApp()` creates them once per process, keyed on globalThis because Next
 * can load this module more than once (route handlers, instrumentation); `createApp()` builds an
 * independent one for tests. The database must already be migrated (scripts/start.ts, tests).
 */
import pkg from "../package.json";
import { removeStaleTemps } from "./artifacts/files";
import { prunePreviews, ServerArtifacts } from "./artifacts/store";
import type { PrismaClient } from "./db/client";
import { createServerDb } from "./db/serialized";
import { type Env, loadEnv, env as loadProcessEnv } from "./env";
import { EventBus } from "./events/bus";
import { PoolRunner } from "./pool/pool-runner";
import { LeaseKeeper } from "./queue/lease";
import { SqliteRunQueue } from "./queue/queue";
import { Worker } from "./queue/worker";
import { ProcessRunner } from "./runner/remote-executor";
import { InlineRunner, inlineStats, type Runner, type RunnerMode } from "./runner/runner";
import { createRuntime, type Runtime } from "./runtime/create";

export interface App {
  env: Env;
  version: string;
  dataDir: string;
  db: PrismaClient;
  bus: EventBus;
  /**
   * This process's runtime: the model library (models.list, health) and, with the "inline" runner,
   * the executor. With the "process" runner, runs, sessions and the output cache live in the runner.
   */
  runtime: Runtime;
  /** Where runs execute; the session and output caches, through stats() and free(). */
  runner: Runner;
  artifacts: ServerArtifacts;
  queue: SqliteRunQueue;
  worker: Worker;
  /** The worker pool when PETALFLOW_REDIS_URL is set (runs execute on `npm run worker` hosts), else null. */
  pool: PoolRunner | null;
  startedAt: Date;
  log: (message: string) => void;
  /** Stops the worker (cancelling what runs) and closes the database. */
  close(): Promise<void>;
}

export interface CreateAppOptions {
  /** Settings over the defaults (not over process.env: tests stay isolated). */
  env?: Partial<Env>;
  /** Start the worker (default true). False: runs stay queued (tests, tools). */
  startWorker?: boolean;
  /** How often the idle worker looks for runs (ms). */
  pollMs?: number;
  log?: (message: string) => void;
  /** Where runs execute (default: env PETALFLOW_RUNNER, itself "process" by default). */
  runner?: RunnerMode;
}

const MiB = 1024 * 1024;
/** Preview Image outputs are kept this long (then pruned at the next start). */
const PREVIEW_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** A temporary file older than this is a crash's leftover, not a write in progress (removed at start). */
const STALE_TEMP_MS = 10 * 60 * 1000;

export async function createApp(options: CreateAppOptions = {}): Promise<App> {
  return buildApp({ ...loadEnv({} as NodeJS.ProcessEnv), ...options.env }, options);
}

async function buildApp(env: Env, options: CreateAppOptions): Promise<App> {
  const log = options.log ?? ((m: string) => console.error(`[petalflow] ${m}`));
  const dataDir = env.PETALFLOW_DATA_DIR;
  const db = createServerDb(env.DATABASE_URL);
  const bus = new EventBus();
  const artifacts = new ServerArtifacts(db, dataDir);
  const runtime = createRuntime({
    modelsDir: env.PETALFLOW_MODELS_DIR,
    provider: env.PETALFLOW_PROVIDER,
    sessionBudgetBytes: env.PETALFLOW_SESSION_CACHE_MB * MiB,
    outputCacheBytes: env.PETALFLOW_OUTPUT_CACHE_MB * MiB,
    artifacts,
    limits: {
      maxPixels: env.PETALFLOW_MAX_PIXELS,
      maxWork: env.PETALFLOW_MAX_WORK,
      maxUploadBytes: env.PETALFLOW_MAX_UPLOAD_MB * MiB,
    },
    log,
  });
  const queue = new SqliteRunQueue(db, bus, {
    maxPerClient: env.PETALFLOW_MAX_QUEUE_PER_CLIENT,
    maxTotal: env.PETALFLOW_MAX_QUEUE,
    leaseMs: env.PETALFLOW_LEASE_MS,
    log,
  });
  const idleStats = () => inlineStats(runtime, { mode: "process", pid: null });
  const pool = env.PETALFLOW_REDIS_URL
    ? new PoolRunner({
        redisUrl: env.PETALFLOW_REDIS_URL,
        models: runtime.services.models,
        idleStats,
        log,
        settled: () => queue.settled(),
      })
    : null;
  const runner: Runner = pool
    ? pool
    : (options.runner ?? env.PETALFLOW_RUNNER) === "process"
      ? new ProcessRunner({
          env,
          log,
          idleStats: () => inlineStats(runtime, { mode: "process", pid: null }),
        })
      : new InlineRunner(runtime);
  const worker = new Worker(queue, runner, bus, {
    // With the pool, runs wait in BullMQ for a worker: the SQLite queue hands over up to this many.
    concurrency: pool ? env.PETALFLOW_POOL_MAX_ACTIVE : env.PETALFLOW_CONCURRENCY,
    pollMs: options.pollMs,
    progressIntervalMs: env.PETALFLOW_PROGRESS_INTERVAL_MS,
    log,
  });
  // A run left `running` by a process that is gone (crash, kill -9) is interrupted, never lost; one
  // whose owner is alive (a second server on this database) is left alone (server/queue/lease.ts).
  const leases = new LeaseKeeper(
    queue,
    () => (pool ? [...worker.running, ...pool.adopted] : worker.running),
    env.PETALFLOW_LEASE_MS,
    log,
  );
  try {
    // Runs a previous server handed to the pool and that still execute there are taken over, not interrupted.
    if (pool && options.startWorker !== false) {
      const running = await db.run.findMany({ where: { status: "running" }, select: { id: true } });
      await pool
        .adopt(
          queue,
          running.map((r) => r.id),
        )
        .catch((e: Error) => log(`pool: could not take runs over: ${e.message}`));
    }
    await queue.reclaimExpired();
  } catch (e) {
    if (/no such table/i.test(String((e as Error).message)))
      throw new Error(
        `the database ${env.DATABASE_URL} is not migrated: run \`npm run db:migrate\` (npm start does it)`,
        { cause: e },
      );
    throw e;
  }
  const pruned = await prunePreviews(db, dataDir, PREVIEW_MAX_AGE_MS).catch((e: Error) => {
    log(`could not prune old previews: ${e.message}`);
    return 0;
  });
  if (pruned) log(`removed ${pruned} Preview Image output(s) older than a day`);
  const temps = await removeStaleTemps(dataDir, STALE_TEMP_MS).catch((e: Error) => {
    log(`could not remove leftover temporary files: ${e.message}`);
    return 0;
  });
  if (temps) log(`removed ${temps} temporary file(s) left by an interrupted write`);
  leases.start();
  if (options.startWorker !== false) {
    pool?.start();
    worker.start();
  }
  return {
    env,
    version: pkg.version,
    dataDir,
    db,
    bus,
    runtime,
    runner,
    artifacts,
    queue,
    worker,
    pool,
    startedAt: new Date(),
    log,
    async close() {
      leases.stop();
      await worker.stop();
      await runner.close();
      await runtime.services.sessions.clear();
      await db.$disconnect();
    },
  };
}

const KEY = Symbol.for("petalflow.app");
type Holder = { [KEY]?: Promise<App> };

/** The process's app, created (and its worker started) on first use from the environment. */
export function getApp(): Promise<App> {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    const created = buildApp(loadProcessEnv(), {});
    holder[KEY] = created;
    created.catch(() => {
      if (holder[KEY] === created) delete holder[KEY];
    });
  }
  return holder[KEY];
}
