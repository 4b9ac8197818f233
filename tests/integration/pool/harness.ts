/**
 * Real processes for the worker-pool tests: a redis-server on a free loopback port in a temporary
 * directory (append-only file on, fsync at every write, so a restart keeps every acknowledged job),
 * `npm run worker` processes (scripts/worker.mjs: scripts/worker.ts from its bundle), and the server's
 * /api/worker/* routes on a node HTTP server (the same handler Next serves) in front of a test app whose
 * runs go to the pool.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { App } from "../../../server/app";
import { handleWorkerRequest, workerHttpDeps } from "../../../server/pool/http";
import { makeTestApp, type TestApp } from "../helpers/app";

/** Debian's redis-server (.ci/run installs it); without it the pool tests are skipped, saying so. */
export const HAS_REDIS = spawnSync("redis-server", ["--version"]).status === 0;
if (!HAS_REDIS) console.warn("pool tests skipped: no redis-server on PATH (apt-get install redis-server)");

export const WORKER_TOKEN = "worker-token-0123456789abcdef";

/** POOL_LOG=<file>: the workers' and the app's log lines are appended there (diagnosing a failure). */
export function poolLog(source: string): (line: string) => void {
  const file = process.env.POOL_LOG;
  if (!file) return () => undefined;
  return (line) => fs.appendFileSync(file, `${new Date().toISOString()} ${source} ${line.trimEnd()}\n`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it returns something truthy; a bound for hangs, not a speed requirement. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  ms = 120_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RedisProcess {
  url: string;
  port: number;
  dir: string;
  /**
   * SHUTDOWN (the append-only file is complete), or with `crash` SIGKILL (a power cut: with fsync at
   * every write nothing acknowledged is lost), and start again on the same port and directory.
   */
  restart(opts?: { crash?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-redis-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess;
  const launch = async () => {
    proc = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--protected-mode",
        "yes",
        "--loglevel",
        "warning",
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    await until(
      "redis-server to answer",
      async () => {
        const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on("error", () => undefined);
        try {
          await c.connect();
          return (await c.ping()) === "PONG";
        } catch {
          return false;
        } finally {
          c.disconnect();
        }
      },
      30_000,
    );
  };
  const stop = async (crash = false) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    if (crash) {
      proc.kill("SIGKILL");
      return exited;
    }
    const c = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on("error", () => undefined);
    await c.call("SHUTDOWN").catch(() => undefined); // answers with a closed connection
    c.disconnect();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (proc.exitCode === null) proc.kill("SIGKILL");
  };
  await launch();
  return {
    url,
    port,
    dir,
    async restart(opts = {}) {
      const note = poolLog("redis");
      note(`restart: ${opts.crash ? "SIGKILL" : "shutting down"}`);
      await stop(opts.crash);
      await launch();
      note("restart: answering again");
    },
    async stop() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface WorkerRoutes {
  url: string;
  close(): Promise<void>;
  /** Requests served so far. */
  requests: number;
  /** The next n requests are answered 503, as by a server restarting. */
  failNext(n: number): void;
}

/** The server's /api/worker/* on a loopback port (as Next serves it), for the workers to upload to. */
export async function serveWorkerRoutes(app: App, fixedPort?: number): Promise<WorkerRoutes> {
  const state = { requests: 0, fail: 0 };
  const server = http.createServer(async (req, res) => {
    state.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (state.fail > 0) {
      state.fail--;
      res.writeHead(503).end("restarting (failNext)");
      return;
    }
    const body = Buffer.concat(chunks);
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    try {
      const response = await handleWorkerRequest(workerHttpDeps(app), request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  const port = fixedPort ?? (await freePort());
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    failNext(n: number) {
      state.fail = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface WorkerProcess {
  id: string;
  proc: ChildProcess;
  log: string[];
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
}

export interface WorkerOptions {
  id: string;
  redisUrl: string;
  serverUrl: string;
  modelsDir: string;
  lockMs?: number;
  heartbeatMs?: number;
}

export async function startWorker(opts: WorkerOptions): Promise<WorkerProcess> {
  const log: string[] = [];
  const proc = spawn(process.execPath, ["scripts/worker.mjs"], {
    env: {
      NODE_ENV: "test",
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // Deliberately no DATABASE_URL: a worker never opens the database.
      PETALFLOW_SERVER_URL: opts.serverUrl,
      PETALFLOW_WORKER_TOKEN: WORKER_TOKEN,
      PETALFLOW_REDIS_URL: opts.redisUrl,
      PETALFLOW_MODELS_DIR: opts.modelsDir,
      PETALFLOW_PROVIDER: "cpu",
      // One onnxruntime thread per worker: several workers share this host's cores, as on a real pool
      // host with more workers than GPUs would.
      PETALFLOW_ORT_THREADS: "1",
      PETALFLOW_WORKER_ID: opts.id,
      PETALFLOW_WORKER_HEARTBEAT_MS: String(opts.heartbeatMs ?? 500),
      PETALFLOW_POOL_LOCK_MS: String(opts.lockMs ?? 4000),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const toFile = poolLog(`worker ${opts.id}`);
  proc.stderr?.on("data", (d) => {
    log.push(String(d));
    toFile(String(d));
  });
  let ready = false;
  proc.stdout?.on("data", (d) => {
    log.push(String(d));
    toFile(String(d));
    if (/ready/.test(String(d))) ready = true;
  });
  await until(`worker ${opts.id} to be ready (log: ${log.join("").slice(-500)})`, () => {
    if (proc.exitCode !== null) throw new Error(`worker ${opts.id} exited: ${log.join("").slice(-2000)}`);
    return ready;
  });
  return {
    id: opts.id,
    proc,
    log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** A copy of a fixture model folder whose bytes differ (same name, another content hash). */
export function alteredModelsDir(source: string, name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-models-"));
  fs.cpSync(path.join(source, name), path.join(dir, name), { recursive: true });
  const index = path.join(dir, name, "model_index.json");
  fs.writeFileSync(index, `${fs.readFileSync(index, "utf8")}\n`);
  return dir;
}

/** A stored run event as the tests read it. */
export interface StoredEvent {
  type: string;
  seq: number;
  nodeId?: string;
  message?: string;
  plan?: string[];
  files?: { artifactId?: string; sha256?: string }[];
}

export function parseEvent(row: { type: string; seq: number; payload: string }): StoredEvent {
  return { ...(JSON.parse(row.payload) as Omit<StoredEvent, "type" | "seq">), type: row.type, seq: row.seq };
}

/** What most pool tests start: redis-server, an app whose runs go to the pool, and its worker routes. */
export interface PoolApp {
  redis: RedisProcess;
  t: TestApp;
  routes: WorkerRoutes;
  /** A worker of this pool (its Redis and server URLs filled in). */
  worker(opts: Omit<WorkerOptions, "redisUrl" | "serverUrl">): Promise<WorkerProcess>;
  /** Stops these workers, then the app, its routes and redis-server. */
  close(workers?: readonly (WorkerProcess | undefined)[]): Promise<void>;
}

export async function startPoolApp(
  opts: { log?: (line: string) => void; env?: Record<string, string | number> } = {},
): Promise<PoolApp> {
  const redis = await startRedis();
  const t = await makeTestApp({
    env: { PETALFLOW_REDIS_URL: redis.url, PETALFLOW_WORKER_TOKEN: WORKER_TOKEN, ...opts.env },
    ...(opts.log ? { log: opts.log } : {}),
  });
  const routes = await serveWorkerRoutes(t.app);
  return {
    redis,
    t,
    routes,
    worker: (o) => startWorker({ ...o, redisUrl: redis.url, serverUrl: routes.url }),
    async close(workers = []) {
      for (const w of workers) await w?.stop().catch(() => undefined);
      await t.close();
      await routes.close();
      await redis.stop();
    },
  };
}
