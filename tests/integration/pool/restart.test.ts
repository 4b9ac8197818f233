/**
 * The server restarted (kill -9) while a worker runs: the worker finishes the run, its events wait in
 * the Redis stream and its uploads are retried; the restarted server takes the run over (queue.adopt)
 * instead of marking it interrupted, stores the rest of its events, and the runs queued behind it run.
 * The server is a child process (server-child.ts); this process reads and writes the same database
 * through an app without a worker (and a lease long enough that it never reclaims anything itself).
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MODELS_DIR, makeTestApp, type TestApp, tempDatabase, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import {
  freePort,
  HAS_REDIS,
  parseEvent,
  type RedisProcess,
  startRedis,
  startWorker,
  until,
  type WorkerProcess,
} from "./harness";

const CHILD = path.resolve("tests/integration/pool/server-child.ts");
let redis: RedisProcess;
let db: { dir: string; databaseUrl: string };
let port: number;
let parent: TestApp;
let worker: WorkerProcess | undefined;
const servers: ChildProcess[] = [];

async function startServer(): Promise<{ proc: ChildProcess; log: string[] }> {
  const log: string[] = [];
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, db.dir, db.databaseUrl, redis.url, String(port)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  servers.push(proc);
  let ready = false;
  proc.stdout?.on("data", (d) => {
    if (/ready/.test(String(d))) ready = true;
  });
  proc.stderr?.on("data", (d) => log.push(String(d)));
  await until("the server child to be ready", () => {
    if (proc.exitCode !== null) throw new Error(`server child exited: ${log.join("")}`);
    return ready;
  });
  return { proc, log };
}

beforeAll(async () => {
  if (!HAS_REDIS) return;
  redis = await startRedis();
  db = await tempDatabase();
  port = await freePort();
  parent = await makeTestApp({ startWorker: false, existing: db, env: { PETALFLOW_LEASE_MS: 3_600_000 } });
});

afterAll(async () => {
  await worker?.stop().catch(() => undefined);
  for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill("SIGKILL");
  await parent?.close();
  await redis?.stop();
  if (db) fs.rmSync(db.dir, { recursive: true, force: true });
});

it.skipIf(!HAS_REDIS)("server killed mid-run: the run finishes, its events are all stored", async () => {
  const first = await startServer();
  worker = await startWorker({
    id: "s1",
    redisUrl: redis.url,
    serverUrl: `http://127.0.0.1:${port}`,
    modelsDir: MODELS_DIR,
  });
  const long = (await parent.caller.runs.enqueue({ document: txt2img({ steps: 400, size: 96, seed: 31 }) }))
    .runs[0].id;
  const behind = [];
  for (const seed of [32, 33])
    behind.push((await parent.caller.runs.enqueue({ document: txt2img({ seed }) })).runs[0].id);
  await until("the long run to be sampling", () =>
    parent.app.db.runEvent.findFirst({
      where: { runId: long, type: "node.started", payload: { contains: '"nodeId":"sample"' } },
    }),
  );
  first.proc.kill("SIGKILL");
  await new Promise<void>((r) => first.proc.once("exit", () => r()));
  const second = await startServer();
  for (const id of [long, ...behind]) expect(await waitForRun(parent.app, id, 170_000)).toBe("succeeded");
  // The long run (and those behind it that were already handed to BullMQ) were taken over.
  expect(second.log.join("")).toMatch(new RegExp(`took over \\d run\\(s\\) still in the pool: .*${long}`));
  const events = (
    await parent.app.db.runEvent.findMany({ where: { runId: long }, orderBy: { seq: "asc" } })
  ).map(parseEvent);
  const types = events.map((e) => e.type);
  expect(types.filter((x) => x === "run.started")).toHaveLength(1); // never re-executed
  expect(types).not.toContain("run.interrupted");
  expect(types.at(-1)).toBe("run.finished");
  const done = events
    .filter((e) => e.type === "node.finished" || e.type === "node.cached")
    .map((e) => e.nodeId);
  expect(done).toEqual(events[0].plan);
  for (const id of [long, ...behind])
    expect(await parent.app.db.artifact.count({ where: { runId: id } })).toBe(1);
});
