/**
 * The run queue, kept in SQLite (Run rows): FIFO by `queueSeq` within priority (higher first). The
 * worker sees only the narrow `RunQueue` interface (take the next run, report its events, finish it)
 * so that a distributed queue can later sit behind the same three calls.
 *
 * A run's events get a per-run sequence number; each is written to RunEvent (progress events
 * excepted: they are live-only) and only then published on the bus, in order. Events that arrive
 * while a write is in flight are written together by the next one (one statement, not one each), so
 * a burst of events costs the server a few writes. The terminal event is written in the same
 * transaction as the run's final status. Artifact rows (files a run wrote, reported as metadata by the
 * process that ran it) are inserted in the transaction of the first batch of events after them, so a
 * stored event never names a missing row; rows that batch could not store go in with the run's end.
 */

import type { RunEvent } from "../../core/run/events";
import type { ArtifactMeta } from "../artifacts/content";
import { recordArtifacts } from "../artifacts/record";
import type { PrismaClient } from "../db/client";
import { insertRows } from "../db/raw-insert";
import type { RunSummary } from "../engine/executor";
import type { EventBus } from "../events/bus";
import { isPersisted, type ServerRunEvent } from "../events/run-events";
import { DEFAULT_LEASE_MS, type LeasedQueue, newOwnerId, ownerGoneHere } from "./lease";

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;
export const RETRYABLE: readonly RunStatus[] = ["interrupted", "failed", "cancelled"];
export const FINISHED: readonly RunStatus[] = ["succeeded", "failed", "cancelled", "interrupted"];

export interface QueuedRun {
  id: string;
  /** Canonical JSON of the document to run (overrides already applied). */
  document: string;
  graphId: string | null;
  graphVersionId: string | null;
}

/** What a worker needs from a queue. */
export interface RunQueue {
  /** Claims the next queued run (marks it running), or null when none is ready or the queue is paused. */
  takeNext(): Promise<QueuedRun | null>;
  /** Records one of the run's events (in the order reported) and publishes it. */
  reportEvent(runId: string, event: RunEvent): void;
  /**
   * Records a file the run wrote (its row), at the latest with the next event reported. `inline`: a
   * small image's bytes, sent inline in the live event that names it (never stored).
   */
  reportArtifact(meta: ArtifactMeta, inline?: Uint8Array): void;
  /** Records the run's outcome and its terminal event; resolves once both are stored and published. */
  finish(runId: string, summary: RunSummary): Promise<void>;
}

/**
 * A worker that takes runs the moment they are enqueued (app.ts offers the started worker): when none
 * wait ahead of them and it has free slots, the enqueue's own transaction writes them `running`, owned
 * by this process, and hands them over as it commits: no take round trip (a read and a write behind
 * the request's answer) between the Run row and the runner. Persisted before they execute, as always.
 */
export interface DirectTaker {
  /** Holds up to `max` free slots for runs about to be enqueued; how many it holds (0: none free, or busy taking). */
  reserve(max: number): number;
  /** Gives back `n` held slots (runs not handed over). */
  release(n: number): void;
  /** Starts a run written `running` for it, in a held slot. */
  launch(run: QueuedRun): void;
}

export interface NewRun {
  /**
   * The run's id when the client chose it (so it can subscribe to the run's events before the enqueue
   * answers); otherwise the database makes one. An id already in use fails the whole enqueue.
   */
  id?: string;
  graphId: string | null;
  graphVersionId: string | null;
  document: string;
  overrides: unknown;
  /** The seed each seed widget will use, by "node.param". */
  seeds: Record<string, string>;
  label?: string | null;
  batchIndex?: number | null;
  sweepId?: string | null;
  priority?: number;
  retryOfId?: string | null;
}

export class QueueFullError extends Error {
  override readonly name = "QueueFullError";
  readonly code = "QUEUE_FULL";
}

interface Pipe {
  seq: number;
  /** Reported, not yet stored and published. */
  pending: { seq: number; event: RunEvent }[];
  /** Artifact rows reported, not yet stored (they go in with the next batch of events). */
  artifacts: ArtifactMeta[];
  /** Artifact rows a batch failed to store: retried in finish(), which retries until it can. */
  unrecorded: ArtifactMeta[];
  /** Small images' bytes by artifact id, until the event naming them is published (live only). */
  inline?: Map<string, Uint8Array>;
  /** The write loop while one runs; it empties `pending`. */
  flushing: Promise<void> | null;
  /** The terminal event's seq, fixed at the first finish() so that a retried finish reuses it. */
  endSeq?: number;
  /** The run's graph, when this process took the run (else finish() reads it). */
  graphId?: string | null;
  /** The last image the run reported here: its graph's new thumbnail (else finish() looks it up). */
  lastImageId?: string;
}

const ms = (start: Date | null) => (start ? Date.now() - start.getTime() : 0);

export class SqliteRunQueue implements RunQueue, LeasedQueue {
  #paused = false;
  #taker: DirectTaker | null = null;
  readonly #pipes = new Map<string, Pipe>();
  /** This process, as the owner of the runs it takes (server/queue/lease.ts). */
  readonly ownerId: string;
  readonly leaseMs: number;

  constructor(
    private readonly db: PrismaClient,
    private readonly bus: EventBus,
    private readonly opts: {
      maxPerClient: number;
      /** Waiting runs of all clients together: a client id is self-declared, so this is the real bound. */
      maxTotal?: number;
      log?: (m: string) => void;
      leaseMs?: number;
      ownerId?: string;
    },
  ) {
    this.ownerId = opts.ownerId ?? newOwnerId();
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Paused: running runs finish, nothing new starts. In memory: a restart resumes the queue. */
  setPaused(paused: boolean): void {
    if (this.#paused === paused) return;
    this.#paused = paused;
    this.bus.publishQueue({ type: paused ? "paused" : "resumed" });
  }

  /** The worker that takes runs as they are enqueued (null: runs wait for takeNext). */
  offerTo(taker: DirectTaker | null): void {
    this.#taker = taker;
  }

  /**
   * Adds runs at the end of their priority; all or none (one transaction). When none wait ahead and
   * the direct taker has free slots, the first runs are written `running` in that transaction and
   * handed to it as it commits.
   */
  async enqueue(runs: NewRun[], clientId: string | null): Promise<string[]> {
    const taker = this.#paused ? null : this.#taker;
    const held = taker?.reserve(runs.length) ?? 0;
    let inserted: { ids: string[]; taken: QueuedRun[] };
    try {
      inserted = await this.#insert(runs, clientId, held);
    } catch (e) {
      if (held) taker?.release(held);
      throw e;
    }
    const { ids, taken } = inserted;
    if (held > taken.length) taker?.release(held - taken.length);
    for (const run of taken)
      this.#pipes.set(run.id, {
        seq: 0,
        pending: [],
        artifacts: [],
        unrecorded: [],
        flushing: null,
        graphId: run.graphId,
      });
    this.bus.publishQueue({ type: "enqueued", runIds: ids, taken: taken.length });
    for (const run of taken) {
      this.bus.publishQueue({ type: "started", runId: run.id });
      taker?.launch(run);
    }
    return ids;
  }

  async #insert(
    runs: NewRun[],
    clientId: string | null,
    held: number,
  ): Promise<{ ids: string[]; taken: QueuedRun[] }> {
    return this.db.$transaction(async (tx) => {
      // The limits' counts and the last queue position, in one raw statement: three model queries
      // cost more CPU in Prisma's client than the reads themselves (≈ 0.6 ms each vs 0.13 raw, load 5).
      const [counts] = await tx.$queryRawUnsafe<{ waiting: bigint; mine: bigint; maxSeq: bigint | null }[]>(
        `SELECT COUNT(CASE WHEN "status" = 'queued' THEN 1 END) AS waiting,
           COUNT(CASE WHEN "clientId" = ? AND "status" IN ('queued', 'running') THEN 1 END) AS mine,
           MAX("queueSeq") AS maxSeq
         FROM "Run"`,
        clientId ?? "",
      );
      const waiting = Number(counts.waiting);
      if (clientId) {
        const pending = Number(counts.mine);
        if (pending + runs.length > this.opts.maxPerClient)
          throw new QueueFullError(
            `the queue holds ${pending} of your runs; at most ${this.opts.maxPerClient} may wait at once` +
              ` (asked to add ${runs.length})`,
          );
      }
      const maxTotal = this.opts.maxTotal;
      if (maxTotal !== undefined && waiting + runs.length > maxTotal)
        throw new QueueFullError(
          `the queue is full: ${waiting} runs wait and this server holds at most ${maxTotal}` +
            ` (asked to add ${runs.length}); try again when some have run`,
        );
      // Taken at once only with nothing queued ahead (FIFO and priorities hold): the batch's first runs.
      const take = waiting === 0 ? held : 0;
      const now = take ? new Date() : null;
      let seq = Number(counts.maxSeq ?? 0) + 1;
      const out: string[] = [];
      const taken: QueuedRun[] = [];
      for (const [i, r] of runs.entries()) {
        const row = await tx.run.create({
          data: {
            ...(r.id ? { id: r.id } : {}),
            graphId: r.graphId,
            graphVersionId: r.graphVersionId,
            document: r.document,
            overrides: JSON.stringify(r.overrides ?? {}),
            seeds: JSON.stringify(r.seeds),
            label: r.label ?? null,
            batchIndex: r.batchIndex ?? null,
            sweepId: r.sweepId ?? null,
            priority: r.priority ?? 0,
            retryOfId: r.retryOfId ?? null,
            queueSeq: seq++,
            clientId,
            ...(i < take && now
              ? { status: "running", startedAt: now, ownerId: this.ownerId, heartbeatAt: now }
              : { status: "queued" }),
          },
          select: { id: true },
        });
        out.push(row.id);
        if (i < take)
          taken.push({
            id: row.id,
            document: r.document,
            graphId: r.graphId,
            graphVersionId: r.graphVersionId,
          });
      }
      return { ids: out, taken };
    });
  }

  async takeNext(): Promise<QueuedRun | null> {
    // Compare-and-set on status, so two takers (two workers, two processes) never claim one run.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (this.#paused) return null;
      const next = await this.db.run.findFirst({
        where: { status: "queued" },
        orderBy: [{ priority: "desc" }, { queueSeq: "asc" }],
        select: { id: true, document: true, graphId: true, graphVersionId: true },
      });
      if (!next) return null;
      const { count } = await this.db.run.updateMany({
        where: { id: next.id, status: "queued" },
        data: { status: "running", startedAt: new Date(), ownerId: this.ownerId, heartbeatAt: new Date() },
      });
      if (count === 1) {
        this.#pipes.set(next.id, {
          seq: 0,
          pending: [],
          artifacts: [],
          unrecorded: [],
          flushing: null,
          graphId: next.graphId,
        });
        this.bus.publishQueue({ type: "started", runId: next.id });
        return next;
      }
    }
    return null;
  }

  reportEvent(runId: string, event: RunEvent): void {
    const pipe = this.#pipe(runId);
    pipe.pending.push({ seq: pipe.seq++, event });
    pipe.flushing ??= this.#flush(runId, pipe);
  }

  reportArtifact(meta: ArtifactMeta, inline?: Uint8Array): void {
    const pipe = this.#pipe(meta.runId);
    pipe.artifacts.push(meta);
    if (meta.kind === "image") pipe.lastImageId = meta.id;
    if (inline && meta.kind !== "latent") {
      pipe.inline ??= new Map();
      pipe.inline.set(meta.id, inline);
    }
  }

  /** Stores and publishes a run's pending events, batch by batch, until none are left. */
  async #flush(runId: string, pipe: Pipe): Promise<void> {
    // Yield first: the caller stores this promise in `pipe.flushing` before the loop can clear it.
    await null;
    while (pipe.pending.length) {
      const batch = pipe.pending.splice(0);
      // Reported before these events (the same ordered channel): the rows they may name.
      const artifacts = pipe.artifacts.splice(0);
      const rows = batch
        .filter((e) => isPersisted(e.event))
        .map(({ seq, event }) => ({ runId, seq, type: event.type, payload: toJson(event) }));
      if (rows.length || artifacts.length) {
        try {
          if (!artifacts.length) await insertEvents(this.db, rows);
          else
            await this.db.$transaction(async (tx) => {
              await recordArtifacts(tx, runId, artifacts);
              if (rows.length) await insertEvents(tx, rows);
            });
        } catch (e) {
          pipe.unrecorded.push(...artifacts);
          const seqs = rows.length ? `events ${rows[0].seq}…${rows.at(-1)?.seq}` : "artifacts";
          this.opts.log?.(`could not store ${seqs} of run ${runId}: ${(e as Error).message}`);
        }
      }
      for (const e of batch) this.bus.publishRun(runId, withInlineImages(e, pipe.inline));
    }
    pipe.flushing = null;
  }

  async finish(runId: string, summary: RunSummary): Promise<void> {
    const pipe = this.#pipe(runId);
    while (pipe.flushing) await pipe.flushing;
    pipe.endSeq ??= pipe.seq++;
    const seq = pipe.endSeq;
    const event = terminalEvent(runId, summary);
    // A pool run whose worker died with no other to retry it (server/pool) is interrupted: retryable.
    const status: RunStatus =
      summary.status === "failed" && summary.error?.code === "interrupted" ? "interrupted" : summary.status;
    const artifacts = [...pipe.unrecorded, ...pipe.artifacts];
    const recorded = await this.db.$transaction(async (tx) => {
      // The run's files are real whoever owns the run now: their rows go in either way.
      await recordArtifacts(tx, runId, artifacts);
      // Only while this process still owns the run: one reclaimed meanwhile (its lease expired while
      // this process was stalled) stays `interrupted`, and its terminal event was already sent.
      const { count } = await tx.run.updateMany({
        where: { id: runId, status: "running", ownerId: this.ownerId },
        data: {
          status,
          finishedAt: new Date(),
          nodeResults: toJson(summary.results),
          error: summary.error ? toJson(summary.error) : null,
        },
      });
      if (count !== 1) return false;
      await insertEvents(tx, [{ runId, seq, type: event.type, payload: toJson(event) }]);
      // The graph's thumbnail: the latest image a run of it made. The graph is known here when this
      // process took the run, and the image when the run reported one here: a read fewer for each. An
      // image recorded elsewhere (a pool worker's upload, http.ts) is looked up as before.
      const graphId =
        pipe.graphId !== undefined
          ? pipe.graphId
          : (await tx.run.findUniqueOrThrow({ where: { id: runId }, select: { graphId: true } })).graphId;
      if (graphId) {
        const imageId =
          pipe.lastImageId ??
          (
            await tx.artifact.findFirst({
              where: { runId, kind: "image" },
              orderBy: { createdAt: "desc" },
              select: { id: true },
            })
          )?.id;
        // updateMany: a graph deleted while its run ran is no error (the run's graphId is cleared).
        if (imageId)
          await tx.graph.updateMany({ where: { id: graphId }, data: { thumbnailArtifactId: imageId } });
      }
      return true;
    });
    this.#pipes.delete(runId);
    if (!recorded) {
      this.opts.log?.(
        `run ${runId} ended here (${status}) but had been reclaimed by another process: kept as it is`,
      );
      return;
    }
    this.bus.publishRun(runId, { seq, event });
    this.bus.publishQueue({ type: "finished", runId });
  }

  /**
   * Cancels a queued run (returns "cancelled"), or says that it is running ("running": the caller
   * aborts it through the worker) or already finished ("finished").
   */
  async cancelQueued(runId: string): Promise<"cancelled" | "running" | "finished" | "missing"> {
    const result = await this.db.$transaction(async (tx) => {
      const { count } = await tx.run.updateMany({
        where: { id: runId, status: "queued" },
        data: { status: "cancelled", finishedAt: new Date() },
      });
      if (count === 1) {
        const event: ServerRunEvent = { type: "run.cancelled", runId, ms: 0, results: {} };
        const seq = await nextSeq(tx, runId);
        await tx.runEvent.create({ data: { runId, seq, type: event.type, payload: toJson(event) } });
        return { state: "cancelled" as const, seq, event };
      }
      const run = await tx.run.findUnique({ where: { id: runId }, select: { status: true } });
      if (!run) return { state: "missing" as const };
      return { state: run.status === "running" ? ("running" as const) : ("finished" as const) };
    });
    if (result.state === "cancelled") {
      this.bus.publishRun(runId, { seq: result.seq, event: result.event });
      this.bus.publishQueue({ type: "cancelled", runId });
    }
    return result.state;
  }

  /**
   * Takes over a `running` run whose owner is gone (the test reclaimExpired applies) instead of marking
   * it interrupted: after a server restart the worker pool (server/pool) adopts runs its workers are
   * still executing. Its events then continue after the last stored one. False when the owner is alive.
   */
  async adopt(runId: string): Promise<boolean> {
    const r = await this.db.run.findUnique({
      where: { id: runId },
      select: { status: true, ownerId: true, heartbeatAt: true },
    });
    if (r?.status !== "running" || r.ownerId === this.ownerId) return false;
    const gone =
      r.ownerId === null ||
      r.heartbeatAt === null ||
      r.heartbeatAt < new Date(Date.now() - this.leaseMs) ||
      ownerGoneHere(r.ownerId);
    if (!gone) return false;
    const { count } = await this.db.run.updateMany({
      where: { id: runId, status: "running", ownerId: r.ownerId, heartbeatAt: r.heartbeatAt },
      data: { ownerId: this.ownerId, heartbeatAt: new Date() },
    });
    if (count !== 1) return false;
    this.#pipes.set(runId, {
      seq: await nextSeq(this.db as unknown as Tx, runId),
      pending: [],
      artifacts: [],
      unrecorded: [],
      flushing: null,
    });
    return true;
  }

  /** Resolves once every event reported so far is stored (the pool acknowledges its stream after). */
  async settled(): Promise<void> {
    for (const pipe of this.#pipes.values()) while (pipe.flushing) await pipe.flushing;
  }

  /** Renews the leases of runs this process executes (still running and owned by it). */
  async heartbeat(runIds: string[]): Promise<void> {
    if (!runIds.length) return;
    await this.db.run.updateMany({
      where: { id: { in: runIds }, status: "running", ownerId: this.ownerId },
      data: { heartbeatAt: new Date() },
    });
  }

  /**
   * Marks runs left `running` by an owner that is gone (no heartbeat for a lease period, or a dead
   * process on this host) as `interrupted` (retryable), each with a terminal event so that subscribers
   * end. A run whose owner is alive is never touched, whichever process asks. Call before the worker
   * takes runs, and periodically (LeaseKeeper).
   */
  async reclaimExpired(): Promise<string[]> {
    const expiredBefore = new Date(Date.now() - this.leaseMs);
    const candidates = await this.db.run.findMany({
      where: { status: "running", id: { notIn: [...this.#pipes.keys()] } },
      select: { id: true, startedAt: true, ownerId: true, heartbeatAt: true },
    });
    const stale = candidates.filter(
      (r) =>
        r.ownerId === null ||
        r.heartbeatAt === null ||
        r.heartbeatAt < expiredBefore ||
        (r.ownerId !== this.ownerId && ownerGoneHere(r.ownerId)),
    );
    const ids: string[] = [];
    for (const run of stale) {
      const event: ServerRunEvent = {
        type: "run.interrupted",
        runId: run.id,
        message: "the server stopped while this run was executing; retry it to run it again",
      };
      const done = await this.db.$transaction(async (tx) => {
        // Unchanged since read: a heartbeat in between means the owner is alive after all.
        const { count } = await tx.run.updateMany({
          where: { id: run.id, status: "running", ownerId: run.ownerId, heartbeatAt: run.heartbeatAt },
          data: {
            status: "interrupted",
            finishedAt: new Date(),
            error: toJson({ message: event.message, code: "interrupted", ms: ms(run.startedAt) }),
          },
        });
        if (count !== 1) return null;
        const seq = await nextSeq(tx, run.id);
        await tx.runEvent.create({ data: { runId: run.id, seq, type: event.type, payload: toJson(event) } });
        return seq;
      });
      if (done !== null) {
        ids.push(run.id);
        this.bus.publishRun(run.id, { seq: done, event });
      }
    }
    if (ids.length) {
      this.opts.log?.(`marked ${ids.length} run(s) interrupted (owner gone): ${ids.join(", ")}`);
      this.bus.publishQueue({ type: "recovered" });
    }
    return ids;
  }

  /** Moves a queued run within the queue order; "up"/"down" swap it with its neighbour. */
  async reorder(runId: string, move: "up" | "down" | "top" | "bottom"): Promise<boolean> {
    const moved = await this.db.$transaction(async (tx) => {
      const queued = await tx.run.findMany({
        where: { status: "queued" },
        orderBy: [{ priority: "desc" }, { queueSeq: "asc" }],
        select: { id: true, priority: true, queueSeq: true },
      });
      const i = queued.findIndex((r) => r.id === runId);
      if (i < 0) return false;
      const me = queued[i];
      const set = (id: string, priority: number, queueSeq: number) =>
        tx.run.update({ where: { id }, data: { priority, queueSeq }, select: { id: true } });
      if (move === "up" || move === "down") {
        const j = move === "up" ? i - 1 : i + 1;
        const other = queued[j];
        if (!other) return true; // already at that end
        await set(me.id, other.priority, other.queueSeq);
        await set(other.id, me.priority, me.queueSeq);
      } else if (move === "top") {
        const first = queued[0];
        if (first.id !== me.id) await set(me.id, first.priority, first.queueSeq - 1);
      } else {
        const last = queued[queued.length - 1];
        const max = await tx.run.aggregate({ _max: { queueSeq: true } });
        if (last.id !== me.id) await set(me.id, last.priority, (max._max.queueSeq ?? 0) + 1);
      }
      return true;
    });
    if (moved) this.bus.publishQueue({ type: "reordered", runId });
    return moved;
  }

  async setPriority(runId: string, priority: number): Promise<boolean> {
    const { count } = await this.db.run.updateMany({
      where: { id: runId, status: "queued" },
      data: { priority },
    });
    if (count === 1) this.bus.publishQueue({ type: "reordered", runId });
    return count === 1;
  }

  length(): Promise<number> {
    return this.db.run.count({ where: { status: "queued" } });
  }

  #pipe(runId: string): Pipe {
    let pipe = this.#pipes.get(runId);
    if (!pipe) {
      pipe = { seq: 0, pending: [], artifacts: [], unrecorded: [], flushing: null };
      this.#pipes.set(runId, pipe);
    }
    return pipe;
  }
}

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * The live form of a stored event: a node.finished naming small images the run sent along carries
 * them as data: URLs (FileOutput.inline), so the editor shows them without another request. The
 * stored event stays as it is (a replay fetches the artifact); the bytes are dropped once sent.
 */
function withInlineImages(
  e: { seq: number; event: RunEvent },
  inline: Map<string, Uint8Array> | undefined,
): { seq: number; event: RunEvent } {
  const { event } = e;
  if (!inline?.size || event.type !== "node.finished" || !event.files?.length) return e;
  if (!event.files.some((f) => f.artifactId && inline.has(f.artifactId))) return e;
  const files = event.files.map((f) => {
    const bytes = f.artifactId ? inline.get(f.artifactId) : undefined;
    if (!bytes || !f.artifactId) return f;
    inline.delete(f.artifactId);
    return { ...f, inline: `data:image/png;base64,${Buffer.from(bytes).toString("base64")}` };
  });
  return { seq: e.seq, event: { ...event, files } };
}

/** A batch of RunEvent rows in one raw INSERT (server/db/raw-insert.ts: on the way to the first event). */
function insertEvents(
  db: Pick<PrismaClient, "$executeRawUnsafe">,
  rows: { runId: string; seq: number; type: string; payload: string }[],
): Promise<number> {
  const createdAt = new Date();
  return insertRows(
    db,
    "RunEvent",
    ["runId", "seq", "type", "payload", "createdAt"],
    rows.map((r) => ({ ...r, createdAt })),
  );
}

async function nextSeq(tx: Tx, runId: string): Promise<number> {
  const last = await tx.runEvent.aggregate({ where: { runId }, _max: { seq: true } });
  return (last._max.seq ?? -1) + 1;
}

function terminalEvent(runId: string, s: RunSummary): ServerRunEvent {
  const base = { runId, ms: s.ms, results: s.results };
  if (s.status === "succeeded") return { type: "run.finished", ...base };
  if (s.status === "cancelled") return { type: "run.cancelled", ...base };
  return { type: "run.failed", ...base, error: s.error ?? { message: "the run failed" } };
}

/** JSON text; bigints (seeds) as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}
