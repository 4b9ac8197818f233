/**
 * A pool worker (`npm run worker`, scripts/worker.ts): executes runs taken from BullMQ with the same
 * executor and node implementations as the server, and publishes their events to the server through
 * one Redis stream. It connects outward only (Redis, and the server's /api/worker/* for artifacts);
 * it never opens the database.
 *
 * Routing: a run's job waits in the queue of its set of models (protocol.ts `routeOf`); the worker
 * consumes the queues of every set whose hashes it holds, so a worker without a model never sees the
 * run. A job that prefers another live worker (cache affinity) is put back for a moment, until its
 * preference runs out. BullMQ locks each job while it runs; a worker that dies (kill -9) stops renewing
 * the lock, and another worker's stalled check puts the job back once (maxStalledCount 1), then fails it.
 */

import { randomBytes } from "node:crypto";
import os from "node:os";
import { Worker as BullWorker, DelayedError, type Job } from "bullmq";
import { Redis } from "ioredis";
import type { RunEvent } from "../../core/run/events";
import { failedRunSummary, type RunSummary } from "../engine/executor";
import type { Runtime } from "../runtime/create";
import { libraryModels } from "./model-hash";
import {
  jobDataSchema,
  type ModelRef,
  POOL,
  type StreamEntry,
  type WorkerRecord,
  workerRecordSchema,
} from "./protocol";

export interface WorkerHostOptions {
  redisUrl: string;
  runtime: Runtime;
  provider: () => Promise<string>;
  id?: string;
  /** Heartbeat period (ms); the registry entry expires after three missed ones. */
  heartbeatMs?: number;
  /** BullMQ lock of a running job (ms): how long a dead worker holds its job before the stalled check. */
  lockMs?: number;
  log?: (message: string) => void;
}

/** Whether a job is left to the worker it prefers, from that worker's registry entry: alive and idle. */
export function leaveToPreferred(entry: string | null): boolean {
  if (!entry) return false; // gone
  try {
    const parsed = workerRecordSchema.safeParse(JSON.parse(entry));
    return parsed.success && parsed.data.currentRun === null;
  } catch {
    return false;
  }
}

export class PoolWorkerHost {
  readonly id: string;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #workers = new Map<string, BullWorker>();
  readonly #active = new Map<string, AbortController>();
  #models: ModelRef[] = [];
  #runsDone = 0;
  #current: string | null = null;
  /** The execution provider as last read (a heartbeat's entry can then be written at once). */
  #provider = "none";
  #busy: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #startedAt = Date.now();
  // Read once: a heartbeat goes out at every run's start and end.
  readonly #host = os.hostname();
  readonly #totalMemory = os.totalmem();

  constructor(private readonly opts: WorkerHostOptions) {
    this.id = opts.id ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.#redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
    this.#sub = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
    for (const r of [this.#redis, this.#sub]) r.on("error", (e) => this.#log(`redis: ${e.message}`));
  }

  #log(m: string): void {
    this.opts.log?.(`[worker ${this.id}] ${m}`);
  }

  get heartbeatMs(): number {
    return this.opts.heartbeatMs ?? 2000;
  }

  /** The models this worker holds (content-hashed once at start). */
  get models(): readonly ModelRef[] {
    return this.#models;
  }

  async start(): Promise<void> {
    this.#models = await libraryModels(this.opts.runtime.services.models);
    await this.#heartbeat();
    await this.#sub.subscribe(POOL.cancelChannel, POOL.routesChannel);
    this.#sub.on("message", (channel, message) => {
      if (channel === POOL.cancelChannel) this.#active.get(message)?.abort();
      else void this.#syncRoutes();
    });
    await this.#syncRoutes();
    this.#timer = setInterval(() => {
      void this.#heartbeat().catch((e) => this.#log(`heartbeat: ${(e as Error).message}`));
      void this.#syncRoutes();
    }, this.heartbeatMs);
  }

  async #heartbeat(): Promise<void> {
    if (this.#closed) return;
    this.#provider = await this.opts.provider().catch(() => "none");
    await this.#beat();
  }

  /** Writes the registry entry now (with the provider last read), before any later command on #redis. */
  #beat(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const record: WorkerRecord = {
      id: this.id,
      host: this.#host,
      pid: process.pid,
      provider: this.#provider,
      memory: { rss: process.memoryUsage.rss(), total: this.#totalMemory }, // rss() alone: no heap walk
      models: this.#models,
      currentRun: this.#current,
      runsDone: this.#runsDone,
      modelLoads: this.opts.runtime.services.sessions.stats().loads,
      startedAt: this.#startedAt,
      lastHeartbeat: Date.now(),
    };
    // Two commands back to back (one round trip), not MULTI/EXEC: the entry is set before the id is
    // added, on one connection, so a reader never finds the id without its entry, and a heartbeat goes
    // out at every run's start and end as well as periodically (4 commands and a pipeline object each).
    const set = this.#redis.set(POOL.worker(this.id), JSON.stringify(record), "PX", this.heartbeatMs * 3);
    set.catch(() => undefined); // its error is thrown below
    return this.#redis
      .sadd(POOL.workers, this.id)
      .then(() => set)
      .then(() => undefined);
  }

  /** Starts a BullMQ worker on every route whose models this worker holds. */
  async #syncRoutes(): Promise<void> {
    if (this.#closed) return;
    let routes: Record<string, string>;
    try {
      routes = await this.#redis.hgetall(POOL.routes);
    } catch (e) {
      this.#log(`reading routes: ${(e as Error).message}`);
      return;
    }
    const mine = new Set(this.#models.map((m) => m.hash));
    for (const [route, json] of Object.entries(routes)) {
      if (this.#workers.has(route)) continue;
      let hashes: string[];
      try {
        hashes = JSON.parse(json) as string[];
      } catch {
        continue;
      }
      if (!hashes.every((h) => mine.has(h))) continue;
      const lockDuration = this.opts.lockMs ?? 30_000;
      const w = new BullWorker(POOL.queue(route), (job, token) => this.#process(job, token), {
        connection: this.#redis.duplicate(),
        prefix: POOL.bullPrefix,
        concurrency: 1,
        lockDuration,
        stalledInterval: lockDuration,
        maxStalledCount: 1,
        name: this.id,
      });
      w.on("error", (e) => this.#log(`queue ${route}: ${e.message}`));
      this.#workers.set(route, w);
      this.#log(`serving route ${route}`);
    }
  }

  async #process(job: Job, token: string | undefined): Promise<Omit<RunSummary, "outputs">> {
    const data = jobDataSchema.parse(job.data);
    if (data.prefer && data.prefer !== this.id && Date.now() < data.preferUntil) {
      // The preferred worker's cache holds this graph's unchanged part: leave it the job a moment, but
      // only while it is idle. One that took another run meanwhile would leave this job bouncing between
      // the others (a burst: each bounce a round of Redis scripts, the job behind every later one) for
      // all of preferUntil, while this worker stands idle.
      if (leaveToPreferred(await this.#redis.get(POOL.worker(data.prefer)))) {
        await job.moveToDelayed(Date.now() + 50, token);
        throw new DelayedError();
      }
    }
    // One run at a time per worker, whichever route it came from.
    const previous = this.#busy;
    let release!: () => void;
    this.#busy = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    this.#log(`run ${data.runId}: attempt ${job.attemptsStarted}`);
    try {
      // The summary is also the job's return value: a restarted server reads it if the stream entry is gone.
      return await this.#execute(data.runId, data, job.attemptsStarted);
    } finally {
      release();
    }
  }

  async #execute(
    runId: string,
    data: ReturnType<typeof jobDataSchema.parse>,
    attempt: number,
  ): Promise<Omit<RunSummary, "outputs">> {
    const abort = new AbortController();
    this.#active.set(runId, abort);
    this.#current = runId;
    void this.#heartbeat().catch(() => undefined);
    const publish = this.#publisher(runId, attempt);
    const started = performance.now();
    let summary: Omit<RunSummary, "outputs">;
    try {
      // A cancel that came while the job waited (and a worker had locked it) left this key: it is read
      // while the run starts rather than before, one round trip fewer on the run's way; the executor
      // stops at its next step, as for a cancel during the run.
      void this.#redis.exists(POOL.cancel(runId)).then(
        (n) => n && abort.abort(),
        () => undefined,
      );
      const { outputs: _o, ...s } = await this.opts.runtime.executor.run(data.document, {
        runId,
        signal: abort.signal,
        previews: data.previews,
        progressIntervalMs: data.progressIntervalMs,
        onEvent: (e: RunEvent) => publish.event(e),
      });
      summary = s;
    } catch (e) {
      const { outputs: _o, ...s } = failedRunSummary(runId, started, {
        message: `internal error on worker ${this.id}: ${(e as Error).message}`,
        code: "internal",
      });
      summary = s;
    } finally {
      this.#active.delete(runId);
    }
    // Idle in the registry before the run's end is in the stream (same connection, so Redis has the entry
    // first): the server that reads the end and takes the next run (a seed-only rerun) must not find this
    // worker still busy with it, or it prefers no worker and the rerun misses this worker's cache.
    this.#runsDone++;
    this.#current = null;
    void this.#beat().catch(() => undefined);
    await publish.done(summary);
    return summary;
  }

  /**
   * A run's events go to the stream in order, on one connection. While one write is in flight, the
   * events that come meanwhile wait and then go together as one entry (`events`), so a burst (cached
   * nodes, a node finishing and the next starting) costs one XADD and one server read, not one each,
   * and no event waits for a timer. The run's end (`done`) follows its last events in the same round trip.
   * A batch of nothing but progress events goes out on the progress channel instead (PUBLISH: no
   * append-only-file write, no acknowledgement): progress is live-only, and lossy by design.
   */
  #publisher(runId: string, attempt: number) {
    let n = 0;
    let waiting: RunEvent[] = [];
    let summary: unknown;
    let sending: Promise<void> | null = null;
    const entry = (kind: StreamEntry["kind"], payload: unknown, live = false) => {
      const e: StreamEntry = { runId, workerId: this.id, attempt, n: live ? n : n++, kind, payload };
      return JSON.stringify(e);
    };
    const send = async () => {
      while (waiting.length || summary !== undefined) {
        const batch = waiting;
        const end = summary;
        waiting = [];
        summary = undefined;
        if (end === undefined && batch.every((e) => e.type === "node.progress")) {
          // Live-only (not stored): published, not appended to the stream. Sent after the previous
          // write's reply, so Redis has the node.started before it; the server reads the two on separate
          // connections and holds a report that still overtakes it (pool-runner.ts #onLive).
          const live = entry(
            batch.length === 1 ? "event" : "events",
            batch.length === 1 ? batch[0] : batch,
            true,
          );
          await this.#redis.publish(POOL.progressChannel, live).catch((e: Error) => {
            this.#log(`could not publish progress of run ${runId}: ${e.message}`);
          });
          continue;
        }
        const entries: string[] = [];
        if (batch.length === 1) entries.push(entry("event", batch[0]));
        else if (batch.length) entries.push(entry("events", batch));
        if (end !== undefined) entries.push(entry("done", end));
        const xadd = ["MAXLEN", "~", "1000000", "*", "e"] as const;
        try {
          if (entries.length === 1) await this.#redis.xadd(POOL.events, ...xadd, entries[0]);
          else {
            const p = this.#redis.pipeline();
            for (const e of entries) p.xadd(POOL.events, ...xadd, e);
            const results = (await p.exec()) ?? [];
            const failed = results.find(([err]) => err);
            if (failed?.[0]) throw failed[0];
          }
        } catch (e) {
          this.#log(`could not publish ${entries.length} entries of run ${runId}: ${(e as Error).message}`);
        }
      }
      sending = null;
    };
    const kick = () => {
      sending ??= send();
      return sending;
    };
    return {
      event: (e: RunEvent): void => {
        waiting.push(e);
        void kick();
      },
      /** Resolves once the run's last events and its end are in the stream. */
      done: async (s: unknown): Promise<void> => {
        summary = s;
        // A send in flight may have passed its loop check already: wait for it, then send what is left.
        while (sending) await sending;
        if (summary !== undefined) await kick();
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const a of this.#active.values()) a.abort();
    await Promise.all([...this.#workers.values()].map((w) => w.close()));
    await this.#redis
      .multi()
      .del(POOL.worker(this.id))
      .srem(POOL.workers, this.id)
      .exec()
      .catch(() => undefined);
    this.#redis.disconnect();
    this.#sub.disconnect();
  }
}
