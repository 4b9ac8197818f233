/**
 * PETALFLOW_CONCURRENCY runner processes: the worker starts up to that many runs at once, and each
 * goes to a process with no run (onnxruntime's `session.run` blocks its process, so runs sharing one
 * would take turns, not run in parallel). Each process is forked on first use and keeps its own
 * sessions and output cache — N processes hold up to N copies of a model. stats() sums the caches.
 */
import { randomUUID } from "node:crypto";
import type { RunOptions, RunSummary } from "../engine/executor";
import { ProcessRunner, type ProcessRunnerOptions } from "./process-runner";
import type { FreedBytes, Runner, RunnerStats } from "./runner";

export class ProcessRunnerPool implements Runner {
  readonly mode = "process" as const;
  readonly #runners: ProcessRunner[];
  /** Runs in flight per runner. */
  readonly #busy: number[];
  /** Which runner executes a run, while it runs. */
  readonly #placed = new Map<string, number>();

  constructor(size: number, opts: ProcessRunnerOptions) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`a runner pool needs at least 1 process, not ${size}`);
    this.#runners = Array.from({ length: size }, () => new ProcessRunner(opts));
    this.#busy = this.#runners.map(() => 0);
  }

  get size(): number {
    return this.#runners.length;
  }

  /** The pid of the process executing `runId`, while it runs; null otherwise. */
  pidOf(runId: string): number | null {
    const i = this.#placed.get(runId);
    return i === undefined ? null : this.#runners[i].pid;
  }

  async run(document: unknown, opts: RunOptions = {}): Promise<RunSummary> {
    const runId = opts.runId ?? randomUUID();
    // The least busy runner, the first of equals (so one run at a time keeps using one process).
    let i = 0;
    for (let j = 1; j < this.#busy.length; j++) if (this.#busy[j] < this.#busy[i]) i = j;
    this.#busy[i]++;
    this.#placed.set(runId, i);
    try {
      return await this.#runners[i].run(document, { ...opts, runId });
    } finally {
      this.#busy[i]--;
      this.#placed.delete(runId);
    }
  }

  async stats(): Promise<RunnerStats> {
    const started = this.#runners.filter((r) => r.pid !== null);
    if (started.length <= 1) return (started[0] ?? this.#runners[0]).stats();
    const all = await Promise.all(started.map((r) => r.stats()));
    const [first] = all;
    const sum = (f: (s: RunnerStats) => number) => all.reduce((a, s) => a + f(s), 0);
    return {
      ...first,
      sessionCache: {
        loaded: all.flatMap((s) => s.sessionCache.loaded),
        bytes: sum((s) => s.sessionCache.bytes),
        budgetBytes: sum((s) => s.sessionCache.budgetBytes),
        loads: sum((s) => s.sessionCache.loads),
        hits: sum((s) => s.sessionCache.hits),
      },
      outputCache: {
        entries: sum((s) => s.outputCache.entries),
        bytes: sum((s) => s.outputCache.bytes),
        budgetBytes: sum((s) => s.outputCache.budgetBytes),
        hits: sum((s) => s.outputCache.hits),
        misses: sum((s) => s.outputCache.misses),
      },
    };
  }

  async free(opts: { outputs: boolean }): Promise<FreedBytes> {
    const freed = await Promise.all(this.#runners.map((r) => r.free(opts)));
    return {
      freedSessionBytes: freed.reduce((a, f) => a + f.freedSessionBytes, 0),
      freedOutputBytes: freed.reduce((a, f) => a + f.freedOutputBytes, 0),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#runners.map((r) => r.close()));
  }
}
