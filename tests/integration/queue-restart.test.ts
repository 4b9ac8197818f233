/**
 * The queue across a crash: a child process running the worker is killed with SIGKILL in the middle
 * of a run; a new app on the same database marks that run interrupted (retryable, its event stream
 * ended) and runs the queued ones. Saved graphs, versions and earlier images are all intact.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { makeTestApp, type TestApp, tempDatabase, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";
import { collect } from "./helpers/events";

const CHILD = path.resolve("tests/integration/helpers/worker-child.ts");
let child: ChildProcess | undefined;
const opened: TestApp[] = [];

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  for (const a of opened) await a.close();
  if (db) fs.rmSync(db.dir, { recursive: true, force: true });
});

let db: { dir: string; databaseUrl: string } | undefined;

/** Polls `fn` until it returns something truthy; the bound is for a hang (generous: the machine may be loaded). */
async function until<T>(
  what: () => string,
  fn: () => Promise<T | null | undefined | false>,
  ms = 120_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it("a run killed mid-way is marked interrupted after a restart, and queued runs continue", async () => {
  db = await tempDatabase();
  // 1. The library and a queue, written by one process (no worker).
  const before = await makeTestApp({ startWorker: false, existing: db });
  opened.push(before);
  const { graph } = await before.caller.graphs.create({ name: "Survivor", document: txt2img({ seed: 1 }) });
  await before.caller.graphs.save({ id: graph.id, document: txt2img({ seed: 2 }) });
  const first = (await before.caller.runs.enqueue({ graphId: graph.id, document: txt2img({ seed: 1 }) }))
    .runs[0].id;
  const long = (
    await before.caller.runs.enqueue({ graphId: graph.id, document: txt2img({ steps: 1000, size: 256 }) })
  ).runs[0].id;
  const queued = (
    await before.caller.runs.enqueue({
      graphId: graph.id,
      document: txt2img(),
      batch: { count: 2, seeds: "sequential" },
    })
  ).runs.map((r) => r.id);

  // 2. A worker process takes the runs; kill -9 it while the long run is sampling.
  child = spawn(process.execPath, ["--import", "tsx", CHILD, db.dir, db.databaseUrl], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  await until(
    () => `the long run to be sampling (child output: ${output})`, // read when it times out
    () =>
      before.app.db.runEvent.findFirst({
        where: { runId: long, type: "node.started", payload: { contains: '"nodeId":"sample"' } },
      }),
  );
  child.kill("SIGKILL");
  await until(
    () => "the child to exit",
    async () => child!.exitCode !== null || child!.signalCode !== null,
  );
  expect(child.signalCode).toBe("SIGKILL");
  const stale = await before.app.db.run.findMany({ where: { id: { in: [first, long, ...queued] } } });
  const status = Object.fromEntries(stale.map((r) => [r.id, r.status]));
  expect(status[first]).toBe("succeeded");
  expect(status[long]).toBe("running"); // nobody recorded its end: the process died
  expect(queued.map((id) => status[id])).toEqual(["queued", "queued"]);
  const firstImage = (await before.caller.runs.get({ id: first })).images[0];
  await before.close();
  opened.pop();

  // 3. Restart: a new app on the same database.
  const after = await makeTestApp({ existing: db });
  opened.push(after);
  const interrupted = await after.caller.runs.get({ id: long });
  expect(interrupted.status).toBe("interrupted");
  expect(interrupted.error?.code).toBe("interrupted");
  const events = await collect(await after.caller.runs.events({ runId: long }));
  expect(events[events.length - 1].data.type).toBe("run.interrupted");
  for (const id of queued) expect(await waitForRun(after.app, id)).toBe("succeeded");

  // Nothing lost: graph, versions, the earlier image and its file.
  const g = await after.caller.graphs.get({ id: graph.id });
  expect(g.headVersion?.number).toBe(2);
  expect((await after.caller.graphs.versions({ id: graph.id })).items).toHaveLength(2);
  const row = await after.app.db.artifact.findUniqueOrThrow({ where: { id: firstImage.id } });
  const bytes = fs.readFileSync(path.join(after.app.dataDir, row.path));
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(firstImage.sha256);

  // The interrupted run is retryable.
  const retry = await after.caller.runs.retry({ runId: long });
  await after.caller.runs.cancel({ runId: retry.id });
  expect(["cancelled", "succeeded"]).toContain(await waitForRun(after.app, retry.id));
  expect((await after.caller.runs.get({ id: retry.id })).retryOfId).toBe(long);
}, 300_000); // a cold child process, a restart and four runs: bounded by the waits above, not by speed
