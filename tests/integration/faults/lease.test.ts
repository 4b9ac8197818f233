/**
 * Run leases (issue #13, item 5): a second server on the same database must leave the first one's
 * running run alone; a run is reclaimed (marked interrupted) only when its owner is gone: no heartbeat
 * for a lease period, or a dead process on this host. Leases are short here (PETALFLOW_LEASE_MS) and
 * every wait is a generous bounded poll, never a timing assertion.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { afterAll, expect, it } from "vitest";
import { makeTestApp, type TestApp, tempDatabase, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { until } from "./helpers";

const opened: TestApp[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const a of opened.reverse()) await a.close().catch(() => undefined);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const counts = { leftAlone: 0, reclaimedExpired: 0, reclaimedDeadPid: 0 };
afterAll(() =>
  console.log(
    `[faults] leases: ${counts.leftAlone} live run(s) left alone by a second server, ` +
      `${counts.reclaimedExpired} reclaimed after lease expiry, ${counts.reclaimedDeadPid} reclaimed at once (owner pid gone)`,
  ),
);

async function open(
  db: { dir: string; databaseUrl: string },
  leaseMs: number,
  startWorker = true,
  runner?: "process",
) {
  const a = await makeTestApp({ existing: db, startWorker, runner, env: { PETALFLOW_LEASE_MS: leaseMs } });
  opened.push(a);
  return a;
}

it("a second server on the same database leaves the first one's running run alone", async () => {
  const db = await tempDatabase();
  dirs.push(db.dir);
  const LEASE = 2000;
  // The first server executes in a runner child process, so this test process stays free to
  // heartbeat; the second one starts while the run is sampling and keeps reclaiming every half lease.
  const first = await open(db, LEASE, true, "process");
  const long = (await first.caller.runs.enqueue({ document: txt2img({ steps: 1000, size: 512 }) })).runs[0]
    .id;
  await until(
    "the long run to be sampling",
    () =>
      first.app.db.runEvent.findFirst({
        where: { runId: long, type: "node.started", payload: { contains: '"nodeId":"sample"' } },
      }),
    60_000,
  );
  const second = await open(db, LEASE);
  // Starting did not take the run (before leases, it was marked interrupted right here).
  let row = await second.app.db.run.findUniqueOrThrow({ where: { id: long } });
  expect(row.status).toBe("running");
  expect(row.ownerId).toBe(first.app.queue.ownerId);
  // Three lease periods with the second server's reclaim passes running: still the first one's.
  await new Promise((r) => setTimeout(r, 3 * LEASE));
  row = await second.app.db.run.findUniqueOrThrow({ where: { id: long } });
  expect(["running", "succeeded"]).toContain(row.status);
  counts.leftAlone++;
  await first.caller.runs.cancel({ runId: long });
  expect(["cancelled", "succeeded"]).toContain(await waitForRun(second.app, long, 60_000));
  const types = (
    await second.app.db.runEvent.findMany({ where: { runId: long }, select: { type: true } })
  ).map((e) => e.type);
  expect(types).not.toContain("run.interrupted");
}, 120_000);

it("a running run whose owner stopped heartbeating is reclaimed once its lease expired", async () => {
  const db = await tempDatabase();
  dirs.push(db.dir);
  const app = await open(db, 1000, false);
  const id = (await app.caller.runs.enqueue({ document: txt2img() })).runs[0].id;
  // Owned by a process on another host that heartbeat just now, then vanished.
  await app.app.db.run.update({
    where: { id },
    data: {
      status: "running",
      startedAt: new Date(),
      ownerId: "another-host:4242:deadbeef",
      heartbeatAt: new Date(),
    },
  });
  await until(
    "the run to be reclaimed",
    async () => {
      const r = await app.app.db.run.findUniqueOrThrow({ where: { id } });
      return r.status === "interrupted";
    },
    30_000,
    100,
  );
  const last = await app.app.db.runEvent.findFirst({ where: { runId: id }, orderBy: { seq: "desc" } });
  expect(last?.type).toBe("run.interrupted");
  counts.reclaimedExpired++;
});

it("a run whose owner process on this host is gone is reclaimed at start, without waiting for the lease", async () => {
  const db = await tempDatabase();
  dirs.push(db.dir);
  const setup = await open(db, 600_000, false);
  const id = (await setup.caller.runs.enqueue({ document: txt2img() })).runs[0].id;
  const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
  await setup.app.db.run.update({
    where: { id },
    data: { status: "running", ownerId: `${os.hostname()}:${gone}:0badf00d`, heartbeatAt: new Date() },
  });
  const restarted = await open(db, 600_000, false);
  expect((await restarted.app.db.run.findUniqueOrThrow({ where: { id } })).status).toBe("interrupted");
  counts.reclaimedDeadPid++;
});
