/**
 * A run enqueued while the worker has a free slot and nothing waits ahead of it is written `running`
 * (owned by this process) in the enqueue's own transaction and handed to the worker as that commits:
 * no take round trip (a read and a write behind the request's answer) between the Run row and the
 * runner (issue 18, the server path's fixed cost). Otherwise the queue works as before: FIFO within
 * priority, a paused queue starts nothing, and runs that wait are taken by the worker's pump.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { contentPath } from "../../server/artifacts/files";
import type { PrismaClient } from "../../server/db/client";
import { insertRows } from "../../server/db/raw-insert";
import { createServerDb } from "../../server/db/serialized";
import type { RunSummary } from "../../server/engine/executor";
import { EventBus } from "../../server/events/bus";
import { type NewRun, SqliteRunQueue } from "../../server/queue/queue";
import { Worker } from "../../server/queue/worker";
import { tempDatabase } from "./helpers/app";

let db: PrismaClient;
let dir: string;
/** Model calls made on the client or inside a transaction ("run.findFirst", "tx:run.create"), in order. */
let calls: string[] = [];
/** Model calls outside transactions that have answered. */
const answered: string[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  ({ dir } = await tempDatabase());
  db = createServerDb(`file:${path.join(dir, "petalflow.db")}`);
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await db.run.deleteMany({});
});

afterAll(async () => {
  await db?.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A model delegate whose calls are recorded in `calls` with `prefix`. */
function recorded(delegate: object, model: string, prefix: string): object {
  return new Proxy(delegate, {
    get(d, method, r) {
      const fn = Reflect.get(d, method, r);
      if (typeof fn !== "function") return fn;
      return (...args: unknown[]) => {
        const name = `${prefix}${model}.${String(method)}`;
        calls.push(name);
        const result = fn.apply(d, args) as Promise<unknown>;
        if (prefix) return result;
        // Outside transactions: also when it answered (the worker's idle pump is over after its read).
        return result.then((r) => {
          answered.push(name);
          return r;
        });
      };
    },
  });
}

/** The client, every model call (outside and inside transactions) recorded. */
function counting(client: PrismaClient): PrismaClient {
  const models = (target: object, prefix: string) =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const value = Reflect.get(t, prop, receiver);
        // Raw statements (not compiled by Prisma): recorded by their method.
        if (prop === "$queryRawUnsafe" || prop === "$executeRawUnsafe")
          return (...args: unknown[]) => {
            calls.push(`${prefix}${prop}`);
            return (value as (...a: unknown[]) => unknown).apply(t, args);
          };
        if (typeof prop !== "string" || prop.startsWith("$") || typeof value !== "object" || !value)
          return value;
        return recorded(value, prop, prefix);
      },
    });
  return new Proxy(models(client, ""), {
    get(target, prop, receiver) {
      if (prop !== "$transaction") return Reflect.get(target, prop, receiver);
      return (fn: (tx: object) => Promise<unknown>, ...rest: unknown[]) =>
        (client.$transaction as (f: unknown, ...r: unknown[]) => Promise<unknown>)(
          (tx: object) => fn(models(tx, "tx:")),
          ...rest,
        );
    },
  }) as PrismaClient;
}

/** An executor whose runs end when the test says so; records the order runs start in and what was called before. */
function heldExecutor() {
  const started: { runId: string; callsBefore: string[] }[] = [];
  const finishers = new Map<string, () => void>();
  return {
    started,
    finish(runId: string) {
      finishers.get(runId)?.();
    },
    run(_doc: unknown, opts: { runId?: string } = {}): Promise<RunSummary> {
      const runId = opts.runId ?? "?";
      started.push({ runId, callsBefore: [...calls] });
      return new Promise((resolve) =>
        finishers.set(runId, () =>
          resolve({
            runId,
            status: "succeeded",
            ms: 1,
            results: {},
            outputs: new Map(),
            files: [],
            seeds: {},
          }),
        ),
      );
    },
  };
}

/** A queue and a started worker offered to it, once the worker's first (idle) pump is over. */
async function setup(concurrency: number) {
  answered.length = 0;
  const bus = new EventBus();
  const queue = new SqliteRunQueue(counting(db), bus, { maxPerClient: 50, maxTotal: 100 });
  const executor = heldExecutor();
  // A long poll: only the queue's own wake-ups (and the direct hand-over) start runs here.
  const worker = new Worker(queue, executor, bus, { concurrency, pollMs: 60_000 });
  workers.push(worker);
  worker.start();
  queue.offerTo(worker);
  await until("the worker's first idle pump", () => answered.includes("run.findFirst"));
  await new Promise((r) => setTimeout(r, 0)); // its last microtasks: the pump has ended
  return { bus, queue, executor, worker };
}

const newRun = (id: string, priority = 0): NewRun => ({
  id,
  graphId: null,
  graphVersionId: null,
  document: "{}",
  overrides: {},
  seeds: {},
  priority,
});

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it("hands a run to a free worker in the enqueue's transaction: running and started before enqueue answers, no take statements", async () => {
  const { queue, executor, worker } = await setup(1);
  calls = [];
  const [id] = await queue.enqueue([newRun("direct-take-run-0000001")], "client:a");
  // Started in the same tick as the commit: before enqueue() resolved.
  expect(executor.started.map((s) => s.runId)).toEqual([id]);
  expect(worker.running).toEqual([id]);
  // Only the enqueue's transaction ran before the runner got it (no findFirst + updateMany take), and
  // in it one raw read (both limits' counts and the last queue position) and the insert.
  expect(executor.started[0].callsBefore).toEqual(["tx:$queryRawUnsafe", "tx:run.create"]);
  const row = await db.run.findUniqueOrThrow({ where: { id } });
  expect(row.status).toBe("running");
  expect(row.ownerId).toBe(queue.ownerId);
  expect(row.startedAt).toBeInstanceOf(Date);
  expect(row.heartbeatAt).toBeInstanceOf(Date);
  // Events are reported and the run's end recorded through the pipe made for it, each batch of events
  // in one raw INSERT (no createMany to compile on the way to the run's first event).
  calls = [];
  const before = Date.now();
  queue.reportEvent(id, { type: "run.started", runId: id, at: Date.now(), plan: [] });
  queue.reportEvent(id, { type: "node.started", runId: id, nodeId: "a", nodeType: "noise" });
  await queue.settled();
  expect(calls).toEqual(["$executeRawUnsafe"]);
  // A saved image's row goes in with the event naming it: one transaction, two raw inserts.
  calls = [];
  const sha256 = "ab".repeat(32);
  queue.reportArtifact({
    id: "artifactdirecttake01",
    runId: id,
    nodeId: "save",
    kind: "image",
    path: contentPath("artifacts", sha256, "png"),
    sha256,
    width: 8,
    height: 8,
    seed: "18446744073709551615",
    bytes: 123,
    mimeType: "image/png",
    createdAt: new Date(),
  });
  queue.reportEvent(id, { type: "node.started", runId: id, nodeId: "save", nodeType: "save-image" });
  await queue.settled();
  expect(calls).toEqual(["tx:$executeRawUnsafe", "tx:$executeRawUnsafe"]);
  const artifact = await db.artifact.findUniqueOrThrow({ where: { id: "artifactdirecttake01" } });
  expect(artifact).toMatchObject({
    runId: id,
    kind: "image",
    width: 8,
    seed: "18446744073709551615",
    bytes: 123,
  });
  expect(artifact.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
  executor.finish(id);
  await until(
    "the run's end",
    async () => (await db.run.findUnique({ where: { id } }))?.status === "succeeded",
  );
  const events = await db.runEvent.findMany({ where: { runId: id }, orderBy: { seq: "asc" } });
  expect(events.map((e) => [e.seq, e.type])).toEqual([
    [0, "run.started"],
    [1, "node.started"],
    [2, "node.started"],
    [3, "run.finished"],
  ]);
  // Their createdAt is Prisma's own DateTime (read back as the time they were stored).
  for (const e of events) {
    expect(e.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(e.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  }
  expect(JSON.parse(events[1].payload)).toEqual({
    type: "node.started",
    runId: id,
    nodeId: "a",
    nodeType: "noise",
  });
});

it("keeps FIFO: with runs waiting or no free slot, a new run is queued and taken by the pump in order", async () => {
  const { queue, executor } = await setup(1);
  const [a] = await queue.enqueue([newRun("direct-take-run-000000a")], null);
  // The slot is taken: b and c wait, b first.
  const [b] = await queue.enqueue([newRun("direct-take-run-000000b")], null);
  const [c] = await queue.enqueue([newRun("direct-take-run-000000c")], null);
  expect((await db.run.findUniqueOrThrow({ where: { id: b } })).status).toBe("queued");
  expect((await db.run.findUniqueOrThrow({ where: { id: c } })).status).toBe("queued");
  executor.finish(a);
  await until("b to start", () => executor.started.length === 2);
  executor.finish(b);
  await until("c to start", () => executor.started.length === 3);
  expect(executor.started.map((s) => s.runId)).toEqual([a, b, c]);
  executor.finish(c);
});

it("takes a batch's first runs up to the free slots; the rest wait in order", async () => {
  const { queue, executor } = await setup(2);
  const ids = await queue.enqueue(
    ["1", "2", "3"].map((n) => newRun(`direct-take-batch-00000${n}`)),
    null,
  );
  expect(executor.started.map((s) => s.runId)).toEqual(ids.slice(0, 2));
  expect((await db.run.findUniqueOrThrow({ where: { id: ids[2] } })).status).toBe("queued");
  executor.finish(ids[0]);
  await until("the third to start", () => executor.started.length === 3);
  expect(executor.started.map((s) => s.runId)).toEqual(ids);
  executor.finish(ids[1]);
  executor.finish(ids[2]);
});

it("still refuses a client over its limit and a full queue, counting from the one raw read", async () => {
  const bus = new EventBus();
  const queue = new SqliteRunQueue(db, bus, { maxPerClient: 2, maxTotal: 3 });
  await queue.enqueue([newRun("limit-run-0000000000001"), newRun("limit-run-0000000000002")], "client:a");
  await expect(queue.enqueue([newRun("limit-run-0000000000003")], "client:a")).rejects.toThrow(
    "the queue holds 2 of your runs; at most 2 may wait at once (asked to add 1)",
  );
  await queue.enqueue([newRun("limit-run-0000000000004")], "client:b");
  await expect(queue.enqueue([newRun("limit-run-0000000000005")], "client:c")).rejects.toThrow(
    "the queue is full: 3 runs wait and this server holds at most 3 (asked to add 1)",
  );
  // Queue positions continue from the last one.
  const rows = await db.run.findMany({ orderBy: { queueSeq: "asc" }, select: { id: true, queueSeq: true } });
  expect(rows.map((r) => r.id)).toEqual([
    "limit-run-0000000000001",
    "limit-run-0000000000002",
    "limit-run-0000000000004",
  ]);
  expect(rows[1].queueSeq).toBe(rows[0].queueSeq + 1);
  expect(rows[2].queueSeq).toBe(rows[1].queueSeq + 1);
});

it("reports a row already there as P2002, as a model query does (a retried pool upload relies on it)", async () => {
  const run = await db.run.create({ data: { document: "{}", queueSeq: 1 }, select: { id: true } });
  const row = { runId: run.id, seq: 0, type: "run.started", payload: "{}", createdAt: new Date() };
  const columns = ["runId", "seq", "type", "payload", "createdAt"] as const;
  await insertRows(db, "RunEvent", columns, [row]);
  await expect(insertRows(db, "RunEvent", columns, [row])).rejects.toMatchObject({ code: "P2002" });
  await expect(db.$transaction((tx) => insertRows(tx, "RunEvent", columns, [row]))).rejects.toMatchObject({
    code: "P2002",
  });
});

it("starts nothing while the queue is paused, and hands nothing over after a refused enqueue", async () => {
  const { queue, executor } = await setup(1);
  queue.setPaused(true);
  const [id] = await queue.enqueue([newRun("direct-take-paused-0001")], null);
  expect(executor.started).toEqual([]);
  expect((await db.run.findUniqueOrThrow({ where: { id } })).status).toBe("queued");
  queue.setPaused(false);
  await until("the run to start once resumed", () => executor.started.length === 1);
  executor.finish(id);
  await until(
    "the slot to free",
    async () => (await db.run.findUnique({ where: { id } }))?.status === "succeeded",
  );
  // A taken id: the whole enqueue fails, nothing starts, and the held slot is free again.
  await expect(queue.enqueue([newRun("direct-take-paused-0001")], null)).rejects.toThrow();
  expect(executor.started.length).toBe(1);
  const [next] = await queue.enqueue([newRun("direct-take-paused-0002")], null);
  expect(executor.started.map((s) => s.runId)).toEqual([id, next]);
  executor.finish(next);
});
