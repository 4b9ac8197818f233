/**
 * The server side of the worker pool (PETALFLOW_REDIS_URL set): a Runner whose `run()` hands the run
 * to BullMQ and resolves when a worker reports its end, so the SQLite queue, the worker loop, the
 * run-ownership lease, event persistence and the SSE streams work exactly as with the runner child.
 *
 * - Routing: the job goes to the queue of the graph's set of models, identified by content hash of
 *   the server's own model folders (protocol.ts). When no live worker holds them, each Model Loader
 *   gets a warning naming the model and its hash, and the run waits.
 * - Events: workers append to one Redis stream; this process reads it in a consumer group and
 *   acknowledges an entry once it has been handed to the queue (which writes it to SQLite).
 * - Cancel: a cancel key (seen by a worker that starts the job later) and a pub/sub notice (seen by the
 *   worker running it); a job still waiting is removed at once.
 * - Faults: a watchdog reads each job's state: `failed` (stalled twice: two workers died with it) ends
 *   the run interrupted; a job whose worker is gone with no other live worker able to take it is removed
 *   and the run interrupted; a job that vanished (Redis lost it) is added again under the same id.
 */
import { createHash, randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { NodeResult, RunEvent } from "../../core/run/events";
import type { ModelLibrary } from "../diffusion/models";
import { failedRunSummary, type RunOptions, type RunSummary } from "../engine/executor";
import type { FreedBytes, Runner, RunnerStats, WireSummary } from "../runner/runner";
import { AffinityMap, graphKeys } from "./affinity";
import { hashModelDir, modelIdsOf } from "./model-hash";
import {
  type JobData,
  type ModelRef,
  POOL,
  routeOf,
  type StreamEntry,
  streamEntrySchema,
  type WorkerRecord,
  workerRecordSchema,
} from "./protocol";

export interface PoolRunnerOptions {
  redisUrl: string;
  models: ModelLibrary;
  idleStats: () => Promise<RunnerStats>;
  log?: (message: string) => void;
  /** How often the watchdog looks at the jobs of running runs (ms). */
  watchMs?: number;
  /**
   * How long a run's worker must stay gone, with no other live worker holding its models, before the
   * run is interrupted (ms; default 10 s: longer than a Redis restart, during which heartbeats lapse).
   */
  orphanMs?: number;
  /** Resolves once the events handed to the queue so far are stored (then the stream is acknowledged). */
  settled?: () => Promise<void>;
  /** How long other workers leave a job to the worker whose cache holds its graph (ms). */
  preferMs?: number;
  /**
   * How long a run whose job BullMQ reports completed may miss its "done" stream entry before it ends
   * with the job's return value (ms; default 30 s: the entry is normally read long before).
   */
  lostDoneMs?: number;
  /**
   * How long no live worker may hold a waiting run's models before its Model Loaders say so (ms;
   * default 5 s: registry entries lapse for a moment while Redis restarts, which is no reason to warn).
   */
  noWorkerMs?: number;
}

type ProgressEvent = Extract<RunEvent, { type: "node.progress" }>;

interface PendingRun {
  route: string;
  models: ModelRef[];
  keys: string[];
  started: number;
  onEvent?: (event: RunEvent) => void;
  results: Record<string, NodeResult>;
  current: { nodeId: string; nodeType: string } | null;
  workerId: string | null;
  attempt: number;
  loaders: { nodeId: string; model: string }[];
  warnedNoWorker: boolean;
  /** Since when no live worker holds its models (ms), or null. */
  noWorkerSince?: number | null;
  /** Since when its worker is gone with no other able to take the job over (ms), or null. */
  orphanSince: number | null;
  /** Since when its job is completed in BullMQ while its "done" entry has not been read (ms), or null. */
  completedSince?: number | null;
  /** The last stream entry taken (per attempt): an entry written twice is dropped. */
  lastN: number;
  /** A live progress event that came before the stream's node.started of its node (held until then). */
  early?: ProgressEvent | null;
  /** The step of the current node's last progress event passed on (an older one is dropped). */
  lastStep?: number;
  /** The job as added (added again if Redis loses it). */
  data: JobData | null;
  resolve: (summary: RunSummary) => void;
}

export interface PoolWorkerView extends WorkerRecord {
  alive: boolean;
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** The connection name of the server's event-stream reader (visible in CLIENT LIST). */
export const EVENTS_READER = "petalflow-events";

export class PoolRunner implements Runner {
  readonly mode = "pool" as const;
  readonly #redis: Redis;
  readonly #reader: Redis;
  /** Subscribed to the live-only progress channel. */
  readonly #live: Redis;
  readonly #queues = new Map<string, Queue>();
  readonly #runs = new Map<string, PendingRun>();
  readonly #affinity = new AffinityMap();
  /** Every worker seen, so one that stopped heartbeating is listed as gone. */
  readonly #seen = new Map<string, WorkerRecord>();
  /** The workers alive at the last registry read (their entries are read with the set the next time). */
  #alive: string[] = [];
  /** One name across restarts: a restarted server first reads what its predecessor left unacknowledged. */
  readonly #consumer = "server";
  /** Runs taken over from a previous server process (adopt()); the lease keeper heartbeats them. */
  readonly #adopted = new Set<string>();
  #closed = false;
  /** Read this consumer's pending entries (from id 0) before new ones. */
  #backlog = true;
  /** Counts the event reader's lost connections: a read that spans one may have lost its reply. */
  #readerDrops = 0;
  #loop: Promise<void> | null = null;
  #watch: NodeJS.Timeout | null = null;

  constructor(private readonly opts: PoolRunnerOptions) {
    this.#redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
    this.#reader = new Redis(opts.redisUrl, { maxRetriesPerRequest: null, connectionName: EVENTS_READER });
    for (const r of [this.#redis, this.#reader]) r.on("error", (e) => this.#log(`redis: ${e.message}`));
    this.#reader.on("close", () => this.#readerDrops++);
    this.#live = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
    this.#live.on("error", (e) => this.#log(`redis: ${e.message}`));
  }

  #log(m: string): void {
    this.opts.log?.(`pool: ${m}`);
  }

  /** Starts reading the event stream and watching jobs. */
  start(): void {
    if (this.#loop) return;
    this.#loop = this.#readLoop();
    this.#live.on("message", (_channel, json: string) => this.#onLive(json));
    // ioredis subscribes again after a reconnect (a Redis restart).
    this.#live
      .subscribe(POOL.progressChannel)
      .catch((e: Error) => this.#log(`progress channel: ${e.message}`));
    this.#watch = setInterval(() => void this.#watchdog(), this.opts.watchMs ?? 1000);
    this.#watch.unref();
  }

  #queue(route: string): Queue {
    let q = this.#queues.get(route);
    if (!q) {
      q = new Queue(POOL.queue(route), { connection: this.#redis, prefix: POOL.bullPrefix });
      q.on("error", (e) => this.#log(`queue ${route}: ${e.message}`));
      this.#queues.set(route, q);
    }
    return q;
  }

  /** The workers in the registry (alive) and those seen before that stopped heartbeating (gone). */
  async workers(): Promise<PoolWorkerView[]> {
    // The entries of the workers alive at the last read are read with the set, back to back (one round
    // trip: this read is on every run's way to its job); only a worker new since then costs a second.
    const last = this.#alive;
    const members = this.#redis.smembers(POOL.workers);
    const lastValues = last.length ? this.#redis.mget(...last.map((id) => POOL.worker(id))) : null;
    lastValues?.catch(() => undefined); // its error is thrown below, after the set's
    const ids = await members;
    const known = new Map<string, string | null>();
    for (const [i, v] of ((await lastValues) ?? []).entries()) known.set(last[i], v);
    const fresh = ids.filter((id) => !known.has(id));
    const freshValues = fresh.length ? await this.#redis.mget(...fresh.map((id) => POOL.worker(id))) : [];
    for (const [i, v] of freshValues.entries()) known.set(fresh[i], v);
    const values = ids.map((id) => known.get(id) ?? null);
    const alive = new Set<string>();
    values.forEach((v, i) => {
      if (!v) {
        void this.#redis.srem(POOL.workers, ids[i]).catch(() => undefined);
        return;
      }
      const parsed = workerRecordSchema.safeParse(JSON.parse(v));
      if (!parsed.success) return;
      alive.add(parsed.data.id);
      this.#seen.set(parsed.data.id, parsed.data);
    });
    this.#alive = [...alive];
    return [...this.#seen.values()]
      .map((w) => ({ ...w, alive: alive.has(w.id) }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The models a document loads, with the content hashes of the server's folders of those names. */
  async #modelRefs(document: unknown): Promise<ModelRef[]> {
    const refs: ModelRef[] = [];
    for (const id of modelIdsOf(document)) {
      const info = await this.opts.models.get(id); // throws "no model …" naming the usable ones
      refs.push({ id, hash: await hashModelDir(info.dir) });
    }
    return refs;
  }

  async run(document: unknown, opts: RunOptions = {}): Promise<RunSummary> {
    const runId = opts.runId ?? randomUUID();
    const started = performance.now();
    // The registry is read while the model folders are hashed (both on the run's way to its job).
    const reading = this.workers().catch(() => null); // null: Redis is away
    let models: ModelRef[];
    try {
      models = await this.#modelRefs(document);
    } catch (e) {
      return failedRunSummary(runId, started, { message: (e as Error).message, code: "model_not_found" });
    }
    const route = routeOf(models, sha);
    const keys = graphKeys(document);
    const registry = await reading;
    const capable = (registry ?? []).filter((w) => w.alive && holdsAll(w, models));
    // A worker that a waiting run of ours already prefers is not free for the next one: otherwise a
    // burst of reruns of one graph all wait for the same warm worker while the others stay idle.
    const awaited = new Set<string>();
    for (const r of this.#runs.values())
      if (r.workerId === null && r.data?.prefer) awaited.add(r.data.prefer);
    const idle = capable.filter((w) => !w.currentRun && !awaited.has(w.id)).map((w) => w.id);
    const prefer = this.#affinity.best(keys, idle);
    const nodes = ((document as { nodes?: { id: string; type: string; params?: { model?: unknown } }[] })
      .nodes ?? []) as { id: string; type: string; params?: { model?: unknown } }[];
    const pending: PendingRun = {
      route,
      models,
      keys,
      started,
      onEvent: opts.onEvent,
      results: {},
      current: null,
      workerId: null,
      attempt: -1,
      loaders: nodes
        .filter((n) => n.type === "model-loader" && typeof n.params?.model === "string")
        .map((n) => ({ nodeId: n.id, model: n.params?.model as string })),
      warnedNoWorker: false,
      orphanSince: null,
      lastN: -1,
      data: null,
      resolve: () => undefined,
    };
    const summary = new Promise<RunSummary>((resolve) => {
      pending.resolve = resolve;
    });
    this.#runs.set(runId, pending);
    // The warning waits for the watchdog to see the lack last (an empty registry may be a Redis restart).
    if (registry && !capable.length) pending.noWorkerSince = Date.now();
    const data: JobData = {
      runId,
      document,
      previews: opts.previews !== false,
      progressIntervalMs: opts.progressIntervalMs ?? 0,
      models,
      prefer,
      preferUntil: Date.now() + (this.opts.preferMs ?? 3000),
    };
    pending.data = data;
    try {
      // The route is written at every run (Redis may have lost it), in the same round trip as the job,
      // but announced to the workers only when it is new there: a notice makes every worker read the
      // routes again (a worker that starts serving the route then finds the job waiting).
      const [added] = await Promise.all([
        this.#redis.hset(POOL.routes, route, JSON.stringify(models.map((m) => m.hash).sort())),
        this.#add(route, data),
      ]);
      if (added) await this.#redis.publish(POOL.routesChannel, route);
    } catch (e) {
      this.#runs.delete(runId);
      return failedRunSummary(runId, started, {
        message: `could not queue the run in Redis: ${(e as Error).message}`,
        code: "pool_unavailable",
      });
    }
    const signal = opts.signal;
    const onAbort = () => void this.#cancel(runId);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await summary;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #add(route: string, data: JobData) {
    // jobId = run id: adding the same run twice is a no-op, so a retried add cannot duplicate a run.
    return this.#queue(route).add("run", data, {
      jobId: data.runId,
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 24 * 3600 },
    });
  }

  #warnNoWorker(runId: string, run: PendingRun): void {
    if (run.warnedNoWorker) return;
    run.warnedNoWorker = true;
    for (const l of run.loaders) {
      const ref = run.models.find((m) => m.id === l.model);
      run.onEvent?.({
        type: "node.warning",
        runId,
        nodeId: l.nodeId,
        nodeType: "model-loader",
        message: `no worker has the model "${l.model}"${ref ? ` (sha256 ${ref.hash.slice(0, 12)}…)` : ""}: the run waits for one`,
      });
    }
    this.#log(`run ${runId} waits: no live worker has ${run.models.map((m) => m.id).join(", ")}`);
  }

  async #cancel(runId: string): Promise<void> {
    const run = this.#runs.get(runId);
    if (!run) return;
    try {
      await this.#redis
        .multi()
        .set(POOL.cancel(runId), "1", "EX", 24 * 3600)
        .publish(POOL.cancelChannel, runId)
        .exec();
      const job = await this.#queue(run.route).getJob(runId);
      const state = await job?.getState();
      if (job && (state === "waiting" || state === "delayed" || state === "prioritized")) {
        await job.remove();
        this.#end(runId, { status: "cancelled" });
      }
    } catch (e) {
      // A job that a worker locked meanwhile cannot be removed: that worker sees the cancel key.
      this.#log(`cancel of ${runId}: ${(e as Error).message}`);
    }
  }

  /** Ends a pending run from here (cancelled before any worker took it, or interrupted). */
  #end(
    runId: string,
    how: { status: "cancelled" } | { status: "failed"; message: string; code: string },
  ): void {
    const run = this.#runs.get(runId);
    if (!run) return;
    this.#runs.delete(runId);
    const ms = performance.now() - run.started;
    if (how.status === "cancelled") {
      const summary: RunSummary = {
        runId,
        status: "cancelled",
        ms,
        results: run.results,
        outputs: new Map(),
        files: [],
        seeds: {},
      };
      run.onEvent?.({ type: "run.cancelled", runId, ms, results: run.results });
      run.resolve(summary);
      return;
    }
    if (run.current) run.results[run.current.nodeId] = { status: "failed", ms: 0, error: how.message };
    run.resolve(
      failedRunSummary(
        runId,
        run.started,
        { message: how.message, code: how.code, ...(run.current ?? {}) },
        run.results,
      ),
    );
  }

  async #readLoop(): Promise<void> {
    // The group is created at start and after an error (a Redis restarted without it), not per read.
    let group = false;
    // Entries stored but not yet acknowledged: the acknowledgement goes with the next read, one round trip.
    let stored: string[] = [];
    while (!this.#closed) {
      try {
        if (!group) {
          await this.#reader
            .xgroup("CREATE", POOL.events, POOL.eventsGroup, "0", "MKSTREAM")
            .catch((e: Error) => {
              if (!/BUSYGROUP/.test(e.message)) throw e;
            });
          group = true;
        }
        const backlog = this.#backlog; // first this consumer's own unacknowledged entries, then new ones
        const drops = this.#readerDrops;
        // The acknowledgement and the read are sent back to back on this connection (one round trip):
        // as two commands rather than an ioredis pipeline, whose batch object cost this loop more CPU
        // than the commands themselves (≈ 80 µs a read, about 7 reads a run). Redis answers in order.
        const ack = stored.length ? this.#reader.xack(POOL.events, POOL.eventsGroup, ...stored) : null;
        ack?.catch(() => undefined); // its error is thrown below, after the read's
        const res = (await this.#reader.xreadgroup(
          "GROUP",
          POOL.eventsGroup,
          this.#consumer,
          "COUNT",
          200,
          "BLOCK",
          1000,
          "STREAMS",
          POOL.events,
          backlog ? "0" : ">",
        )) as [string, [string, string[]][]][] | null;
        await ack;
        stored = [];
        const entries = res?.[0]?.[1] ?? [];
        if (!backlog && drops !== this.#readerDrops) {
          // The connection dropped during this read and ioredis sent it again. A reply lost then (Redis
          // shutting down before writing it) left its entries delivered to this consumer but never seen:
          // read the pending entries from the start first, so that every one is taken, in order.
          this.#backlog = true;
          continue;
        }
        if (backlog && !entries.length) this.#backlog = false;
        if (!entries.length) continue;
        for (const [, fields] of entries) this.#onEntry(fields[1]);
        // Acknowledged only once stored: a server killed now reads these entries again at its restart.
        await this.opts.settled?.();
        stored = entries.map(([id]) => id);
      } catch (e) {
        if (this.#closed) return;
        // A read whose reply was lost (Redis restarting) left entries delivered but unseen: read the
        // pending ones again (entries seen twice are dropped by their number).
        this.#backlog = true;
        group = false;
        this.#log(`reading events: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  #onEntry(json: string | undefined): void {
    let entry: StreamEntry;
    try {
      entry = streamEntrySchema.parse(JSON.parse(json ?? "null"));
    } catch (e) {
      this.#log(`dropped a malformed stream entry: ${(e as Error).message.slice(0, 200)}`);
      return;
    }
    const run = this.#runs.get(entry.runId);
    if (!run) return; // ended here already (cancelled, interrupted) or not this server's run
    if (entry.attempt < run.attempt) return; // a worker that lost the job to a retry
    if (entry.attempt === run.attempt && entry.n <= run.lastN) return; // delivered twice
    if (entry.attempt > run.attempt) {
      if (run.workerId !== null)
        this.#log(
          `run ${entry.runId}: worker ${run.workerId} stopped; attempt ${entry.attempt} on ${entry.workerId}`,
        );
      run.attempt = entry.attempt;
      run.workerId = entry.workerId;
      run.current = null;
      run.early = null;
    }
    run.lastN = entry.n;
    if (entry.kind === "done") {
      this.#runs.delete(entry.runId);
      const s = entry.payload as WireSummary;
      if (s.status === "succeeded") this.#affinity.record(entry.workerId, run.keys);
      run.resolve({ ...s, outputs: new Map() });
      return;
    }
    if (entry.kind === "events") {
      if (!Array.isArray(entry.payload)) this.#log(`run ${entry.runId}: dropped a malformed events entry`);
      else for (const e of entry.payload as RunEvent[]) this.#take(run, e);
    } else this.#take(run, entry.payload as RunEvent);
    // A progress event that overtook this entry's node.started goes after the entry's own events.
    const early = run.early;
    if (early && run.current?.nodeId === early.nodeId) {
      run.early = null;
      this.#progress(run, early);
    }
  }

  /**
   * A live-only message (progress events, pub/sub). The channel and the stream arrive on two connections,
   * so either may come first: a progress event is passed on only while its node runs as far as the stream
   * has been read, never before its node.started (one that overtook it waits for it, the latest only) nor
   * after its node.finished (dropped, as a throttled progress event may be anyway), and steps only rise.
   */
  #onLive(json: string): void {
    let entry: StreamEntry;
    try {
      entry = streamEntrySchema.parse(JSON.parse(json));
    } catch {
      return;
    }
    const run = this.#runs.get(entry.runId);
    if (!run || entry.attempt !== run.attempt || entry.workerId !== run.workerId) return;
    const events = (entry.kind === "events" ? entry.payload : [entry.payload]) as RunEvent[];
    if (!Array.isArray(events)) return;
    for (const e of events) {
      if (e?.type !== "node.progress") continue;
      if (run.current?.nodeId === e.nodeId) this.#progress(run, e);
      else if (!(e.nodeId in run.results)) run.early = e;
    }
  }

  /** A stream entry's event. Its progress events too may have been overtaken by a later live one. */
  #take(run: PendingRun, e: RunEvent): void {
    if (e.type === "node.progress") this.#progress(run, e);
    else this.#onEvent(run, e);
  }

  #progress(run: PendingRun, e: ProgressEvent): void {
    if (e.step > (run.lastStep ?? 0)) this.#onEvent(run, e);
  }

  #onEvent(run: PendingRun, e: RunEvent): void {
    if (e.type === "node.progress") run.lastStep = e.step;
    if (e.type === "node.started") {
      run.current = { nodeId: e.nodeId, nodeType: e.nodeType };
      run.lastStep = 0;
    }
    if (e.type === "node.finished") run.results[e.nodeId] = { status: "ran", ms: e.ms };
    else if (e.type === "node.cached") run.results[e.nodeId] = { status: "cached", ms: 0 };
    else if (e.type === "node.skipped") run.results[e.nodeId] = { status: "skipped", ms: 0 };
    else if (e.type === "node.failed")
      run.results[e.nodeId] = { status: "failed", ms: 0, error: e.error.message };
    if (e.type !== "node.progress" && e.type !== "node.started" && e.type !== "node.warning")
      run.current = null;
    try {
      run.onEvent?.(e);
    } catch {
      // A listener's bug must not break the run.
    }
  }

  async #watchdog(): Promise<void> {
    if (!this.#runs.size) return;
    let workers: PoolWorkerView[];
    let jobs: JobFields[];
    const runs = [...this.#runs];
    try {
      workers = await this.workers();
      // One round trip for every pending run: a few fields of its job's hash, not the whole job (whose
      // data is the graph) and BullMQ's state script (≈ 6 commands) per run and per second, which a
      // burst of queued runs paid in Redis commands and server CPU the whole time they waited.
      const p = this.#redis.pipeline();
      for (const [runId, run] of runs) p.hmget(this.#queue(run.route).toKey(runId), ...JOB_FIELDS);
      jobs = ((await p.exec()) ?? []).map(([error, v]) => {
        if (error) throw error;
        const [timestamp, finishedOn, failedReason, returnvalue, processedBy] = v as (string | null)[];
        return { timestamp, finishedOn, failedReason, returnvalue, processedBy };
      });
    } catch {
      return; // Redis is away: nothing can be decided
    }
    for (const [i, [runId, run]] of runs.entries()) {
      try {
        if (!this.#runs.has(runId)) continue;
        const job = jobs[i];
        const capable = workers.filter((w) => w.alive && holdsAll(w, run.models));
        if (job.timestamp === null) {
          // Redis lost it (restarted without its append-only file): queue it again, same id.
          this.#log(`run ${runId}: its job is gone from Redis; queued again`);
          await this.#redis.hset(
            POOL.routes,
            run.route,
            JSON.stringify(run.models.map((m) => m.hash).sort()),
          );
          if (run.data) await this.#add(run.route, run.data);
          continue;
        }
        // Finished: BullMQ sets finishedOn with the return value (completed) or failedReason (failed).
        const state =
          job.finishedOn !== null
            ? job.failedReason !== null
              ? "failed"
              : "completed"
            : capable.length
              ? "unfinished" // active or waiting, and a live worker can run it: nothing to decide
              : await this.#queue(run.route).getJobState(runId); // which of the two decides
        if (state !== "completed") run.completedSince = null;
        if (state !== "active") run.orphanSince = null;
        if (state === "unfinished") run.noWorkerSince = null;
        if (state === "completed") {
          // Its worker finished but the "done" entry has not come: read the pending entries again, and
          // if it is lost for good (trimmed, or Redis lost it), end the run with the job's return value,
          // which is the same summary. A run must not stay `running` once its job is done.
          run.completedSince ??= Date.now();
          this.#backlog = true;
          const value = parseJson(job.returnvalue) as WireSummary | null;
          if (Date.now() - run.completedSince >= (this.opts.lostDoneMs ?? 30_000) && value?.status) {
            this.#log(
              `run ${runId}: its job completed but its end never came through the stream; ended from the job`,
            );
            this.#runs.delete(runId);
            if (value.status === "succeeded" && job.processedBy)
              this.#affinity.record(job.processedBy, run.keys);
            run.resolve({ ...value, runId, outputs: new Map() });
          }
        } else if (state === "failed") {
          this.#end(runId, {
            status: "failed",
            code: "interrupted",
            message: `interrupted: the worker running it stopped, and so did its retry (${job.failedReason})`,
          });
        } else if (state === "active") {
          // No live worker holds its models (else it is "unfinished"): orphaned unless its own worker lives.
          const owner = run.workerId ?? job.processedBy ?? null;
          const ownerAlive = owner ? workers.some((w) => w.id === owner && w.alive) : true;
          if (ownerAlive) run.orphanSince = null;
          else run.orphanSince ??= Date.now();
          // Only once it has lasted: registry entries also lapse while Redis restarts.
          if (run.orphanSince !== null && Date.now() - run.orphanSince >= (this.opts.orphanMs ?? 10_000)) {
            // The cancel key stops a worker that comes later from running it; the job is removed once
            // the dead worker's lock has expired (until then Redis refuses), then the run ends here.
            await this.#redis.set(POOL.cancel(runId), "1", "EX", 24 * 3600);
            const removed = await this.#queue(run.route)
              .remove(runId)
              .then(
                (n) => n === 1,
                () => false,
              );
            if (!removed) continue;
            this.#end(runId, {
              status: "failed",
              code: "interrupted",
              message: `interrupted: worker ${owner} stopped during the run and no other worker has its models`,
            });
          }
        } else if (state !== "unfinished") {
          run.noWorkerSince ??= Date.now();
          if (Date.now() - run.noWorkerSince >= (this.opts.noWorkerMs ?? 5000))
            this.#warnNoWorker(runId, run);
        }
      } catch (e) {
        this.#log(`watching run ${runId}: ${(e as Error).message}`);
      }
    }
  }

  /** Runs this process took over from a previous one (heartbeated by the lease keeper). */
  get adopted(): string[] {
    return [...this.#adopted];
  }

  /**
   * After a restart: every run the database says is `running` whose job is still in BullMQ (waiting,
   * running on a worker, or completed with its summary) is taken over (queue.adopt) rather than marked
   * interrupted, and its events, read from the stream, are stored as before. Call before
   * reclaimExpired; what is not adopted is reclaimed as usual.
   */
  async adopt(queue: AdoptingQueue, runningIds: string[]): Promise<string[]> {
    if (!runningIds.length) return [];
    const routes = Object.keys(await this.#redis.hgetall(POOL.routes));
    const adopted: string[] = [];
    for (const runId of runningIds) {
      for (const route of routes) {
        const job = await this.#queue(route).getJob(runId);
        if (!job) continue;
        const state = await job.getState();
        if (state === "failed" || state === "unknown") break;
        if (!(await queue.adopt(runId))) break;
        adopted.push(runId);
        this.#adopted.add(runId);
        const data = job.data as JobData;
        const finish = (summary: RunSummary) => {
          this.#adopted.delete(runId);
          queue
            .finish(runId, summary)
            .catch((e: Error) => this.#log(`could not record the end of ${runId}: ${e.message}`));
        };
        if (state === "completed" && job.returnvalue && typeof job.returnvalue === "object") {
          finish({ ...(job.returnvalue as WireSummary), outputs: new Map() });
          break;
        }
        this.#runs.set(runId, {
          route,
          models: data.models ?? [],
          keys: graphKeys(data.document),
          started: performance.now(),
          onEvent: (e) => {
            if (e.type !== "run.finished" && e.type !== "run.failed" && e.type !== "run.cancelled")
              queue.reportEvent(runId, e);
          },
          results: {},
          current: null,
          workerId: null,
          attempt: -1,
          loaders: [],
          warnedNoWorker: true,
          orphanSince: null,
          lastN: -1,
          data,
          resolve: finish,
        });
        break;
      }
    }
    if (adopted.length)
      this.#log(`took over ${adopted.length} run(s) still in the pool: ${adopted.join(", ")}`);
    return adopted;
  }

  /** Cancels a run taken over by adopt() (others are cancelled through their signal); false if not one. */
  cancelAdopted(runId: string): boolean {
    if (!this.#adopted.has(runId) || !this.#runs.has(runId)) return false;
    void this.#cancel(runId);
    return true;
  }

  async stats(): Promise<RunnerStats> {
    return this.opts.idleStats();
  }

  /** The pool's caches live on the workers; nothing to free here. */
  async free(): Promise<FreedBytes> {
    return { freedSessionBytes: 0, freedOutputBytes: 0 };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#watch) clearInterval(this.#watch);
    for (const id of [...this.#runs.keys()])
      this.#end(id, { status: "failed", code: "interrupted", message: "the server stopped" });
    await Promise.all([...this.#queues.values()].map((q) => q.close().catch(() => undefined)));
    this.#reader.disconnect();
    this.#live.disconnect();
    await this.#loop?.catch(() => undefined);
    this.#redis.disconnect();
  }
}

/** What adopt() needs of the SQLite queue. */
export interface AdoptingQueue {
  adopt(runId: string): Promise<boolean>;
  reportEvent(runId: string, event: RunEvent): void;
  finish(runId: string, summary: RunSummary): Promise<void>;
}

/** The fields of a BullMQ job's hash the watchdog reads (timestamp: set when added, so null = no job). */
const JOB_FIELDS = ["timestamp", "finishedOn", "failedReason", "returnvalue", "pb"] as const;
interface JobFields {
  timestamp: string | null;
  finishedOn: string | null;
  failedReason: string | null;
  returnvalue: string | null;
  /** The worker that took it last (BullMQ's `pb`). */
  processedBy: string | null;
}

function parseJson(s: string | null): unknown {
  try {
    return s === null ? null : JSON.parse(s);
  } catch {
    return null;
  }
}

function holdsAll(w: WorkerRecord, models: readonly ModelRef[]): boolean {
  return models.every((m) => w.models.some((h) => h.hash === m.hash));
}
