/**
 * The pool of three (real worker processes and redis-server): the registry (tRPC system.workers and
 * /api/health counts, a stopped worker listed as gone) and cache affinity: a seed-only rerun goes to
 * the worker whose output cache holds the unchanged part, so it runs the text encoders 0 times and
 * loads 0 models (counted from the stored events and the workers' own load counters).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODELS_DIR, type TestApp, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { HAS_REDIS, type PoolApp, startPoolApp, until, type WorkerProcess } from "./harness";

let pool: PoolApp;
let t: TestApp;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  if (!HAS_REDIS) return;
  pool = await startPoolApp();
  ({ t } = pool);
  workers = await Promise.all(["p1", "p2", "p3"].map((id) => pool.worker({ id, modelsDir: MODELS_DIR })));
});

afterAll(() => pool?.close(workers));

async function storedEvents(runId: string) {
  const rows = await t.app.db.runEvent.findMany({ where: { runId }, orderBy: { seq: "asc" } });
  return rows.map((r) => ({ type: r.type, ...(JSON.parse(r.payload) as { nodeId?: string }) }));
}

describe.skipIf(!HAS_REDIS)("worker pool of three", () => {
  it("lists the workers (tRPC system.workers)", async () => {
    const { pool, workers: list } = await t.caller.system.workers();
    expect(pool).toBe(true);
    expect(list.map((w) => [w.id, w.alive, w.models.map((m) => m.id).includes("tiny-sd")])).toEqual([
      ["p1", true, true],
      ["p2", true, true],
      ["p3", true, true],
    ]);
  });

  it("sends a seed-only rerun to the worker holding the graph: 0 text-encoder runs, 0 model loads", async () => {
    const first = await t.caller.runs.enqueue({ document: txt2img({ seed: 100 }) });
    expect(await waitForRun(t.app, first.runs[0].id)).toBe("succeeded");
    const loadsBefore = async () =>
      Object.fromEntries((await t.caller.system.workers()).workers.map((w) => [w.id, w.modelLoads]));
    // Heartbeats carry the counters: wait until the first run's loads show.
    const before = await until("the loads to be reported", async () => {
      const l = await loadsBefore();
      return Object.values(l).some((n) => n > 0) && l;
    });
    let textEncoderRuns = 0;
    for (const seed of [101, 102, 103]) {
      const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed }) });
      expect(await waitForRun(t.app, runs[0].id)).toBe("succeeded");
      const events = await storedEvents(runs[0].id);
      textEncoderRuns += events.filter(
        (e) => e.type === "node.finished" && (e.nodeId === "pos" || e.nodeId === "neg"),
      ).length;
      expect(
        events
          .filter((e) => e.type === "node.cached")
          .map((e) => e.nodeId)
          .sort(),
      ).toEqual(["latent", "model", "neg", "pos", "sched"].sort());
    }
    expect(textEncoderRuns).toBe(0);
    await new Promise((r) => setTimeout(r, 1500)); // a heartbeat or two
    expect(await loadsBefore()).toEqual(before);
    console.log(
      `pool affinity: 3 seed-only reruns, text-encoder runs 0, model loads 0 (${JSON.stringify(before)})`,
    );
  });

  it("spreads a burst of reruns of one graph over the idle workers (only one waits for the warm one)", async () => {
    const done = async () =>
      Object.fromEntries((await t.caller.system.workers()).workers.map((w) => [w.id, w.runsDone]));
    const before = await done();
    const ids: string[] = [];
    for (const seed of [201, 202, 203, 204, 205, 206])
      ids.push((await t.caller.runs.enqueue({ document: txt2img({ seed, steps: 20 }) })).runs[0].id);
    for (const id of ids) expect(await waitForRun(t.app, id)).toBe("succeeded");
    // Heartbeats carry the counters: wait until all six show.
    const after = await until("the six runs to be counted", async () => {
      const a = await done();
      const sum = Object.keys(a).reduce((n, id) => n + a[id] - (before[id] ?? 0), 0);
      return sum >= ids.length && a;
    });
    const busy = Object.keys(after).filter((id) => after[id] > (before[id] ?? 0));
    expect(busy.length, JSON.stringify({ before, after })).toBeGreaterThanOrEqual(2);
  });

  it("shows a stopped worker as gone", async () => {
    await workers[2].stop();
    await until(
      "p3 to be gone",
      async () => (await t.caller.system.workers()).workers.find((w) => w.id === "p3")?.alive === false,
    );
    const list = (await t.caller.system.workers()).workers;
    expect(list.filter((w) => w.alive).length).toBe(2);
    expect(list.filter((w) => !w.alive).map((w) => w.id)).toEqual(["p3"]);
  });
});
