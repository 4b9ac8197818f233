/**
 * The built app as a real HTTP server for the server-path and throughput benchmarks, started the way
 * `scripts/start.ts` does it (build if there is no build, migrate a database, `next start`), on
 * 127.0.0.1 and a free port, with a temporary database and data directory; and tRPC clients for it
 * (queries and mutations over httpLink, subscriptions over SSE with httpSubscriptionLink).
 *
 * Node 20 has no global EventSource: `FetchEventSource` is the small part of one that tRPC's
 * subscription link uses, on top of fetch.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createDb, type PrismaClient } from "../server/db/client";
import { migrateDeploy } from "../server/db/migrator";
import type { AppRouter } from "../server/routers/_app";

const NEXT = path.join("node_modules", ".bin", process.platform === "win32" ? "next.cmd" : "next");

export interface BenchServer {
  url: string;
  pid: number;
  dir: string;
  databaseUrl: string;
  /** A read-side connection to the server's database (start order, queue sequence). */
  db: PrismaClient;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(NEXT, args, { stdio: "inherit", env });
    child.on("exit", (code) => resolve(code ?? 1));
    child.on("error", () => resolve(1));
  });
}

/** Builds when `.next/BUILD_ID` is missing, migrates a temporary database, runs `next start`. */
export async function startServer(opts: {
  modelsDir: string;
  log?: (m: string) => void;
}): Promise<BenchServer> {
  const log = opts.log ?? ((m: string) => console.error(`[bench] ${m}`));
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  delete baseEnv.PETALFLOW_TOKEN;
  if (!existsSync(path.join(".next", "BUILD_ID"))) {
    log("no build yet: running next build (a few minutes)…");
    const code = await run(["build"], baseEnv);
    if (code !== 0) throw new Error(`next build failed (exit code ${code})`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), "pf-bench-server-"));
  const databaseUrl = `file:${path.join(dir, "petalflow.db")}`;
  await migrateDeploy(databaseUrl);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    PETALFLOW_DATA_DIR: path.join(dir, "data"),
    PETALFLOW_MODELS_DIR: path.resolve(opts.modelsDir),
    PETALFLOW_PROVIDER: process.env.PETALFLOW_PROVIDER ?? "auto",
    NODE_ENV: "production",
  };
  // Its own process group, so that stop() ends next and anything it started, by the group's id.
  const child: ChildProcess = spawn(NEXT, ["start", "-H", "127.0.0.1", "-p", String(port)], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const db = createDb(databaseUrl);
  const stop = async () => {
    await db.$disconnect().catch(() => undefined);
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`next start exited with ${child.exitCode}: ${output}`);
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`the server did not answer /api/health within 90 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`server up at ${url} (pid ${child.pid})`);
  return { url, pid: child.pid!, dir, databaseUrl, db, stop };
}

// ---- EventSource over fetch -----------------------------------------------------------------------

type Listener = (event: { type: string; data?: string; lastEventId?: string }) => void;

/** The EventSource surface tRPC's httpSubscriptionLink uses: events, readyState, close. No reconnection. */
export class FetchEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readyState = 0;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #abort = new AbortController();

  constructor(
    readonly url: string,
    init?: { headers?: Record<string, string> },
  ) {
    void this.#read(init?.headers ?? {});
  }

  addEventListener(type: string, fn: Listener): void {
    const set = this.#listeners.get(type) ?? new Set<Listener>();
    this.#listeners.set(type, set);
    set.add(fn);
  }

  removeEventListener(type: string, fn: Listener): void {
    this.#listeners.get(type)?.delete(fn);
  }

  close(): void {
    this.readyState = 2;
    this.#abort.abort();
  }

  #emit(type: string, data?: string, lastEventId?: string): void {
    for (const fn of this.#listeners.get(type) ?? []) fn({ type, data, lastEventId });
  }

  async #read(headers: Record<string, string>): Promise<void> {
    try {
      const res = await fetch(this.url, {
        headers: { accept: "text/event-stream", ...headers },
        signal: this.#abort.signal,
      });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      this.readyState = 1;
      this.#emit("open");
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let event = "message";
      let data: string[] = [];
      let id: string | undefined;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf("\n");
          if (line === "") {
            if (data.length) this.#emit(event, data.join("\n"), id);
            event = "message";
            data = [];
            continue;
          }
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = text;
          else if (field === "data") data.push(text);
          else if (field === "id") id = text;
        }
      }
    } catch (e) {
      if (this.readyState === 2) return; // closed by us
      this.readyState = 2;
      this.#emit("error", String(e));
      return;
    }
    if (this.readyState !== 2) {
      this.readyState = 2;
      this.#emit("error", "the stream ended");
    }
  }
}

/** A typed tRPC client for the server, naming itself with `x-petalflow-client` when given a name. */
export function benchClient(url: string, clientName?: string) {
  const headers = clientName ? { "x-petalflow-client": clientName } : undefined;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: `${url}/api/trpc`,
          EventSource: FetchEventSource as never,
          eventSourceOptions: (headers ? { headers } : undefined) as never,
        }),
        false: httpLink({ url: `${url}/api/trpc`, headers }),
      }),
    ],
  });
}

export type BenchClient = ReturnType<typeof benchClient>;

/** The events of one run as they arrive, with the time each arrived (ms, performance.now()). */
export interface TimedEvent {
  at: number;
  type: string;
  nodeId?: string;
}

/**
 * Follows a run's subscription to its terminal event. `pending`: the run is about to be enqueued under
 * this id (runs.enqueue's runIds), as the editor does: subscribed before the enqueue answers.
 */
export function followRun(
  client: BenchClient,
  runId: string,
  opts: { pending?: boolean } = {},
): Promise<TimedEvent[]> {
  return new Promise((resolve, reject) => {
    const events: TimedEvent[] = [];
    const sub = client.runs.events.subscribe(
      { runId, ...(opts.pending ? { pending: true } : {}) },
      {
        onData(item) {
          const e = (item as { data: { type: string; nodeId?: string } }).data;
          events.push({ at: performance.now(), type: e.type, nodeId: e.nodeId });
          if (["run.finished", "run.failed", "run.cancelled", "run.interrupted"].includes(e.type)) {
            sub.unsubscribe();
            resolve(events);
          }
        },
        onError(err) {
          sub.unsubscribe();
          reject(err);
        },
      },
    );
  });
}
