/**
 * `npm run graph` runs the CLI from a bundle (scripts/graph-cli.mjs): it must answer as the sources do,
 * build the bundle when there is none, keep it while its inputs are unchanged, and rebuild it when one
 * of them changed — a stale bundle would run old code. Each test builds into its own cache folder.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const cacheName = `petalflow-cli-test-${process.pid}`;
const cacheDir = path.join("node_modules", ".cache", cacheName);
const bundle = path.join(cacheDir, "graph.mjs");
const manifest = path.join(cacheDir, "inputs.json");
const env = { ...process.env, PETALFLOW_CLI_CACHE: cacheName };

const cli = (args: string[]) =>
  run(process.execPath, ["scripts/graph-cli.mjs", ...args], { env, encoding: "utf8" }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("graph CLI from its bundle", () => {
  it("builds on first use, answers like the sources, and keeps an unchanged bundle", async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const ok = await cli(["validate", "examples/txt2img.json"]);
    expect(ok).toMatchObject({ code: 0, stdout: "examples/txt2img.json: valid (9 nodes)\n" });
    const inputs = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, string>;
    expect(Object.keys(inputs)).toEqual(
      expect.arrayContaining(["scripts/graph.ts", "server/engine/executor.ts", "nodes/registry.ts"]),
    );
    const built = statSync(bundle).mtimeMs;

    // An invalid document: exit code 2 and the node-keyed message, as from the sources.
    const bad = JSON.parse(readFileSync("examples/txt2img.json", "utf8"));
    bad.nodes.find((n: { id: string }) => n.id === "sampler").params.cfg = "high";
    const file = path.join(cacheDir, "bad.json");
    writeFileSync(file, JSON.stringify(bad));
    const invalid = await cli(["validate", file]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^sampler\.cfg: /m);
    expect(statSync(bundle).mtimeMs).toBe(built); // nothing changed: not rebuilt
  }, 120_000);

  it("stops quietly when its reader closes the pipe early (npm run graph -- run … --json | head -1)", async () => {
    const child = spawn(
      process.execPath,
      [
        "scripts/graph-cli.mjs",
        "run",
        "examples/txt2img.json",
        "--json",
        "--out",
        path.join(cacheDir, "out"),
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    let first = "";
    child.stdout.once("data", (d) => {
      first = String(d);
      child.stdout.destroy(); // the reader has what it wanted
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(first).toMatch(/^\{"type":"run\.started"/);
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error'/);
    expect(code).toBe(0);
  }, 120_000);

  it("rebuilds when a file the bundle was built from changed", async () => {
    await cli(["validate", "examples/txt2img.json"]);
    const inputs = JSON.parse(readFileSync(manifest, "utf8")) as Record<string, string>;
    const real = inputs["server/engine/validate.ts"];
    // As if validate.ts had been edited since the build (another mtime and size).
    writeFileSync(manifest, JSON.stringify({ ...inputs, "server/engine/validate.ts": "1:1" }));
    const before = statSync(bundle).mtimeMs;
    const again = await cli(["validate", "examples/txt2img.json"]);
    expect(again.code).toBe(0);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(before);
    expect(JSON.parse(readFileSync(manifest, "utf8"))["server/engine/validate.ts"]).toBe(real);
  }, 120_000);
});
