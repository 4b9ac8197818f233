/**
 * Where runs execute. The worker only needs `run()`; the system panel also reads the caches and frees
 * them. Implementations: `InlineRunner` (the executor in this process: tests, tools), `ProcessRunner`
 * (process-runner.ts: the executor in a long-lived child process, so that onnxruntime's synchronous
 * `session.run` never blocks the server's event loop) and `ProcessRunnerPool` (process-pool.ts:
 * PETALFLOW_CONCURRENCY such processes, one run each at a time).
 */

import type { ProviderReport } from "../diffusion/providers";
import type { SessionCache, SessionCacheStats } from "../diffusion/sessions";
import type { Executor, RunSummary } from "../engine/executor";
import type { Runtime } from "../runtime/create";

export type RunnerMode = "process" | "inline" | "pool";

export type OutputCacheStats = ReturnType<Executor["cache"]["stats"]>;

export interface RunnerStats {
  /** The execution provider sessions are created with ("cpu" after a GPU provider failed, "none" if it cannot start). */
  provider: string;
  /** Which providers were tried and why the others failed. */
  providerReport: ProviderReport;
  sessionCache: SessionCacheStats;
  outputCache: OutputCacheStats;
  runner: { mode: RunnerMode; pid: number | null };
}

export interface FreedBytes {
  freedSessionBytes: number;
  freedOutputBytes: number;
}

export interface Runner extends Pick<Executor<unknown>, "run"> {
  readonly mode: RunnerMode;
  stats(): Promise<RunnerStats>;
  /** Releases every loaded ONNX session and, if asked, the node output cache. */
  free(opts: { outputs: boolean }): Promise<FreedBytes>;
  /** Stops the runner (a child process is ended). Runs must have finished (the worker stops first). */
  close(): Promise<void>;
}

/** A RunSummary as it crosses the process boundary: without the node outputs (tensors, not needed). */
export type WireSummary = Omit<RunSummary, "outputs">;

/** The executor in this process. */
export class InlineRunner implements Runner {
  readonly mode = "inline" as const;

  constructor(private readonly runtime: Runtime) {}

  run(...args: Parameters<Runner["run"]>): Promise<RunSummary> {
    return this.runtime.executor.run(...args);
  }

  async stats(): Promise<RunnerStats> {
    return inlineStats(this.runtime, { mode: "inline", pid: process.pid });
  }

  free(opts: { outputs: boolean }): Promise<FreedBytes> {
    return freeRuntime(this.runtime, opts);
  }

  async close(): Promise<void> {
    await this.runtime.services.sessions.clear();
  }
}

/** Stats of a runner process not started yet: nothing loaded; the provider as this process sees it. */
export async function idleStats(sessions: SessionCache, outputBudgetBytes: number): Promise<RunnerStats> {
  const providerReport = await sessions.providerReport();
  return {
    provider: providerReport.provider ?? "none",
    providerReport,
    sessionCache: sessions.stats(),
    outputCache: { entries: 0, bytes: 0, budgetBytes: outputBudgetBytes, hits: 0, misses: 0 },
    runner: { mode: "process", pid: null },
  };
}

export async function inlineStats(runtime: Runtime, runner: RunnerStats["runner"]): Promise<RunnerStats> {
  const { sessions } = runtime.services;
  const providerReport = await sessions.providerReport();
  return {
    provider: providerReport.provider ?? "none",
    providerReport,
    sessionCache: sessions.stats(),
    outputCache: runtime.executor.cache.stats(),
    runner,
  };
}

export async function freeRuntime(runtime: Runtime, opts: { outputs: boolean }): Promise<FreedBytes> {
  const { sessions } = runtime.services;
  const freedSessionBytes = sessions.stats().bytes;
  await sessions.clear();
  const cache = runtime.executor.cache;
  const freedOutputBytes = opts.outputs ? cache.stats().bytes : 0;
  if (opts.outputs) cache.clear();
  return { freedSessionBytes, freedOutputBytes };
}
