/**
 * The issue's integration test, with real processes: redis-server (AOF), the server (this process's
 * app: SQLite queue, tRPC, /api/worker/* over HTTP) and three `npm run worker` processes, one of which
 * has a folder named like the model but with other bytes (it must never get a run). POOL_RUNS short
 * runs (default 30) plus one long run are queued; the worker running the long run is killed with
 * SIGKILL as soon as the run's own events show it sampling there (never by timing), then redis-server
 * is restarted once while runs still wait. Asserted: every run
 * finished exactly once (one run.finished, one image), routing respected (the third worker ran
 * nothing), each run's events complete and ordered (contiguous seq, run.started first, a result for
 * every planned node before the end, run.finished last), and no duplicate artifact rows. Runs with
 * the same seed made the same image bytes, whichever worker ran them.
 *
 * POOL_RUNS keeps it inside CI's time on 2 cores: the short runs are the 16×16, 3-step fixture graph
 * (well under a second each alone); the long run is what the kill needs to land mid-run.
 */
import fs from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MODELS_DIR, type TestApp, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import {
  alteredModelsDir,
  HAS_REDIS,
  type PoolApp,
  parseEvent,
  poolLog,
  type RedisProcess,
  startPoolApp,
  until,
  type WorkerProcess,
} from "./harness";

const RUNS = Number(process.env.POOL_RUNS ?? 30);

let pool: PoolApp;
let redis: RedisProcess;
let t: TestApp;
let workers: WorkerProcess[] = [];
let altered = "";

beforeAll(async () => {
  if (!HAS_REDIS) return;
  pool = await startPoolApp({ log: poolLog("server") });
  ({ redis, t } = pool);
  altered = alteredModelsDir(MODELS_DIR, "tiny-sd");
  // Locks of 8 s: long enough that a loaded machine's late renewals rarely lapse, short enough for the kill.
  workers = await Promise.all([
    pool.worker({ lockMs: 8000, id: "c1", modelsDir: MODELS_DIR }),
    pool.worker({ lockMs: 8000, id: "c2", modelsDir: MODELS_DIR }),
    pool.worker({ lockMs: 8000, id: "c3-other-bytes", modelsDir: altered }),
  ]);
});

afterAll(async () => {
  await pool?.close(workers);
  if (altered) fs.rmSync(altered, { recursive: true, force: true });
});

it.skipIf(!HAS_REDIS)(
  `server + 3 workers: ${RUNS} runs and a long one, a kill -9, a Redis restart`,
  async () => {
    const began = Date.now();
    const long = (await t.caller.runs.enqueue({ document: txt2img({ steps: 1000, size: 96, seed: 1 }) }))
      .runs[0].id;
    // kill -9 the worker running the long run as soon as its sampling has started there: its own
    // node.started event is stored, and that worker's registry entry (written when it takes a run)
    // names it as its current run. 1000 steps leave seconds between the two and the end.
    const victimId = await until("the long run to be sampling on a worker", async () => {
      const state = await t.app.db.run.findUnique({ where: { id: long }, select: { status: true } });
      if (state && state.status !== "running" && state.status !== "queued")
        throw new Error(`the long run was already ${state.status} before its worker could be killed`);
      const started = await t.app.db.runEvent.findFirst({
        where: { runId: long, type: "node.started", payload: { contains: '"nodeId":"sample"' } },
      });
      if (!started) return null;
      return (await t.caller.system.workers()).workers.find((w) => w.alive && w.currentRun === long)?.id;
    });
    await workers.find((w) => w.id === victimId)?.kill9();
    // The short runs are queued now, so that the restart below surely finds them waiting (the long
    // run's retry waits for its dead worker's lock meanwhile).
    const ids: string[] = [];
    const seedOf = new Map<string, number>();
    for (let i = 0; i < RUNS; i++) {
      const seed = 700 + (i % 10); // each seed three times: same bytes whichever worker ran it
      const id = (await t.caller.runs.enqueue({ document: txt2img({ seed }) })).runs[0].id;
      ids.push(id);
      seedOf.set(id, seed);
    }
    // Then restart Redis while runs still wait in BullMQ (as soon as one has finished).
    const finished = () => t.app.db.run.count({ where: { id: { in: ids }, status: "succeeded" } });
    await until("a first run to finish", async () => (await finished()) >= 1);
    const before = await finished();
    const startedBefore = new Set(
      (await t.app.db.runEvent.findMany({ where: { runId: { in: ids } }, select: { runId: true } })).map(
        (r) => r.runId,
      ),
    );
    await redis.restart();
    expect(before).toBeLessThan(RUNS); // runs were still waiting: the restart happened mid-queue
    for (const id of [long, ...ids]) expect(await waitForRun(t.app, id, 170_000)).toBe("succeeded");

    // Exactly once, complete and ordered events, no duplicate artifacts.
    const shaBySeed = new Map<number, Set<string>>();
    let again = 0;
    for (const id of [long, ...ids]) {
      const rows = await t.app.db.runEvent.findMany({ where: { runId: id }, orderBy: { seq: "asc" } });
      // Ordered (progress events are live-only, so stored seqs have gaps where they were).
      expect(rows.every((r, i) => i === 0 || r.seq > rows[i - 1].seq)).toBe(true);
      const events = rows.map(parseEvent);
      expect(events.filter((e) => e.type === "run.finished").length).toBe(1);
      expect(events.at(-1)?.type).toBe("run.finished");
      // The attempt that finished: from its run.started on, every planned node has a result, in plan order.
      const lastStart = events.map((e) => e.type).lastIndexOf("run.started");
      const attempt = events.slice(lastStart);
      const plan = attempt[0].plan ?? [];
      const done = attempt
        .filter((e) => e.type === "node.finished" || e.type === "node.cached")
        .map((e) => e.nodeId);
      expect([id, done]).toEqual([id, plan]);
      // Runs still queued at the restart execute exactly once; one executing then may run again if its
      // lock lapsed meanwhile (BullMQ's at-least-once for a running job; same bytes, no second row).
      const starts = events.filter((e) => e.type === "run.started").length;
      // A live worker held the model throughout: no run was said to lack one (not even while Redis
      // restarted and the registry's entries lapsed for a moment).
      expect([id, events.filter((e) => /no worker has/.test(e.message ?? "")).length]).toEqual([id, 0]);
      if (id !== long && !startedBefore.has(id)) expect([id, starts]).toEqual([id, 1]);
      if (starts > 1 && id !== long) again++;
      // The long run was killed mid-run: its finished attempt is the retry on the other worker.
      if (id === long) expect(starts).toBe(2);
      const artifacts = await t.app.db.artifact.findMany({ where: { runId: id } });
      expect(artifacts.length).toBe(1);
      const seed = seedOf.get(id);
      if (seed !== undefined) {
        const set = shaBySeed.get(seed) ?? new Set();
        set.add(artifacts[0].sha256);
        shaBySeed.set(seed, set);
      }
    }
    for (const [seed, shas] of shaBySeed) expect([seed, shas.size]).toEqual([seed, 1]);

    // Routing: the worker with other bytes under the same name ran nothing.
    const list = (await t.caller.system.workers()).workers;
    expect(list.find((w) => w.id === "c3-other-bytes")?.runsDone).toBe(0);
    const done = list.filter((w) => w.alive).reduce((n, w) => n + w.runsDone, 0);
    console.log(
      `pool cluster: ${RUNS} + 1 runs, killed ${victimId} mid-run, then Redis restarted after ${before} of ${RUNS} finished; ` +
        `runs done by live workers ${done}; in flight at the restart and run again: ${again}; ` +
        `${((Date.now() - began) / 1000).toFixed(1)} s`,
    );
  },
);
