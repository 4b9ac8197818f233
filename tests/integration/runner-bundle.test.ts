/**
 * The runner process runs from a prebuilt bundle (scripts/runner.mjs): built when there is none, kept
 * while the files it was built from are unchanged, rebuilt when one of them changed (a stale bundle
 * would run old code), and compiled without kept names (tsx's `__name()` call per closure is what it
 * saves). This test builds into its own cache folder.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const cacheName = `petalflow-runner-test-${process.pid}`;
const cacheDir = path.join("node_modules", ".cache", cacheName);
const bundle = path.join(cacheDir, "child.mjs");
const manifest = path.join(cacheDir, "inputs.json");
const env = { ...process.env, PETALFLOW_RUNNER_CACHE: cacheName };
const check = () => run(process.execPath, ["scripts/runner.mjs", "--check"], { env });

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("runner bundle", () => {
  it("is built when missing, from child.ts and the executor, without kept names; kept while unchanged", async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    await check();
    expect(existsSync(bundle)).toBe(true);
    const inputs = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, string>;
    expect(Object.keys(inputs)).toEqual(
      expect.arrayContaining([
        "scripts/runner.mjs",
        "scripts/prebuilt-bundle.mjs",
        "server/runner/child.ts",
        "server/engine/executor.ts",
        "nodes/registry.ts",
      ]),
    );
    expect(readFileSync(bundle, "utf8")).not.toMatch(/__name\(/);
    const built = statSync(bundle).mtimeMs;
    await check();
    expect(statSync(bundle).mtimeMs).toBe(built);
  }, 120_000);

  it("is rebuilt when a file it was built from changed", async () => {
    await check();
    const inputs = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, string>;
    const real = inputs["server/engine/executor.ts"];
    // As if executor.ts had been edited since the build (another mtime and size).
    writeFileSync(manifest, JSON.stringify({ ...inputs, "server/engine/executor.ts": "1:1" }));
    const before = statSync(bundle).mtimeMs;
    await check();
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(before);
    expect(JSON.parse(readFileSync(manifest, "utf8"))["server/engine/executor.ts"]).toBe(real);
  }, 120_000);

  it("runs the sources under tsx, saying so, when the bundle cannot be built", async () => {
    const blocked = `petalflow-runner-blocked-${process.pid}`;
    const blocker = path.join("node_modules", ".cache", blocked);
    writeFileSync(blocker, "a file where the bundle's folder would go"); // mkdir fails
    try {
      // Without an IPC channel child.ts refuses to run (exit 2): its message shows it was loaded.
      const r = await run(process.execPath, ["scripts/runner.mjs"], {
        env: { ...process.env, PETALFLOW_RUNNER_CACHE: blocked },
      }).then(
        () => ({ code: 0, stderr: "" }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot build .*running the sources under tsx instead/);
      expect(r.stderr).toMatch(/server\/runner\/child\.ts is started by the server/);
    } finally {
      rmSync(blocker, { force: true });
    }
  }, 120_000);
});
