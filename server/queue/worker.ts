/**
 * The worker: takes runs from a RunQueue and executes them, `concurrency` at a time, each with its
 * own AbortController (cancel aborts it). It wakes when the queue changes and also polls, so runs
 * enqueued by another process are picked up too.
 */

import { DISK_FULL_MESSAGE, isDiskFull } from "../db/disk-full";
import { type Executor, failedRunSummary, type RunSummary } from "../engine/executor";
import type { EventBus } from "../events/bus";
import { isTerminal } from "../events/run-events";
import type { DirectTaker, QueuedRun, RunQueue } from "./queue";

export interface WorkerOptions {
  concurrency: number;
  /** How often to look for runs when nothing woke the worker (ms). */
  pollMs?: number;
  /** Compute latent previews for progress events. */
  previews?: boolean;
  /** A node's progress events at most this often (ms; first and last step always). Default 0. */
  progressIntervalMs?: number;
  log?: (message: string) => void;
  /** Backoff between attempts to record a run's end when that fails (ms); default 250 doubling to 10 s. */
  finishRetry?: { firstMs?: number; maxMs?: number };
}

export class Worker implements DirectTaker {
  readonly #active = new Map<string, { abort: AbortController; done: Promise<void> }>();
  /** Slots held for runs being enqueued that this worker takes at once (reserve/launch). */
  #held = 0;
  #started = false;
  #stopped = false;
  #pumping = false;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #offBus: (() => void) | null = null;

  constructor(
    private readonly queue: RunQueue,
    private readonly executor: Pick<Executor<unknown>, "run">,
    private readonly bus: EventBus,
    private readonly opts: WorkerOptions,
  ) {}

  /** Starts taking runs (idempotent). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#offBus = this.bus.onQueue((c) => {
      // Runs handed over at their enqueue (all of them) leave nothing to take.
      if (c.type === "enqueued" && c.taken === c.runIds.length) return;
      if (c.type === "enqueued" || c.type === "resumed" || c.type === "reordered") void this.pump();
    });
    this.#timer = setInterval(() => void this.pump(), this.opts.pollMs ?? 1000);
    this.#timer.unref();
    void this.pump();
  }

  /** DirectTaker: holds free slots, none while a pump is taking runs (it may be claiming one now). */
  reserve(max: number): number {
    if (!this.#started || this.#stopped || this.#pumping) return 0;
    const n = Math.max(0, Math.min(max, this.opts.concurrency - this.#active.size - this.#held));
    this.#held += n;
    return n;
  }

  release(n: number): void {
    this.#held = Math.max(0, this.#held - n);
  }

  /** DirectTaker: a run the queue wrote `running` for this worker, in a held slot. */
  launch(run: QueuedRun): void {
    this.release(1);
    if (this.#stopped) {
      // Stopping: it stays `running` and the next start reclaims it as interrupted, as a run in flight.
      return;
    }
    this.#launch(run);
  }

  /** Ids of the runs executing in this process. */
  get running(): string[] {
    return [...this.#active.keys()];
  }

  /** Aborts a run executing here; false when it is not running in this process. */
  cancel(runId: string): boolean {
    const run = this.#active.get(runId);
    if (!run) return false;
    run.abort.abort();
    return true;
  }

  /** Stops taking runs, cancels those executing and waits for them to be recorded. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#offBus?.();
    if (this.#timer) clearInterval(this.#timer);
    for (const r of this.#active.values()) r.abort.abort();
    await Promise.all([...this.#active.values()].map((r) => r.done));
  }

  /** Fills free slots with queued runs. Re-entrant calls coalesce into one more pass. */
  async pump(): Promise<void> {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        while (!this.#stopped && this.#active.size + this.#held < this.opts.concurrency) {
          const run = await this.queue.takeNext();
          if (!run) break;
          this.#launch(run);
        }
      } while (this.#again && !this.#stopped);
    } catch (e) {
      this.opts.log?.(`worker: could not take a run: ${(e as Error).message}`);
    } finally {
      this.#pumping = false;
    }
  }

  #launch(run: QueuedRun): void {
    const abort = new AbortController();
    const done = this.#execute(run, abort.signal).finally(() => {
      this.#active.delete(run.id);
      if (!this.#stopped) void this.pump();
    });
    this.#active.set(run.id, { abort, done });
  }

  async #execute(run: QueuedRun, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    let summary: RunSummary;
    try {
      summary = await this.executor.run(JSON.parse(run.document), {
        runId: run.id,
        signal,
        previews: this.opts.previews ?? true,
        progressIntervalMs: this.opts.progressIntervalMs ?? 0,
        // The terminal event is written by finish(), together with the run's status.
        onEvent: (e) => {
          if (!isTerminal(e)) this.queue.reportEvent(run.id, e);
        },
      });
    } catch (e) {
      // The executor turns node errors into events; anything reaching here is a bug, kept as data.
      summary = failedRunSummary(run.id, started, {
        message: `internal error: ${e instanceof Error ? e.message : String(e)}`,
        code: "internal",
      });
    }
    if (summary.error && isDiskFull(summary.error))
      summary = { ...summary, error: { ...summary.error, message: DISK_FULL_MESSAGE } };
    await this.#record(run.id, summary);
  }

  /**
   * Records a run's end, retrying with backoff while that fails (a full disk: the run must not stay
   * `running` forever once space returns). Stopping gives up: the run stays `running` and the next
   * start reclaims it as interrupted (server/queue/lease.ts).
   */
  async #record(runId: string, summary: RunSummary): Promise<void> {
    const { firstMs = 250, maxMs = 10_000 } = this.opts.finishRetry ?? {};
    for (let attempt = 0, wait = firstMs; ; attempt++, wait = Math.min(wait * 2, maxMs)) {
      try {
        await this.queue.finish(runId, summary);
        if (attempt > 0) this.opts.log?.(`worker: recorded the end of run ${runId} after ${attempt} retries`);
        return;
      } catch (e) {
        const why = isDiskFull(e) ? "the disk is full" : (e as Error).message;
        if (this.#stopped) {
          this.opts.log?.(
            `worker: could not record the end of run ${runId} (${why}); stopping, left for the next start`,
          );
          return;
        }
        // The first failure and then every tenth: a long outage must not flood the log.
        if (attempt % 10 === 0)
          this.opts.log?.(`worker: could not record the end of run ${runId} (${why}); retrying until it can`);
        const until = Date.now() + wait;
        while (!this.#stopped && Date.now() < until)
          await new Promise((r) => setTimeout(r, Math.min(100, wait)));
      }
    }
  }
}
