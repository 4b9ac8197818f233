/**
 * One writer: a run's files come back as metadata and the queue inserts their rows — with the batch
 * of events that names them (a stored event never names a missing row), or, when that batch could
 * not be stored, with the run's end (nothing reported is lost). Rows from another process are checked.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { FileOutput, RunEvent } from "../../core/run/events";
import { type ArtifactMeta, ContentArtifacts } from "../../server/artifacts/content";
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
/** Makes the next interactive transaction fail once (a full disk, say), then behaves. */
let failNextTransaction = false;

beforeAll(async () => {
  ({ dir } = await tempDatabase());
  db = createServerDb(`file:${path.join(dir, "petalflow.db")}`);
});

afterAll(async () => {
  await db?.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

function flaky(client: PrismaClient): PrismaClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "$transaction" && failNextTransaction) {
        failNextTransaction = false;
        return async () => {
          throw new Error("database or disk is full");
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

async function startRun(queue: SqliteRunQueue): Promise<string> {
  await queue.enqueue(
    [{ graphId: null, graphVersionId: null, document: "{}", overrides: {}, seeds: {} }],
    null,
  );
  const run = await queue.takeNext();
  if (!run) throw new Error("no run taken");
  return run.id;
}

const png = (v: number) => encodePng({ width: 1, height: 1, channels: 3, data: new Uint8Array([v, v, v]) });

function finished(runId: string, file: FileOutput): RunEvent {
  return {
    type: "node.finished",
    runId,
    nodeId: "save",
    nodeType: "save-image",
    ms: 1,
    outputs: {},
    files: [file],
  };
}

const succeeded = (runId: string): RunSummary => ({
  runId,
  status: "succeeded",
  ms: 1,
  results: {},
  outputs: new Map(),
  files: [],
  seeds: {},
});

it("stores an artifact's row with the event that names it, before that event is published", async () => {
  const queue = new SqliteRunQueue(db, bus, { maxPerClient: 10 });
  const runId = await startRun(queue);
  const sink = new ContentArtifacts(path.join(dir, "data"), {
    onArtifact: (m) => queue.reportArtifact(m),
    findLatent: async () => null,
  });
  const rowWhenPublished = new Promise<unknown>((resolve) => {
    bus.onRun(runId, ({ event }) => {
      if (event.type === "node.finished")
        resolve(db.artifact.findUnique({ where: { id: event.files?.[0]?.artifactId ?? "" } }));
    });
  });
  const file = await sink.saveImage({
    runId,
    nodeId: "save",
    index: 0,
    png: png(1),
    width: 1,
    height: 1,
    seed: "7",
    prefix: "x",
    temporary: false,
  });
  expect(await db.artifact.count({ where: { runId } })).toBe(0); // only reported so far
  queue.reportEvent(runId, finished(runId, file));
  expect(await rowWhenPublished).toMatchObject({
    id: file.artifactId,
    runId,
    nodeId: "save",
    kind: "image",
    seed: "7",
  });
  const row = await db.artifact.findUniqueOrThrow({ where: { id: file.artifactId! } });
  expect(fs.existsSync(path.join(dir, "data", row.path))).toBe(true);
  await queue.finish(runId, succeeded(runId));
  expect(await db.artifact.count({ where: { runId } })).toBe(1);
});

it("a row whose batch failed to store goes in with the run's end", async () => {
  const queue = new SqliteRunQueue(flaky(db), bus, { maxPerClient: 10, log: () => undefined });
  const runId = await startRun(queue);
  const sink = new ContentArtifacts(path.join(dir, "data"), {
    onArtifact: (m) => queue.reportArtifact(m),
    findLatent: async () => null,
  });
  const published = new Promise<void>((resolve) => {
    bus.onRun(runId, ({ event }) => {
      if (event.type === "node.finished") resolve();
    });
  });
  const file = await sink.saveLatent({
    runId,
    nodeId: "store",
    bytes: new Uint8Array([1, 2, 3]),
    prefix: "l",
  });
  failNextTransaction = true;
  queue.reportEvent(runId, finished(runId, file));
  await published; // live subscribers still got it
  expect(await db.artifact.count({ where: { runId } })).toBe(0);
  await queue.finish(runId, succeeded(runId));
  expect(await db.artifact.findUnique({ where: { id: file.artifactId! } })).toMatchObject({
    kind: "latent",
    bytes: 3,
  });
});

it("refuses rows of another run or with a path that is not the file's content address", async () => {
  const queue = new SqliteRunQueue(db, bus, { maxPerClient: 10 });
  const runId = await startRun(queue);
  const metas: ArtifactMeta[] = [];
  const sink = new ContentArtifacts(path.join(dir, "data"), {
    onArtifact: (m) => metas.push(m),
    findLatent: async () => null,
  });
  await sink.saveImage({
    runId,
    nodeId: "a",
    index: 0,
    png: png(2),
    width: 1,
    height: 1,
    prefix: "x",
    temporary: true,
  });
  await expect(recordArtifacts(db, "some-other-run", metas)).rejects.toThrow(
    /belongs to run .*, not some-other-run/,
  );
  await expect(
    recordArtifacts(db, runId, [{ ...metas[0], path: "artifacts/00/../../etc.png" }]),
  ).rejects.toThrow(/path is not the content address/);
  expect(await recordArtifacts(db, runId, metas)).toBe(1);
});
