/**
 * The server side of the runner process (child.ts): `run()` as the worker knows it, executed in a
 * long-lived child so that onnxruntime's synchronous `session.run` (each U-Net step) never blocks the
 * server's event loop. The child is forked on first use and again after it died; a run in progress
 * when it dies ends `failed` with an error that says so. Cancelling (the run's signal) is a message.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { RunEvent } from "../../core/run/events";
import { RunFold } from "../../core/run/fold";
import type { ArtifactMeta } from "../artifacts/content";
import { failedRunSummary, type RunOptions, type RunSummary } from "../engine/executor";
import type { RuntimeEnv } from "../runtime/options";
import { type FromRunner, RUNNER_CONFIG_VAR, type ToRunner } from "./protocol";
import type { FreedBytes, Runner, RunnerStats, WireSummary } from "./runner";

export interface ProcessRunnerOptions {
  /** The runtime's settings (`runnerEnv(env)`): the child builds its runtime from the same. */
  config: RuntimeEnv;
  /**
   * A file a run wrote in the child: the row to insert (the child never opens the database), and a
   * small image's bytes for the live event stream.
   */
  onArtifact: (meta: ArtifactMeta, inline?: Uint8Array) => void;
  /** The stored path of the saved latent with this artifact id (Load Latent in the child), or null. */
  findLatent: (artifactId: string) => Promise<string | null>;
  /** Answers stats() while no child runs (nothing is loaded then): the server's own idle runtime. */
  idleStats: () => Promise<RunnerStats>;
  log?: (message: string) => void;
  /** How long a stats/free request may wait for the child (ms). */
  requestTimeoutMs?: number;
}

interface PendingRun {
  child: ChildProcess;
  started: number;
  onEvent?: (event: RunEvent) => void;
  /** The run's events folded (core/run/fold.ts): what a run that loses its process still reports. */
  fold: RunFold;
  resolve: (summary: RunSummary) => void;
}

interface PendingRequest {
  child: ChildProcess;
  resolve: (message: FromRunner) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The child's launcher, found at run time from the working directory (the project root, as for `next
 * start`): it runs child.ts from a prebuilt bundle with plain node (rebuilt first when a source changed),
 * not under tsx, whose closures each cost a call on every sampler step (scripts/runner.mjs).
 */
function childEntry(): string {
  // Built at run time so that Next does not trace (and copy) the project for a dynamic path.
  return path.join(/* turbopackIgnore: true */ process.cwd(), ["scripts", "runner.mjs"].join(path.sep));
}

export class ProcessRunner implements Runner {
  readonly mode = "process" as const;
  #child: ChildProcess | null = null;
  #ready: Promise<ChildProcess> | null = null;
  #closed = false;
  #nextId = 1;
  readonly #runs = new Map<string, PendingRun>();
  readonly #requests = new Map<number, PendingRequest>();

  constructor(private readonly opts: ProcessRunnerOptions) {}

  /** The runner's pid, or null while none runs. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The running child, forked (and awaited until it has loaded) when there is none. */
  #start(): Promise<ChildProcess> {
    if (this.#closed) return Promise.reject(new Error("the runner was closed"));
    if (this.#ready) return this.#ready;
    // Without DATABASE_URL: nothing in the child has a database to open.
    const { DATABASE_URL: _database, ...inherited } = process.env;
    const child = fork(childEntry(), [], {
      execArgv: [],
      env: { ...inherited, [RUNNER_CONFIG_VAR]: JSON.stringify(this.opts.config) },
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#child = child;
    const ready = new Promise<ChildProcess>((resolve, reject) => {
      child.on("message", (msg: FromRunner) => {
        if (msg.type === "ready") resolve(child);
        else this.#onMessage(child, msg);
      });
      // "close", not "exit": messages the child sent before it ended are delivered first.
      child.once("close", (code, signal) => {
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new Error(`the runner process exited (${how}) before it was ready`));
        this.#onExit(child, how);
      });
      child.once("error", (e) => {
        // fork failed (or a message could not be sent): the exit handler does the rest.
        this.opts.log?.(`runner process: ${e.message}`);
        if (child.exitCode === null && child.signalCode === null && !child.pid) {
          reject(e);
          this.#onExit(child, e.message);
        }
      });
    });
    ready.catch(() => undefined);
    this.#ready = ready;
    return ready;
  }

  #onMessage(child: ChildProcess, msg: FromRunner): void {
    switch (msg.type) {
      case "artifact":
        // Before the event that names it (IPC keeps order): the queue stores the row with that event.
        try {
          this.opts.onArtifact(msg.meta, msg.inline);
        } catch (e) {
          this.opts.log?.(`runner process: an artifact could not be recorded: ${(e as Error).message}`);
        }
        return;
      case "findLatent": {
        const id = msg.id;
        this.opts.findLatent(msg.artifactId).then(
          (path) => this.#send(child, { type: "foundLatent", id, path }),
          (e: Error) => this.#send(child, { type: "foundLatent", id, path: null, error: e.message }),
        );
        return;
      }
      case "event": {
        const run = this.#runs.get(msg.runId);
        if (!run) return;
        const e = msg.event;
        run.fold.apply(e);
        try {
          run.onEvent?.(e);
        } catch {
          // A listener's bug must not break the run.
        }
        return;
      }
      case "done": {
        const run = this.#runs.get(msg.runId);
        if (!run) return;
        this.#runs.delete(msg.runId);
        run.resolve(fromWire(msg.summary));
        return;
      }
      case "log":
        this.opts.log?.(msg.message);
        return;
      case "stats":
      case "freed":
      case "error": {
        const req = this.#requests.get(msg.id);
        if (!req) return;
        this.#requests.delete(msg.id);
        clearTimeout(req.timer);
        if (msg.type === "error") req.reject(new Error(`runner process: ${msg.message}`));
        else req.resolve(msg);
        return;
      }
    }
  }

  /** The child is gone: its runs end failed, its requests fail, and the next use forks a new one. */
  #onExit(child: ChildProcess, how: string): void {
    if (this.#child === child) {
      this.#child = null;
      this.#ready = null;
    }
    for (const [runId, run] of this.#runs) {
      if (run.child !== child) continue;
      this.#runs.delete(runId);
      const message = `the runner process exited (${how}) during the run`;
      const current = run.fold.run.running;
      if (current) run.fold.apply({ type: "node.failed", runId, ...current, error: { message } });
      run.resolve(
        failedRunSummary(
          runId,
          run.started,
          { message, code: "runner_exited", ...(current ?? {}) },
          run.fold.results(),
        ),
      );
    }
    for (const [id, req] of this.#requests) {
      if (req.child !== child) continue;
      this.#requests.delete(id);
      clearTimeout(req.timer);
      req.reject(new Error(`the runner process exited (${how})`));
    }
    if (!this.#closed) this.opts.log?.(`the runner process exited (${how}); the next run starts a new one`);
  }

  #send(child: ChildProcess, message: ToRunner): boolean {
    if (!child.connected) return false;
    try {
      child.send(message);
      return true;
    } catch {
      return false; // the exit handler reports the child's end
    }
  }

  async run(document: unknown, opts: RunOptions = {}): Promise<RunSummary> {
    const runId = opts.runId ?? randomUUID();
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = await this.#start();
    } catch (e) {
      return failedRunSummary(runId, started, {
        message: `the runner process could not start: ${(e as Error).message}`,
        code: "runner_unavailable",
      });
    }
    const signal = opts.signal;
    const onAbort = () => {
      if (this.#runs.has(runId)) this.#send(child, { type: "cancel", runId });
    };
    const summary = new Promise<RunSummary>((resolve) => {
      this.#runs.set(runId, {
        child,
        started,
        onEvent: opts.onEvent,
        fold: new RunFold(runId),
        resolve,
      });
    });
    if (
      !this.#send(child, {
        type: "run",
        runId,
        document,
        previews: opts.previews !== false,
        progressIntervalMs: opts.progressIntervalMs ?? 0,
      })
    ) {
      this.#runs.delete(runId);
      return failedRunSummary(runId, started, {
        message: "the runner process exited before the run could start",
        code: "runner_exited",
      });
    }
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await summary;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async #request(make: (id: number) => ToRunner): Promise<FromRunner> {
    const child = await this.#start();
    const id = this.#nextId++;
    return new Promise<FromRunner>((resolve, reject) => {
      const timeoutMs = this.opts.requestTimeoutMs ?? 15_000;
      const timer = setTimeout(() => {
        this.#requests.delete(id);
        reject(new Error(`the runner process did not answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#requests.set(id, { child, resolve, reject, timer });
      if (!this.#send(child, make(id))) {
        this.#requests.delete(id);
        clearTimeout(timer);
        reject(new Error("the runner process is not connected"));
      }
    });
  }

  /** The child's caches and provider; the idle server's while no child runs (nothing is loaded then). */
  async stats(): Promise<RunnerStats> {
    if (!this.#child || this.#closed) return this.opts.idleStats();
    const msg = await this.#request((id) => ({ type: "stats", id }));
    if (msg.type !== "stats") throw new Error(`unexpected answer from the runner process: ${msg.type}`);
    const { type: _type, id: _id, ...stats } = msg;
    return { ...stats, runner: { mode: "process", pid: this.pid } };
  }

  async free(opts: { outputs: boolean }): Promise<FreedBytes> {
    if (!this.#child || this.#closed) return { freedSessionBytes: 0, freedOutputBytes: 0 };
    const msg = await this.#request((id) => ({ type: "free", id, outputs: opts.outputs }));
    if (msg.type !== "freed") throw new Error(`unexpected answer from the runner process: ${msg.type}`);
    return { freedSessionBytes: msg.freedSessionBytes, freedOutputBytes: msg.freedOutputBytes };
  }

  /** Kills the child (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
  async close(graceMs = 2000): Promise<void> {
    this.#closed = true;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

function fromWire(s: WireSummary): RunSummary {
  return { ...s, outputs: new Map() };
}
