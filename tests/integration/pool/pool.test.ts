/**
 * The worker pool end to end, with real processes: redis-server, `npm run worker` processes, and the
 * app (SQLite queue, tRPC caller, SSE subscription) with PETALFLOW_REDIS_URL set. Checks that a run
 * executes on a worker and reads exactly as an embedded run (events, artifact rows, image bytes), that
 * a worker's upload is authenticated and idempotent, that cancel reaches the worker, and that a run
 * needing a model no worker holds (same name, other bytes) waits with a warning on its Model Loader.
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileOutput } from "../../../core/run/events";
import { ARTIFACT_HEADER } from "../../../server/pool/http";
import { hashModelDir } from "../../../server/pool/model-hash";
import { UploadArtifacts } from "../../../server/pool/upload-artifacts";
import { MODELS_DIR, makeTestApp, type TestApp, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { collect } from "../helpers/events";
import {
  alteredModelsDir,
  HAS_REDIS,
  type PoolApp,
  parseEvent,
  startPoolApp,
  until,
  WORKER_TOKEN,
  type WorkerProcess,
  type WorkerRoutes,
} from "./harness";

let pool: PoolApp;
let t: TestApp;
let routes: WorkerRoutes;
const workers: WorkerProcess[] = [];
const tempDirs: string[] = [];

beforeAll(async () => {
  if (!HAS_REDIS) return;
  pool = await startPoolApp();
  ({ t, routes } = pool);
  workers.push(await pool.worker({ id: "w-a", modelsDir: MODELS_DIR }));
});

afterAll(async () => {
  await pool?.close(workers);
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

async function storedEvents(runId: string) {
  const rows = await t.app.db.runEvent.findMany({ where: { runId }, orderBy: { seq: "asc" } });
  return rows.map(parseEvent);
}

describe.skipIf(!HAS_REDIS)("worker pool", () => {
  it("runs a graph on a worker: events, artifact rows and image bytes as an embedded run", async () => {
    expect(t.app.pool).not.toBeNull();
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 11 }) });
    const id = runs[0].id;
    expect(await waitForRun(t.app, id)).toBe("succeeded");
    const events = await storedEvents(id);
    expect(events[0].type).toBe("run.started");
    expect(events.at(-1)?.type).toBe("run.finished");
    const saved = events.find((e) => e.type === "node.finished" && e.nodeId === "save") as {
      files?: FileOutput[];
    };
    expect(saved.files).toHaveLength(1);
    const artifacts = await t.app.db.artifact.findMany({ where: { runId: id } });
    expect(artifacts.map((a) => a.id)).toEqual([saved.files?.[0].artifactId]);
    // The worker ran it: the server process never loaded a model.
    expect(t.app.runtime.services.sessions.stats().loaded).toEqual([]);

    // The same graph on an embedded server (no Redis): the same image bytes.
    const embedded = await makeTestApp({});
    try {
      const r = await embedded.caller.runs.enqueue({ document: txt2img({ seed: 11 }) });
      expect(await waitForRun(embedded.app, r.runs[0].id)).toBe("succeeded");
      const [a] = await embedded.app.db.artifact.findMany({ where: { runId: r.runs[0].id } });
      expect(a.sha256).toBe(artifacts[0].sha256);
      const embeddedTypes = (
        await embedded.app.db.runEvent.findMany({ where: { runId: r.runs[0].id }, orderBy: { seq: "asc" } })
      ).map((e) => e.type);
      expect(events.map((e) => e.type)).toEqual(embeddedTypes);
    } finally {
      await embedded.close();
    }
  });

  it("takes uploads only with the worker token, and a repeated upload makes no second row", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 12 }) });
    await waitForRun(t.app, runs[0].id);
    const bytes = new TextEncoder().encode("latent bytes");
    const { createHash } = await import("node:crypto");
    const meta = {
      runId: runs[0].id,
      nodeId: "save",
      kind: "latent",
      sha256: createHash("sha256").update(bytes).digest("hex"),
    };
    const post = (token: string) =>
      fetch(`${routes.url}/api/worker/artifacts`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, [ARTIFACT_HEADER]: JSON.stringify(meta) },
        body: bytes,
      });
    expect((await post("not-the-worker-token-at-all")).status).toBe(401);
    const first = (await (await post(WORKER_TOKEN)).json()) as FileOutput;
    const second = (await (await post(WORKER_TOKEN)).json()) as FileOutput;
    expect(second.artifactId).toBe(first.artifactId);
    // Sent several times at once (a worker retrying while the first is still being stored): one row.
    const burst = await Promise.all(
      [1, 2, 3].map(async () => (await (await post(WORKER_TOKEN)).json()) as FileOutput),
    );
    expect(burst.map((b) => b.artifactId)).toEqual([1, 2, 3].map(() => first.artifactId));
    expect(await t.app.db.artifact.count({ where: { runId: runs[0].id, kind: "latent" } })).toBe(1);
    // The row went in through recordArtifacts, as the runner's do: content path, size, type.
    const row = await t.app.db.artifact.findUniqueOrThrow({ where: { id: first.artifactId } });
    expect([row.path, row.bytes, row.mimeType]).toEqual([
      `artifacts/${meta.sha256.slice(0, 2)}/${meta.sha256}.latent`,
      bytes.byteLength,
      "application/octet-stream",
    ]);
    const badSeed = await fetch(`${routes.url}/api/worker/artifacts`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${WORKER_TOKEN}`,
        [ARTIFACT_HEADER]: JSON.stringify({ ...meta, kind: "image", seed: "not a number" }),
      },
      body: bytes,
    });
    expect(badSeed.status).toBe(400);
    expect(await badSeed.text()).toMatch(/seed: a seed is an integer in decimal|a seed is an integer/);
    const torn = await fetch(`${routes.url}/api/worker/artifacts`, {
      method: "POST",
      headers: { authorization: `Bearer ${WORKER_TOKEN}`, [ARTIFACT_HEADER]: JSON.stringify(meta) },
      body: bytes.slice(1),
    });
    expect(torn.status).toBe(400);
  });

  it("the worker's HTTP client: uploads and reads back, retries a 5xx, says why a refusal", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 13 }) });
    await waitForRun(t.app, runs[0].id);
    const attempts: boolean[] = [];
    const client = new UploadArtifacts({
      serverUrl: routes.url,
      workerToken: WORKER_TOKEN,
      retryForMs: 10_000,
      onAttempt: (_what, ok) => attempts.push(ok),
    });
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 251);
    const before = routes.requests;
    const saved = await client.saveLatent({ runId: runs[0].id, nodeId: "n1", bytes, prefix: "t" });
    const again = await client.saveLatent({ runId: runs[0].id, nodeId: "n1", bytes, prefix: "t" });
    expect(again.artifactId).toBe(saved.artifactId);
    expect(Buffer.from(await client.readLatent(saved.artifactId as string)).equals(Buffer.from(bytes))).toBe(
      true,
    );
    expect(routes.requests - before).toBe(3);
    // The server's reason, from its JSON answer.
    await expect(client.readLatent("no-such-latent")).rejects.toThrow(
      'no saved latent named "no-such-latent"',
    );
    // A server answering 503 (restarting) is asked again.
    routes.failNext(1);
    const retried = await client.saveLatent({ runId: runs[0].id, nodeId: "n1", bytes, prefix: "t" });
    expect(retried.artifactId).toBe(saved.artifactId);
    expect(attempts.slice(-2)).toEqual([false, true]);
    // A refusal (4xx) is not retried and names what was refused.
    await expect(
      client.saveLatent({ runId: "no-such-run", nodeId: "n1", bytes, prefix: "t" }),
    ).rejects.toThrow(/refused the latent of node n1: .*no run no-such-run/);
  });

  it("cancel from the browser's API reaches the worker and stops the run mid-way", async () => {
    // Long enough that the cancel, sent at the first progress report past step 3 (≈ 50 ms in), reaches
    // the worker well before the end: at 64 px the run took ≈ 100 ms and sometimes ended first.
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ steps: 1000, size: 192, seed: 5 }) });
    const id = runs[0].id;
    let cancelledAt = -1;
    const events = await collect(await t.caller.runs.events({ runId: id }), async (e) => {
      if (e.data.type === "node.progress" && e.data.step >= 3 && cancelledAt < 0) {
        cancelledAt = e.data.step;
        await t.caller.runs.cancel({ runId: id });
      }
    });
    expect(cancelledAt).toBeGreaterThan(0);
    expect(events.at(-1)?.data.type).toBe("run.cancelled");
    const lastStep = Math.max(...events.map((e) => (e.data.type === "node.progress" ? e.data.step : 0)));
    expect(lastStep).toBeLessThan(1000);
    expect((await t.caller.runs.get({ id })).status).toBe("cancelled");
  });

  it("routes by content hash: a run waits, with a warning, until a worker holding the same bytes comes", async () => {
    // w-a goes; w-b has a folder named tiny-sd with other bytes.
    await workers[0].stop();
    const altered = alteredModelsDir(MODELS_DIR, "tiny-sd");
    tempDirs.push(altered);
    expect(await hashModelDir(`${altered}/tiny-sd`)).not.toBe(await hashModelDir(`${MODELS_DIR}/tiny-sd`));
    workers.push(await pool.worker({ id: "w-b", modelsDir: altered }));
    await until("w-a to leave the registry", async () => {
      const ws = await t.app.pool!.workers();
      return ws.find((w) => w.id === "w-a")?.alive === false && ws.find((w) => w.id === "w-b")?.alive;
    });
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 13 }) });
    const id = runs[0].id;
    const warning = await until("the no-worker warning", async () =>
      (await storedEvents(id)).find((e) => e.type === "node.warning" && e.nodeId === "model"),
    );
    expect(String(warning.message)).toMatch(/no worker has the model "tiny-sd" \(sha256 [0-9a-f]{12}…\)/);
    // w-b never takes it: it stays waiting while w-b idles.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await t.caller.runs.get({ id })).status).toBe("running");
    expect((await storedEvents(id)).some((e) => e.type === "node.started")).toBe(false);
    workers.push(await pool.worker({ id: "w-c", modelsDir: MODELS_DIR }));
    expect(await waitForRun(t.app, id)).toBe("succeeded");
    const ws = await t.app.pool!.workers();
    expect(ws.find((w) => w.id === "w-b")?.runsDone).toBe(0);
  });
});
