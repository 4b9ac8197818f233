/**
 * A run's end is on the click → image path (issue 18): the terminal event is published only once the
 * transaction that records it commits, and every statement in it holds the one database connection
 * (the image request waits behind it). The graph's thumbnail needs the run's graph and its last image,
 * which the queue already knows when it took the run and saw its files reported: no reads for them.
 * A run this process did not take (adopted after a restart) still finds both in the database.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FileOutput } from "../../core/run/events";
import { ContentArtifacts } from "../../server/artifacts/content";
import { recordArtifacts } from "../../server/artifacts/record";
import type { PrismaClient } from "../../server/db/client";
import { createServerDb } from "../../server/db/serialized";
import type { RunSummary } from "../../server/engine/executor";
import { EventBus } from "../../server/events/bus";
import { encodePng } from "../../server/media/png";
import { SqliteRunQueue } from "../../server/queue/queue";
import { tempDatabase } from "./helpers/app";

let db: PrismaClient;
let dir: string;
const bus = new EventBus();
/** Statements run inside interactive transactions, as "model.method". */
let statements: string[] = [];

beforeAll(async () => {
  ({ dir } = await tempDatabase());
  db = createServerDb(`file:${path.join(dir, "petalflow.db")}`);
});

afterAll(async () => {
  await db?.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The client, with each statement a transaction runs recorded in `statements`. */
function counting(client: PrismaClient): PrismaClient {
  const wrapTx = (tx: object) =>
    new Proxy(tx, {
      get(target, model, receiver) {
        const delegate = Reflect.get(target, model, receiver);
        // The terminal event goes in as a raw statement (queue.ts insertEvents): recorded as such.
        if (model === "$executeRawUnsafe")
          return (...args: unknown[]) => {
            statements.push("runEvent.insert (raw)");
            return (delegate as (...a: unknown[]) => unknown).apply(target, args);
          };
        if (typeof model !== "string" || model.startsWith("$") || typeof delegate !== "object")
          return delegate;
        return new Proxy(delegate, {
          get(d, method, r) {
            const fn = Reflect.get(d, method, r);
            if (typeof fn !== "function") return fn;
            return (...args: unknown[]) => {
              statements.push(`${model}.${String(method)}`);
              return fn.apply(d, args);
            };
          },
        });
      },
    });
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "$transaction") return Reflect.get(target, prop, receiver);
      return (fn: (tx: object) => Promise<unknown>, ...rest: unknown[]) =>
        (target.$transaction as (f: unknown, ...r: unknown[]) => Promise<unknown>)(
          (tx: object) => fn(wrapTx(tx)),
          ...rest,
        );
    },
  });
}

const png = (v: number) => encodePng({ width: 1, height: 1, channels: 3, data: new Uint8Array([v, v, v]) });

const succeeded = (runId: string): RunSummary => ({
  runId,
  status: "succeeded",
  ms: 1,
  results: {},
  outputs: new Map(),
  files: [],
  seeds: {},
});

/**
 * A run of a new graph that saves two images; returns the ids. `recordedElsewhere`: the image rows are
 * inserted outside the queue (as the pool's upload route does), not reported to it.
 */
async function runWithImages(queue: SqliteRunQueue, recordedElsewhere = false) {
  const graph = await db.graph.create({ data: { name: "thumbnail" }, select: { id: true } });
  await queue.enqueue(
    [{ graphId: graph.id, graphVersionId: null, document: "{}", overrides: {}, seeds: {} }],
    null,
  );
  const run = await queue.takeNext();
  if (!run) throw new Error("no run taken");
  const recorded: Promise<unknown>[] = [];
  const sink = new ContentArtifacts(path.join(dir, "data"), {
    onArtifact: (m) => {
      if (recordedElsewhere) recorded.push(recordArtifacts(db, m.runId, [m]));
      else queue.reportArtifact(m);
    },
    findLatent: async () => null,
  });
  const files: FileOutput[] = [];
  for (const v of [1, 2]) {
    // A lookup tells the last image by createdAt alone: a new millisecond for the second (two saves in
    // one millisecond made the adopted run's lookup pick either).
    if (v === 2) await new Promise((r) => setTimeout(r, 5));
    files.push(
      await sink.saveImage({
        runId: run.id,
        nodeId: "save",
        index: v - 1,
        png: png(v),
        width: 1,
        height: 1,
        seed: String(v),
        prefix: "x",
        temporary: false,
      }),
    );
    await Promise.all(recorded);
  }
  queue.reportEvent(run.id, {
    type: "node.finished",
    runId: run.id,
    nodeId: "save",
    nodeType: "save-image",
    ms: 1,
    outputs: {},
    files,
  });
  return { graphId: graph.id, runId: run.id, lastImage: files[1].artifactId! };
}

it("records a run's end in two statements and the thumbnail in one, with no reads", async () => {
  const queue = new SqliteRunQueue(counting(db), bus, { maxPerClient: 10 });
  const { graphId, runId, lastImage } = await runWithImages(queue);
  const published = new Promise<void>((resolve) =>
    bus.onRun(runId, ({ event }) => {
      if (event.type === "run.finished") resolve();
    }),
  );
  await queue.settled();
  statements = [];
  await queue.finish(runId, succeeded(runId));
  await published;
  expect(statements).toEqual(["run.updateMany", "runEvent.insert (raw)", "graph.updateMany"]);
  const graph = await db.graph.findUniqueOrThrow({ where: { id: graphId } });
  expect(graph.thumbnailArtifactId).toBe(lastImage);
  expect((await db.run.findUniqueOrThrow({ where: { id: runId } })).status).toBe("succeeded");
});

it("a run adopted from another owner still finds its graph and last image in the database", async () => {
  const owner = new SqliteRunQueue(db, bus, { maxPerClient: 10, ownerId: "gone-owner" });
  const { graphId, runId, lastImage } = await runWithImages(owner);
  await owner.settled();
  // The owner is gone (its lease lapsed); this process adopts the run and ends it.
  await db.run.update({ where: { id: runId }, data: { heartbeatAt: new Date(0) } });
  const adopter = new SqliteRunQueue(counting(db), bus, { maxPerClient: 10, leaseMs: 1000 });
  expect(await adopter.adopt(runId)).toBe(true);
  statements = [];
  await adopter.finish(runId, succeeded(runId));
  expect(statements).toEqual([
    "run.updateMany",
    "runEvent.insert (raw)",
    "run.findUniqueOrThrow",
    "artifact.findFirst",
    "graph.updateMany",
  ]);
  expect((await db.graph.findUniqueOrThrow({ where: { id: graphId } })).thumbnailArtifactId).toBe(lastImage);
});

it("a run taken here whose images were recorded elsewhere (a pool worker's upload) still gets its thumbnail", async () => {
  const queue = new SqliteRunQueue(counting(db), bus, { maxPerClient: 10 });
  const { graphId, runId, lastImage } = await runWithImages(queue, true);
  await queue.settled();
  statements = [];
  await queue.finish(runId, succeeded(runId));
  expect(statements).toEqual([
    "run.updateMany",
    "runEvent.insert (raw)",
    "artifact.findFirst",
    "graph.updateMany",
  ]);
  expect((await db.graph.findUniqueOrThrow({ where: { id: graphId } })).thumbnailArtifactId).toBe(lastImage);
});

it("a graph deleted while its run ran: the run still ends, and nothing else changes", async () => {
  const queue = new SqliteRunQueue(db, bus, { maxPerClient: 10 });
  const { graphId, runId } = await runWithImages(queue);
  await queue.settled();
  await db.graph.delete({ where: { id: graphId } });
  await queue.finish(runId, succeeded(runId));
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  expect(run.status).toBe("succeeded");
  expect(run.graphId).toBeNull();
});
