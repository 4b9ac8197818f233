/**
 * The pool's fixed cost per run, counted where it is paid (real redis-server, worker process, app):
 * events that a worker has ready while its previous write is in flight go as one stream entry (the
 * events stored and seen by browsers stay the same, in order); the server's stream reader does not
 * recreate its consumer group before every read and acknowledges with its next read; a route is
 * announced to the workers once, not once per run; a worker's heartbeat is two commands, no MULTI/EXEC;
 * progress-only batches go on a pub/sub channel, not through the durable stream.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../../core/run/events";
import { POOL, type StreamEntry } from "../../../server/pool/protocol";
import { MODELS_DIR, type TestApp, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { collect } from "../helpers/events";
import {
  HAS_REDIS,
  type PoolApp,
  parseEvent,
  type RedisProcess,
  startPoolApp,
  type WorkerProcess,
} from "./harness";

let pool: PoolApp;
let redis: RedisProcess;
let admin: Redis;
let t: TestApp;
let worker: WorkerProcess;

beforeAll(async () => {
  if (!HAS_REDIS) return;
  // Progress reported at most every 5 ms (not 50): a short run on the tiny model still has several.
  pool = await startPoolApp({ env: { PETALFLOW_PROGRESS_INTERVAL_MS: 5 } });
  ({ redis, t } = pool);
  admin = new Redis(redis.url);
  worker = await pool.worker({ id: "hot-1", modelsDir: MODELS_DIR });
});

afterAll(async () => {
  admin?.disconnect();
  await pool?.close([worker]);
});

/** Calls of each Redis command so far (INFO commandstats). */
async function calls(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await admin.info("commandstats")).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g))
    out[m[1]] = Number(m[2]);
  return out;
}

async function entriesOf(runId: string): Promise<StreamEntry[]> {
  const all = await admin.xrange(POOL.events, "-", "+");
  return all.map(([, f]) => JSON.parse(f[1]) as StreamEntry).filter((e) => e.runId === runId);
}

async function runOnce(seed: number): Promise<string> {
  const doc = txt2img({ seed, steps: 4 });
  const id = (await t.caller.runs.enqueue({ document: doc })).runs[0].id;
  expect(await waitForRun(t.app, id)).toBe("succeeded");
  return id;
}

describe.skipIf(!HAS_REDIS)("worker pool: fixed cost per run", () => {
  it("marks the worker idle in the registry before its run's end is in the stream", async () => {
    await runOnce(20);
    // MONITOR lists commands in the order Redis ran them.
    const mon = await admin.monitor();
    const seen: string[][] = [];
    mon.on("monitor", (_time: string, args: string[]) => seen.push(args));
    const id = await runOnce(21);
    await new Promise((r) => setTimeout(r, 200)); // MONITOR's last lines
    mon.disconnect();
    const isDone = (a: string[]) =>
      a[0]?.toLowerCase() === "xadd" &&
      a.some((x) => x.includes(`"runId":"${id}"`) && x.includes('"kind":"done"'));
    const idleAfter = (a: string[]) =>
      a[0]?.toLowerCase() === "set" && a[1] === POOL.worker("hot-1") && a[2]?.includes('"currentRun":null');
    const busy = seen.findIndex(
      (a) =>
        a[0]?.toLowerCase() === "set" &&
        a[1] === POOL.worker("hot-1") &&
        a[2]?.includes(`"currentRun":"${id}"`),
    );
    const done = seen.findIndex(isDone);
    expect(busy).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(busy);
    // Before: the idle heartbeat went out only after the end's XADD was answered.
    const idle = seen.findIndex((a, i) => i > busy && idleAfter(a));
    expect(idle).toBeGreaterThan(busy);
    expect(idle).toBeLessThan(done);
  });

  it("coalesces events written while a write is in flight; stored events unchanged and in order", async () => {
    await runOnce(1); // loads the models
    let carried = 0;
    let entries = 0;
    for (const seed of [2, 3, 4]) {
      const id = await runOnce(seed);
      const stream = await entriesOf(id);
      const events: RunEvent[] = stream.flatMap((e) =>
        e.kind === "events" ? (e.payload as RunEvent[]) : e.kind === "event" ? [e.payload as RunEvent] : [],
      );
      entries += stream.length;
      carried += events.length;
      // Numbered 0, 1, 2… in order, and the run's end last.
      expect(stream.map((e) => e.n)).toEqual(stream.map((_, i) => i));
      expect(stream.at(-1)?.kind).toBe("done");
      // What the server stored is exactly what the worker's executor emitted, in order (progress
      // events are not stored; the terminal event is written by the queue with the run's status).
      const stored = (
        await t.app.db.runEvent.findMany({ where: { runId: id }, orderBy: { seq: "asc" } })
      ).map(parseEvent);
      const persisted = events.filter((e) => e.type !== "node.progress");
      expect(stored.map((e) => e.type)).toEqual(persisted.map((e) => e.type));
      expect(stored.map((e) => (e as { nodeId?: string }).nodeId)).toEqual(
        persisted.map((e) => (e as { nodeId?: string }).nodeId),
      );
    }
    // One entry per event (plus the end) before: 3 runs of ~15 events took ~48 entries.
    expect(entries).toBeLessThan(carried);
  });

  it("sends progress-only batches on the progress channel, delivered between their node's start and end", async () => {
    await runOnce(30);
    const sub = admin.duplicate();
    const live: StreamEntry[] = [];
    sub.on("message", (_c: string, m: string) => live.push(JSON.parse(m) as StreamEntry));
    await sub.subscribe(POOL.progressChannel);
    try {
      // Enough steps for the progress throttle to let several reports through on their own.
      const doc = txt2img({ seed: 31, steps: 1000, size: 64 });
      const id = (await t.caller.runs.enqueue({ document: doc })).runs[0].id;
      const seen = await collect(await t.caller.runs.events({ runId: id }));
      expect(await waitForRun(t.app, id)).toBe("succeeded");
      const progressOf = (e: StreamEntry) =>
        (e.kind === "events"
          ? (e.payload as RunEvent[])
          : e.kind === "event"
            ? [e.payload as RunEvent]
            : []
        ).filter((x) => x.type === "node.progress");
      // Not in the stream (no append-only-file write, no acknowledgement): no entry is all progress.
      const stream = await entriesOf(id);
      expect(
        stream.filter(
          (e) =>
            e.kind !== "done" && progressOf(e).length === (Array.isArray(e.payload) ? e.payload.length : 1),
        ),
      ).toEqual([]);
      const mine = live.filter((e) => e.runId === id);
      expect(mine.length).toBeGreaterThan(2);
      expect(mine.every((e) => progressOf(e).length > 0)).toBe(true);
      // What the browser's stream got: progress from the channel too, each inside its node's start and end.
      const events = seen.map((e) => e.data);
      const sampling = events.filter((e) => e.type === "node.progress");
      expect(sampling.length).toBeGreaterThan(stream.flatMap(progressOf).length);
      let running: string | null = null;
      let lastStep = 0;
      for (const e of events) {
        if (e.type === "node.started") [running, lastStep] = [e.nodeId, 0];
        else if (e.type === "node.finished") running = null;
        else if (e.type === "node.progress") {
          expect([e.nodeId, e.step > lastStep]).toEqual([running, true]);
          lastStep = e.step;
        }
      }
    } finally {
      sub.disconnect();
    }
  });

  it("reads the stream without recreating its group per read, and announces a route once", async () => {
    await runOnce(10);
    const announced: string[] = [];
    const sub = admin.duplicate();
    sub.on("message", (_c: string, m: string) => announced.push(m));
    await sub.subscribe(POOL.routesChannel);
    const before = await calls();
    for (const seed of [11, 12, 13]) await runOnce(seed);
    const after = await calls();
    sub.disconnect();
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    // Several reads per run, each once preceded by XGROUP CREATE (and an XACK of its own round trip).
    expect(delta("xreadgroup")).toBeGreaterThan(3);
    expect(delta("xgroup|create")).toBe(0);
    // The route is written once per run (Redis may have lost it) but announced (PUBLISH, which makes
    // every worker read the routes again) for the first run only.
    expect(announced).toEqual([]);
    expect(delta("hset")).toBe(3);
    // The worker's heartbeats (at each run's start and end, and periodically) are a SET and a SADD,
    // not wrapped in MULTI/EXEC (before: 2 MULTI and 2 EXEC a run at least). Nothing else here uses MULTI.
    expect(delta("multi")).toBe(0);
    expect(delta("exec")).toBe(0);
    expect(delta("sadd")).toBeGreaterThanOrEqual(6);
  });
});
