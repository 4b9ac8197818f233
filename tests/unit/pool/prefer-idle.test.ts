/**
 * Cache affinity on the worker side: a job that prefers another worker is left to it only while that
 * worker is alive and idle. Before, any live preferred worker kept the job bouncing (put back for 50 ms,
 * again and again) for all of `preferUntil` while it ran other runs, and the burst's last run finished
 * seconds late (bench/pool.ts: 2 workers slower than 1).
 */
import { describe, expect, it } from "vitest";
import type { WorkerRecord } from "../../../server/pool/protocol";
import { leaveToPreferred } from "../../../server/pool/worker-host";

const record = (currentRun: string | null): string =>
  JSON.stringify({
    id: "warm",
    host: "h",
    pid: 1,
    provider: "cpu",
    memory: { rss: 1, total: 2 },
    models: [],
    currentRun,
    runsDone: 3,
    modelLoads: 2,
    startedAt: 0,
    lastHeartbeat: 0,
  } satisfies WorkerRecord);

describe("leaving a job to the worker whose cache holds its graph", () => {
  it("waits for a preferred worker that is alive and idle", () => {
    expect(leaveToPreferred(record(null))).toBe(true);
  });
  it("takes the job when the preferred worker is running another run", () => {
    expect(leaveToPreferred(record("run-1"))).toBe(false);
  });
  it("takes the job when the preferred worker is gone or its entry unreadable", () => {
    expect(leaveToPreferred(null)).toBe(false);
    expect(leaveToPreferred("{not json")).toBe(false);
    expect(leaveToPreferred(JSON.stringify({ id: "x" }))).toBe(false);
  });
});
