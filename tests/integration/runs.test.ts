/**
 * Runs through the routers with the real worker on the tiny fixture model: artifacts on disk, batches
 * and their seeds, reruns, sweeps, cancel, retry, invalid graphs, the event stream and its replay.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../server/app";
import { GraphInvalidError } from "../../server/errors";
import { decodeImage, readPngText } from "../../server/media/png";
import type { QueueState } from "../../server/queue/state";
import { errorOf, makeTestApp, type TestApp, tempDatabase, testEnv, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";
import { collect } from "./helpers/events";

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp();
});

afterAll(async () => {
  await t?.close();
});

const artifactPaths = new Map<string, string>();
const artifactPath = (id: string) => artifactPaths.get(id)!;

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

async function artifactsOf(runId: string) {
  const rows = await t.app.db.artifact.findMany({ where: { runId }, select: { id: true, path: true } });
  for (const r of rows) artifactPaths.set(r.id, r.path);
  return (await t.caller.runs.get({ id: runId })).artifacts;
}

describe("runs: enqueue and execute", () => {
  it("runs a saved version to success, writing content-addressed artifacts and a thumbnail", async () => {
    const { graph } = await t.caller.graphs.create({ name: "Run me", document: txt2img({ seed: 11 }) });
    const res = await t.caller.runs.enqueue({ versionId: graph.headVersion!.id });
    // Ids and seeds, not the document: "control after run" is the editor's business.
    expect(Object.keys(res)).toEqual(["runs"]);
    const { runs } = res;
    expect(runs).toHaveLength(1);
    expect(runs[0].seeds).toEqual({ "noise.seed": "11" });
    expect(await waitForRun(t.app, runs[0].id)).toBe("succeeded");

    const run = await t.caller.runs.get({ id: runs[0].id });
    expect(run).toMatchObject({
      status: "succeeded",
      graphId: graph.id,
      graphVersionId: graph.headVersion!.id,
    });
    expect(run.versionNumber).toBe(1);
    expect(run.nodeResults.sample.status).toBe("ran");
    expect(run.images).toHaveLength(1);
    const image = run.images[0];
    expect(image).toMatchObject({ kind: "image", width: 16, height: 16, seed: "11", nodeId: "save" });
    const row = await t.app.db.artifact.findUniqueOrThrow({ where: { id: image.id } });
    const file = path.join(t.app.dataDir, row.path);
    expect(row.path).toBe(`artifacts/${image.sha256.slice(0, 2)}/${image.sha256}.png`);
    expect(sha256(file)).toBe(image.sha256);
    expect(fs.statSync(file).size).toBe(image.bytes);

    const after = await t.caller.graphs.get({ id: graph.id });
    expect(after.thumbnailUrl).toBe(`/api/artifacts/${image.id}`);
  });

  it("runs an unsaved draft of a graph, as that version when it is identical", async () => {
    const { graph } = await t.caller.graphs.create({ name: "Draft run", document: txt2img({ seed: 2 }) });
    const same = await t.caller.runs.enqueue({ graphId: graph.id, document: txt2img({ seed: 2 }) });
    const changed = await t.caller.runs.enqueue({ graphId: graph.id, document: txt2img({ seed: 3 }) });
    await waitForRun(t.app, changed.runs[0].id);
    expect((await t.caller.runs.get({ id: same.runs[0].id })).graphVersionId).toBe(graph.headVersion!.id);
    expect((await t.caller.runs.get({ id: changed.runs[0].id })).graphVersionId).toBeNull();
  });

  it("queues a batch with sequential seeds (whatever the Noise control says)", async () => {
    const doc = txt2img({ seed: 100, control: "increment" });
    const { runs } = await t.caller.runs.enqueue({
      document: doc,
      batch: { count: 3, seeds: "sequential" },
    });
    expect(runs.map((r) => r.seeds["noise.seed"])).toEqual(["100", "101", "102"]);
    expect(runs.map((r) => r.batchIndex)).toEqual([0, 1, 2]);
    for (const r of runs) expect(await waitForRun(t.app, r.id)).toBe("succeeded");
    const seeds = await Promise.all(runs.map(async (r) => (await artifactsOf(r.id))[0].seed));
    expect(seeds).toEqual(["100", "101", "102"]);

    const random = await t.caller.runs.enqueue({
      document: txt2img({ control: "randomize" }),
      batch: { count: 3, seeds: "random" },
      overrides: { set: [{ nodeId: "sched", param: "steps", value: 2 }] },
    });
    expect(new Set(random.runs.map((r) => r.seeds["noise.seed"])).size).toBe(3);
    for (const r of random.runs) await waitForRun(t.app, r.id);
    const ran = await t.caller.runs.get({ id: random.runs[0].id });
    expect(ran.document.nodes.find((n) => n.id === "sched")?.params.steps).toBe(2);
  });

  it("reruns with the same seed to identical pixels, or with another seed", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 4242 }) });
    await waitForRun(t.app, runs[0].id);
    const same = await t.caller.runs.rerun({ runId: runs[0].id, seed: "same" });
    const other = await t.caller.runs.rerun({ runId: runs[0].id, seed: 7 });
    expect(same.seeds["noise.seed"]).toBe("4242");
    expect(other.seeds["noise.seed"]).toBe("7");
    await waitForRun(t.app, other.id);
    const [a, b, c] = await Promise.all([runs[0].id, same.id, other.id].map(artifactsOf));
    const png = (id: string) => fs.readFileSync(path.join(t.app.dataDir, artifactPath(id)));
    const pixels = (id: string) => decodeImage(png(id), { maxPixels: 1 << 20, maxBytes: 1 << 24 }).data;
    expect(pixels(b[0].id)).toEqual(pixels(a[0].id));
    expect(readPngText(png(b[0].id)).petalflow).toBe(readPngText(png(a[0].id)).petalflow);
    expect(pixels(c[0].id)).not.toEqual(pixels(a[0].id));
    expect(b[0].id).not.toBe(a[0].id); // one Artifact row per run…
    expect(b[0].sha256).toBe(a[0].sha256); // …for the same bytes: the same graph and seed give the same file
    expect(c[0].sha256).not.toBe(a[0].sha256);
  });

  it("sweeps a grid of seed × cfg, one labelled run per cell sharing a sweepId", async () => {
    const res = await t.caller.runs.sweep({
      document: txt2img(),
      axes: [
        { nodeId: "noise", param: "seed", values: [3, 4] },
        { nodeId: "sample", param: "cfg", values: [1.5, 7] },
      ],
    });
    expect(res.runs.map((r) => r.label)).toEqual([
      "seed=3, cfg=1.5",
      "seed=3, cfg=7",
      "seed=4, cfg=1.5",
      "seed=4, cfg=7",
    ]);
    for (const r of res.runs) await waitForRun(t.app, r.id);
    const listed = await t.caller.runs.list({ sweepId: res.sweepId });
    expect(listed.items).toHaveLength(4);
    expect(listed.items.every((r) => r.status === "succeeded" && r.sweepId === res.sweepId)).toBe(true);

    const tooMany = await errorOf(() =>
      t.caller.runs.sweep({
        document: txt2img(),
        axes: [
          { nodeId: "noise", param: "seed", values: Array.from({ length: 9 }, (_, i) => i) },
          { nodeId: "sample", param: "cfg", values: Array.from({ length: 8 }, (_, i) => i + 1) },
        ],
      }),
    );
    expect((tooMany as unknown as TRPCError).code).toBe("BAD_REQUEST");
    expect(tooMany.message).toMatch(/72 cells; a sweep has at most 64/);

    const badCell = await errorOf(() =>
      t.caller.runs.sweep({
        document: txt2img(),
        axes: [{ nodeId: "sample", param: "cfg", values: [5, 1e9] }],
      }),
    );
    expect(badCell.cause).toBeInstanceOf(GraphInvalidError);
    expect(badCell.message).toMatch(/^cfg=1000000000: /);
    expect(await t.app.db.run.count({ where: { label: "cfg=5" } })).toBe(0); // all or nothing
  });
});

describe("runs: invalid graphs", () => {
  it("refuses to queue an invalid graph, with errors keyed by node", async () => {
    const doc = txt2img();
    doc.edges = doc.edges.filter((e) => e.to.node !== "decode" || e.to.port !== "vae");
    const err = await errorOf(() => t.caller.runs.enqueue({ document: doc }));
    expect((err as unknown as TRPCError).code).toBe("BAD_REQUEST");
    const cause = err.cause as GraphInvalidError;
    expect(cause).toBeInstanceOf(GraphInvalidError);
    expect(cause.byNode.decode.map((e) => e.code)).toContain("missing_input");

    const v = await t.caller.runs.validate({ document: doc });
    expect(v.ok).toBe(false);
    expect(Object.keys(v.byNode)).toEqual(["decode"]);
    expect((await t.caller.runs.validate({ document: txt2img() })).ok).toBe(true);
    expect((await t.caller.runs.validate({ document: "not json {" })).errors[0].code).toBe(
      "invalid_document",
    );
  });

  it("names an unknown node or parameter in overrides as a field error", async () => {
    const err = await errorOf(() =>
      t.caller.runs.enqueue({
        document: txt2img(),
        overrides: { set: [{ nodeId: "nope", param: "x", value: 1 }] },
      }),
    );
    expect(err.message).toMatch(/overrides\.set: no node "nope"/);
  });
});

describe("runs: cancel, retry and the event stream", () => {
  it("cancels a run mid-way: the stream ends with run.cancelled", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ steps: 1000, size: 128 }) });
    const id = runs[0].id;
    let cancelled = false;
    const events = await collect(await t.caller.runs.events({ runId: id }), async (e) => {
      // Progress reports are throttled (PETALFLOW_PROGRESS_INTERVAL_MS): step 5 itself may not come.
      if (e.data.type === "node.progress" && e.data.step >= 5 && !cancelled) {
        cancelled = true;
        await t.caller.runs.cancel({ runId: id });
      }
    });
    const last = events[events.length - 1].data;
    expect(last.type).toBe("run.cancelled");
    expect(events.some((e) => e.data.type === "node.progress")).toBe(true);
    expect((await t.caller.runs.get({ id })).status).toBe("cancelled");
    // Progress events are live-only; the rest are stored, with the same ids.
    const stored = await t.app.db.runEvent.findMany({ where: { runId: id }, orderBy: { seq: "asc" } });
    expect(stored.some((e) => e.type === "node.progress")).toBe(false);
    expect(stored.map((e) => String(e.seq))).toEqual(
      events.filter((e) => e.data.type !== "node.progress").map((e) => e.id),
    );

    const retry = await t.caller.runs.retry({ runId: id });
    const retried = await t.caller.runs.get({ id: retry.id });
    expect(retried.retryOfId).toBe(id);
    await t.caller.runs.cancel({ runId: retry.id });
    await waitForRun(t.app, retry.id);
    const ok = await t.caller.runs.enqueue({ document: txt2img() });
    await waitForRun(t.app, ok.runs[0].id);
    const notRetryable = await errorOf(() => t.caller.runs.retry({ runId: ok.runs[0].id }));
    expect(notRetryable.message).toMatch(/a succeeded run cannot be retried/);
  });

  it("replays stored events after lastEventId, then ends at the terminal event", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 9 }) });
    await waitForRun(t.app, runs[0].id);
    const all = await collect(await t.caller.runs.events({ runId: runs[0].id }));
    expect(all[0].data.type).toBe("run.started");
    expect(all[all.length - 1].data.type).toBe("run.finished");
    const resumed = await collect(await t.caller.runs.events({ runId: runs[0].id, lastEventId: all[3].id }));
    expect(resumed.map((e) => e.id)).toEqual(all.slice(4).map((e) => e.id));
    expect(resumed[0].data).toEqual(all[4].data);
    const err = await errorOf(async () => collect(await t.caller.runs.events({ runId: "missing" })));
    expect((err as unknown as TRPCError).code).toBe("NOT_FOUND");
  });

  it("cancels a queued run before it starts", async () => {
    await t.caller.queue.pause();
    try {
      const { runs } = await t.caller.runs.enqueue({ document: txt2img() });
      expect(await t.caller.runs.cancel({ runId: runs[0].id })).toEqual({
        runId: runs[0].id,
        state: "cancelled",
      });
      const events = await collect(await t.caller.runs.events({ runId: runs[0].id }));
      expect(events.map((e) => e.data.type)).toEqual(["run.cancelled"]);
    } finally {
      await t.caller.queue.resume();
    }
  });
});

describe("queue", () => {
  it("pauses, reorders and resumes: runs start in the new order", async () => {
    await t.caller.queue.pause();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await t.caller.runs.enqueue({ document: txt2img({ seed: 50 + i }) })).runs[0].id);
    let state = await t.caller.queue.state();
    expect(state.paused).toBe(true);
    expect(state.queued.map((q) => q.id)).toEqual(ids);
    state = await t.caller.queue.reorder({ runId: ids[2], move: "top" });
    state = await t.caller.queue.reorder({ runId: ids[0], move: "down" });
    expect(state.queued.map((q) => q.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(state.queued.map((q) => q.position)).toEqual([0, 1, 2]);
    await t.caller.queue.resume();
    for (const id of ids) await waitForRun(t.app, id);
    const started = await t.app.db.run.findMany({
      where: { id: { in: ids } },
      orderBy: { startedAt: "asc" },
    });
    expect(started.map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
    const missing = await errorOf(() => t.caller.queue.reorder({ runId: ids[0], move: "up" }));
    expect((missing as unknown as TRPCError).code).toBe("NOT_FOUND");
  });

  it("streams the queue state on every change (a snapshot, then deltas)", async () => {
    const ac = new AbortController();
    const { createCaller } = await import("../../server/routers/_app");
    const { createContextInner } = await import("../../server/context");
    const watcher = createCaller(createContextInner({ app: t.app }), { signal: ac.signal });
    const seen: { paused: boolean; queued: number }[] = [];
    const { applyQueueMessage } = await import("../../core/queue/delta");
    let state: QueueState | null = null;
    for await (const message of await watcher.queue.events()) {
      state = applyQueueMessage(state, message);
      if (!state) continue;
      seen.push({ paused: state.paused, queued: state.queued.length });
      if (seen.length === 1) await t.caller.queue.pause();
      else if (state.paused && seen.length === 2) await t.caller.runs.enqueue({ document: txt2img() });
      else if (state.queued.length === 1) break;
    }
    ac.abort();
    await t.caller.queue.resume();
    expect(seen[0]).toEqual({ paused: false, queued: 0 });
    expect(seen.at(-1)).toEqual({ paused: true, queued: 1 });
  });

  it("limits how many runs one client may have waiting", async () => {
    const db = await tempDatabase();
    const app = await createApp({
      env: testEnv(db.dir, db.databaseUrl, { PETALFLOW_MAX_QUEUE_PER_CLIENT: 2 }),
      startWorker: false,
      log: () => undefined,
    });
    try {
      const { createCaller } = await import("../../server/routers/_app");
      const { createContextInner } = await import("../../server/context");
      const alice = createCaller(createContextInner({ app, clientId: "alice" }));
      const bob = createCaller(createContextInner({ app, clientId: "bob" }));
      await alice.runs.enqueue({ document: txt2img(), batch: { count: 2, seeds: "sequential" } });
      const err = await errorOf(() => alice.runs.enqueue({ document: txt2img() }));
      expect((err as unknown as TRPCError).code).toBe("TOO_MANY_REQUESTS");
      expect((await bob.runs.enqueue({ document: txt2img() })).runs).toHaveLength(1);
    } finally {
      await app.close();
      fs.rmSync(db.dir, { recursive: true, force: true });
    }
  });
});
