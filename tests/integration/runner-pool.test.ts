/**
 * PETALFLOW_CONCURRENCY = 2 with the process runner: two runs execute at the same time, each in its
 * own runner process. Shown by events, not timing: a moment exists where both runs have reported
 * progress and neither has ended, and at that moment they run in two different processes.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SequencedEvent } from "../../server/events/run-events";
import { ProcessRunnerPool } from "../../server/runner/process-pool";
import { makeTestApp, type TestApp, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp({ runner: "process", env: { PETALFLOW_CONCURRENCY: 2 }, startWorker: false });
});

afterAll(async () => {
  await t?.close();
});

it("runs two runs at once in two runner processes", async () => {
  const pool = t.app.runner;
  expect(pool).toBeInstanceOf(ProcessRunnerPool);
  if (!(pool instanceof ProcessRunnerPool)) return;
  expect(pool.size).toBe(2);

  // Both processes started and their models loaded first (two short runs at once go to the two
  // processes), so that the long runs below start together rather than one during the other's fork.
  await Promise.all([pool.run(txt2img({ seed: 1 })), pool.run(txt2img({ seed: 2 }))]);
  // Long runs (1000 steps): they are cancelled once the overlap has been seen.
  const { runs } = await t.caller.runs.enqueue({
    document: txt2img({ steps: 1000, size: 128 }),
    batch: { count: 2 },
  });
  const ids = runs.map((r) => r.id);
  const progressed = new Set<string>();
  const ended = new Set<string>();
  let overlap: { pids: (number | null)[] } | null = null;
  const seen = new Promise<void>((resolve) => {
    for (const id of ids)
      t.app.bus.onRun(id, ({ event }: SequencedEvent) => {
        if (event.type === "node.progress") progressed.add(id);
        if (event.type.startsWith("run.") && event.type !== "run.started") ended.add(id);
        if (!overlap && progressed.size === 2 && ended.size === 0) {
          overlap = { pids: ids.map((r) => pool.pidOf(r)) };
          resolve();
        }
        if (ended.size > 0) resolve(); // no overlap: fail below rather than wait
      });
  });
  t.app.worker.start();
  await seen;
  for (const id of ids) await t.caller.runs.cancel({ runId: id });
  for (const id of ids) await waitForRun(t.app, id);

  expect(overlap, "both runs progressed before either ended").not.toBeNull();
  const pids = overlap!.pids;
  expect(pids.every((p) => typeof p === "number" && p > 0)).toBe(true);
  expect(new Set(pids).size).toBe(2);
  expect(pids).not.toContain(process.pid);
}, 180_000);
