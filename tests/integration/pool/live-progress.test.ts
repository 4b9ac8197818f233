/**
 * Progress reports travel on a pub/sub channel, the other events on the stream: two connections, so a
 * report may reach the server before the stream's node.started of its node, or after its node.finished.
 * Here the test plays the worker (no worker process runs: the job waits in BullMQ) and writes both in
 * the order that races produce, then reads what a browser's event stream got.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../../core/run/events";
import { POOL, type StreamEntry } from "../../../server/pool/protocol";
import type { TestApp } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { collect } from "../helpers/events";
import { HAS_REDIS, type PoolApp, startPoolApp, until } from "./harness";

let pool: PoolApp;
let t: TestApp;
let admin: Redis;

beforeAll(async () => {
  if (!HAS_REDIS) return;
  pool = await startPoolApp();
  t = pool.t;
  admin = new Redis(pool.redis.url);
});

afterAll(async () => {
  admin?.disconnect();
  await pool?.close();
});

describe.skipIf(!HAS_REDIS)("worker pool: live progress", () => {
  it("holds a report that overtook its node.started until it; drops an older one and one after node.finished", async () => {
    const runId = (await t.caller.runs.enqueue({ document: txt2img({ seed: 1, steps: 10 }) })).runs[0].id;
    await until(
      "the run's job in BullMQ",
      async () => (await admin.keys(`${POOL.bullPrefix}:*:${runId}`)).length,
    );
    const seen = collect(await t.caller.runs.events({ runId }));
    let n = 0;
    const entry = (kind: StreamEntry["kind"], payload: unknown, live = false): string =>
      JSON.stringify({ runId, workerId: "fake", attempt: 1, n: live ? n : n++, kind, payload });
    const xadd = (json: string) => admin.xadd(POOL.events, "*", "e", json);
    const node = { runId, nodeId: "sample", nodeType: "sampler" };
    const progress = (step: number): RunEvent => ({ type: "node.progress", ...node, step, total: 10 });
    const storedTypes = async () =>
      (await t.app.db.runEvent.findMany({ where: { runId }, orderBy: { seq: "asc" } })).map((r) => r.type);

    await xadd(entry("event", { type: "run.started", runId, at: Date.now(), plan: ["sample"] }));
    await until("run.started stored", async () => (await storedTypes()).includes("run.started"));
    // Step 5's report comes before the stream has its node.started (the stream entry is not even written).
    await admin.publish(POOL.progressChannel, entry("event", progress(5), true));
    await new Promise((r) => setTimeout(r, 200));
    await xadd(entry("events", [{ type: "node.started", ...node }, progress(1)]));
    // The stream's own report of step 3, written before step 5's report but read after it: dropped.
    await xadd(entry("events", [progress(3), { type: "node.finished", ...node, ms: 1, outputs: {} }]));
    await until("node.finished stored", async () => (await storedTypes()).includes("node.finished"));
    // Step 7's report comes after the node finished: dropped.
    await admin.publish(POOL.progressChannel, entry("event", progress(7), true));
    await new Promise((r) => setTimeout(r, 200));
    await t.caller.runs.cancel({ runId });

    const events = (await seen).map((e) => e.data).filter((e) => e.type !== "node.warning");
    expect(events.map((e) => (e.type === "node.progress" ? `progress ${e.step}` : e.type))).toEqual([
      "run.started",
      "node.started",
      "progress 1",
      "progress 5",
      "node.finished",
      "run.cancelled",
    ]);
  });
});
