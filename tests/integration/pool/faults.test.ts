/**
 * Pool faults with real processes: kill -9 of the worker running a run (BullMQ's stalled check on the
 * other worker retries it once there; it finishes with one set of artifacts), kill -9 of the only
 * worker able to run it (the run is interrupted, retryable), and redis-server killed -9 and restarted
 * (append-only file, fsync always) while runs wait in BullMQ: every one runs exactly once. (The cluster
 * test restarts it with SHUTDOWN.)
 *
 * Workers here hold a job's lock for 4 s (PETALFLOW_POOL_LOCK_MS) so that a dead worker's job is
 * noticed quickly; every wait is a generous bound, never a speed requirement.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODELS_DIR, type TestApp, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import {
  HAS_REDIS,
  type PoolApp,
  poolLog,
  type RedisProcess,
  startPoolApp,
  until,
  type WorkerProcess,
} from "./harness";

let pool: PoolApp;
let redis: RedisProcess;
let t: TestApp;
const workers: WorkerProcess[] = [];
/** The worker the first test left alive. */
let survivorId = "";

beforeAll(async () => {
  if (!HAS_REDIS) return;
  pool = await startPoolApp({ log: poolLog("server") });
  ({ redis, t } = pool);
});

afterAll(() => pool?.close(workers));

const start = async (id: string) => {
  const w = await pool.worker({ id, modelsDir: MODELS_DIR });
  workers.push(w);
  return w;
};

async function types(runId: string): Promise<string[]> {
  const rows = await t.app.db.runEvent.findMany({ where: { runId }, orderBy: { seq: "asc" } });
  return rows.map((r) => r.type);
}

/** Waits until the run's U-Net step has started on some worker, and returns that worker. */
async function runningOn(runId: string): Promise<WorkerProcess> {
  const id = await until(`run ${runId} to be sampling on a worker`, async () => {
    const started = await t.app.db.runEvent.findFirst({
      where: { runId, type: "node.started", payload: { contains: '"nodeId":"sample"' } },
    });
    if (!started) return null;
    return (await t.caller.system.workers()).workers.find((w) => w.alive && w.currentRun === runId)?.id;
  });
  const w = workers.find((x) => x.id === id);
  if (!w) throw new Error(`unknown worker ${id}`);
  return w;
}

// Long enough that a worker's heartbeat reports it as its current run while it samples (1000 steps:
// seconds even on a fast machine); a short run could finish between two heartbeats.
const LONG = { steps: 1000, size: 96 };

/** Waits until the run's U-Net step has started (whichever worker runs it). */
async function sampling(runId: string): Promise<void> {
  await until(`run ${runId} to be sampling`, async () => {
    const run = await t.app.db.run.findUnique({ where: { id: runId }, select: { status: true } });
    if (run && run.status !== "running" && run.status !== "queued")
      throw new Error(`run ${runId} was already ${run.status}`);
    return t.app.db.runEvent.findFirst({
      where: { runId, type: "node.started", payload: { contains: '"nodeId":"sample"' } },
    });
  });
}

describe.skipIf(!HAS_REDIS)("worker pool faults", () => {
  it("kill -9 of the worker mid-run: retried once on the other worker, one set of artifacts", async () => {
    await Promise.all([start("k1"), start("k2")]);
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ ...LONG, seed: 21 }) });
    const id = runs[0].id;
    const victim = await runningOn(id);
    await victim.kill9();
    survivorId = victim.id === "k1" ? "k2" : "k1";
    expect(await waitForRun(t.app, id, 170_000)).toBe("succeeded");
    const seen = await types(id);
    expect(seen.at(-1)).toBe("run.finished");
    expect(seen.filter((x) => x === "run.started").length).toBe(2); // the attempt that died, the retry
    expect(await t.app.db.artifact.count({ where: { runId: id } })).toBe(1);
    // Its count arrives with the heartbeat it sends after the run's end, which may come after the end.
    const survivor = await until("the survivor's count", async () =>
      (await t.caller.system.workers()).workers.find((w) => w.alive && w.runsDone >= 1),
    );
    expect(survivor.id).not.toBe(victim.id);
    expect(survivor.runsDone).toBe(1);
  });

  it("kill -9 of the only worker able to run it: the run is interrupted (retryable)", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ ...LONG, seed: 22 }) });
    const id = runs[0].id;
    // The one worker left alive (the first test killed the other) is the one running it.
    const victim = workers.find((w) => w.id === survivorId)!;
    await sampling(id);
    await victim.kill9();
    expect(await waitForRun(t.app, id)).toBe("interrupted");
    const run = await t.caller.runs.get({ id });
    expect(JSON.stringify(run.error)).toMatch(/stopped during the run and no other worker has its models/);
    expect(await t.app.db.artifact.count({ where: { runId: id } })).toBe(0);
  });

  it("redis-server killed and restarted while runs wait in BullMQ: every run runs exactly once", async () => {
    const w = await start("r1");
    const N = 5;
    const ids: string[] = [];
    // The first run long enough to be seen sampling on a busy machine (a short one could end between
    // two polls, failing the wait below), the others short.
    for (let i = 0; i < N; i++) {
      const document = txt2img(i === 0 ? { ...LONG, seed: 300 } : { seed: 300 + i, steps: 200, size: 32 });
      ids.push((await t.caller.runs.enqueue({ document })).runs[0].id);
    }
    // Restart while the first run samples and the others wait (no heartbeat needed: one worker).
    await sampling(ids[0]);
    const startedBefore = new Set(
      (await t.app.db.runEvent.findMany({ where: { runId: { in: ids } }, select: { runId: true } })).map(
        (r) => r.runId,
      ),
    );
    // Killed (SIGKILL), as in a crash: with fsync at every write, every acknowledged job survives.
    await redis.restart({ crash: true });
    for (const id of ids) expect(await waitForRun(t.app, id)).toBe("succeeded");
    let again = 0;
    for (const id of ids) {
      const seen = await types(id);
      const starts = seen.filter((x) => x === "run.started").length;
      // Queued runs run exactly once. One executing during the restart may run again if its lock
      // lapsed meanwhile (BullMQ's at-least-once for a running job); its results are the same.
      if (startedBefore.has(id)) expect(starts).toBeLessThanOrEqual(2);
      else expect(starts).toBe(1);
      again += starts - 1;
      expect(seen.filter((x) => x === "run.finished").length).toBe(1);
      expect(await t.app.db.artifact.count({ where: { runId: id } })).toBe(1);
    }
    const record = await until("r1's count", async () => {
      const r = (await t.caller.system.workers()).workers.find((x) => x.id === w.id);
      return r && r.runsDone >= N + again && r;
    });
    expect(record.runsDone).toBe(N + again);
  });
});
