/**
 * The process-wide singletons: configuration, database, runtime (models, sessions, executor), queue,
 * worker and event bus. `getApp()` creates them once per process, keyed on globalThis because Next
 * can load this module more than once (route handlers, instrumentation); `createApp()` builds an
 * independent one for tests. The database must already be migrated (scripts/start.ts, tests).
 */
import pkg from "../package.json";
import { ContentArtifacts } from "./artifacts/content";
import { removeStaleTemps } from "./artifacts/files";
import { findLatentPath, prunePreviews } from "./artifacts/store";
import type { PrismaClient } from "./db/client";
import { createServerDb } from "./db/serialized";
import { ModelLibrary } from "./diffusion/models";
import { SessionCache } from "./diffusion/sessions";
import { type Env, loadEnv, env as loadProcessEnv } from "./env";
import { EventBus } from "./events/bus";
import { PoolRunner } from "./pool/pool-runner";
import { LeaseKeeper } from "./queue/lease";
import { SqliteRunQueue } from "./queue/queue";
import { Worker } from "./queue/worker";
import { ProcessRunnerPool } from "./runner/process-pool";
import { InlineRunner, idleStats, type Runner, type RunnerMode } from "./runner/runner";
import { createRuntime } from "./runtime/create";
import { runnerEnv, runtimeOptions } from "./runtime/options";
import type { RuntimeServices } from "./runtime/services";

export interface App {
  env: Env;
  version: string;
  dataDir: string;
  db: PrismaClient;
  bus: EventBus;
  /**
   * What this process needs of a runtime: the model library (models.list, health) and a session
   * cache (its provider report). The executor is the runner's: in this process only with the "inline"
   * runner; with the "process" runner, runs, loaded sessions and the output cache live there.
   */
  runtime: { services: Pick<RuntimeServices, "models" | "sessions"> };
  /** Where runs execute; the session and output caches, through stats() and free(). */
  runner: Runner;
  /** Where this process's runs (inline runner) and tools write files; rows go through the queue. */
  artifacts: ContentArtifacts;
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
  const queue = new SqliteRunQueue(db, bus, {
    maxPerClient: env.PETALFLOW_MAX_QUEUE_PER_CLIENT,
    maxTotal: env.PETALFLOW_MAX_QUEUE,
    leaseMs: env.PETALFLOW_LEASE_MS,
    log,
  });
  // This process is the only one writing SQLite: files a run writes (here or in a runner process)
  // come back as metadata, and the queue inserts their rows with the run's events.
  const onArtifact = (meta: Parameters<typeof queue.reportArtifact>[0], inline?: Uint8Array) =>
    queue.reportArtifact(meta, inline);
  const findLatent = (artifactId: string) => findLatentPath(db, artifactId);
  const artifacts = new ContentArtifacts(dataDir, { onArtifact, findLatent });
  const settings = runtimeOptions(env);
  let runtime: App["runtime"];
  let runner: Runner;
  let pool: PoolRunner | null = null;
  const mode = options.runner ?? env.PETALFLOW_RUNNER;
  if (env.PETALFLOW_REDIS_URL || mode === "process") {
    // Models (models.list) and a session cache for the provider report; runs execute in the runner
    // processes, or on the pool's worker hosts when PETALFLOW_REDIS_URL is set.
    const sessions = new SessionCache({
      budgetBytes: settings.sessionBudgetBytes,
      provider: settings.provider,
      log,
    });
    const models = new ModelLibrary(settings.modelsDir);
    runtime = { services: { models, sessions } };
    const idle = () => idleStats(sessions, settings.outputCacheBytes);
    if (env.PETALFLOW_REDIS_URL) {
      pool = new PoolRunner({
        redisUrl: env.PETALFLOW_REDIS_URL,
        models,
        idleStats: idle,
        log,
        settled: () => queue.settled(),
      });
      runner = pool;
    } else {
      runner = new ProcessRunnerPool(env.PETALFLOW_CONCURRENCY, {
        config: runnerEnv(env),
        onArtifact,
        findLatent,
        log,
        idleStats: idle,
      });
    }
  } else {
    const inline = createRuntime({ ...settings, artifacts, log });
    runtime = inline;
    runner = new InlineRunner(inline);
  }
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
    // A run enqueued while a slot is free goes to the worker in the enqueue's own transaction.
    queue.offerTo(worker);
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
