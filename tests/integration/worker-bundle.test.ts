/**
 * `npm run worker` runs the pool worker from a prebuilt bundle (scripts/worker.mjs), as the runner
 * process does: built from scripts/worker.ts and the worker host without kept names, then run with plain
 * node (no tsx compile at start). This test builds into its own cache folder.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const cacheName = `petalflow-worker-test-${process.pid}`;
const cacheDir = path.join("node_modules", ".cache", cacheName);

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("worker bundle", () => {
  it("is built on first start and runs the worker, whose configuration errors exit 2", async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    // No PETALFLOW_REDIS_URL and friends: the worker's own check refuses, naming what is missing.
    const {
      PETALFLOW_REDIS_URL: _r,
      PETALFLOW_SERVER_URL: _s,
      PETALFLOW_WORKER_TOKEN: _t,
      ...rest
    } = process.env;
    const r = await run(process.execPath, ["scripts/worker.mjs"], {
      env: { ...rest, PETALFLOW_WORKER_CACHE: cacheName },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/petalflow worker: .*PETALFLOW_SERVER_URL.*required for a worker/s);
    expect(r.stderr).not.toMatch(/cannot build/);
    const bundle = path.join(cacheDir, "worker.mjs");
    expect(existsSync(bundle)).toBe(true);
    const inputs = JSON.parse(readFileSync(path.join(cacheDir, "inputs.json"), "utf8")) as Record<
      string,
      string
    >;
    expect(Object.keys(inputs)).toEqual(
      expect.arrayContaining([
        "scripts/worker.mjs",
        "scripts/worker.ts",
        "server/pool/worker-host.ts",
        "server/engine/executor.ts",
      ]),
    );
    expect(readFileSync(bundle, "utf8")).not.toMatch(/__name\(/);
  }, 120_000);
});
