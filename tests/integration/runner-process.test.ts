/**
 * The "process" runner end to end, as the real server runs: runs execute in a child process
 * (server/runner/child.ts) that writes artifact files (the server inserts their rows: the child never
 * opens the database), streams events back, can be cancelled, reports its caches to system.stats, and
 * is replaced when it dies (the run it had ends failed, saying so).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../../server/media/png/decode";
import { createRuntime } from "../../server/runtime/create";
import { DirectoryArtifacts } from "../../server/runtime/directory-artifacts";
import { runtimeOptions } from "../../server/runtime/options";
import { MODELS_DIR, makeTestApp, type TestApp, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";
import { collect } from "./helpers/events";

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp({ runner: "process" });
});

afterAll(async () => {
  await t?.close();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("process runner", () => {
  it("runs in a child process: artifacts written, events streamed, caches in system.stats", async () => {
    expect(t.app.runner.mode).toBe("process");
    const idle = await t.caller.system.stats();
    expect(idle.runner).toEqual({ mode: "process", pid: null }); // forked on first use
    expect(idle.sessionCache.loaded).toEqual([]);

    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 3 }) });
    const id = runs[0].id;
    const events = await collect(await t.caller.runs.events({ runId: id }));
    expect(events[0].data.type).toBe("run.started");
    expect(events.some((e) => e.data.type === "node.progress")).toBe(true);
    expect(events.at(-1)?.data.type).toBe("run.finished");
    expect((await t.caller.runs.get({ id })).status).toBe("succeeded");

    const artifacts = await t.app.db.artifact.findMany({ where: { runId: id } });
    expect(artifacts.length).toBeGreaterThan(0);
    for (const a of artifacts) expect(fs.existsSync(path.join(t.app.dataDir, a.path))).toBe(true);

    const s = await t.caller.system.stats();
    expect(s.runner.mode).toBe("process");
    expect(s.runner.pid).toBeGreaterThan(0);
    expect(s.runner.pid).not.toBe(process.pid);
    expect(s.provider).toBe("cpu");
    expect(s.sessionCache.loaded.map((l) => l.modelId)).toContain("tiny-sd");
    expect(s.outputCache.entries).toBeGreaterThan(0);
    // The server process itself loaded nothing.
    expect(t.app.runtime.services.sessions.stats().loaded).toEqual([]);
    // One writer: the runner wrote the files, the server the rows; the runner never opened the
    // database (no descriptor on it or its -wal/-shm), and has no DATABASE_URL to open.
    if (fs.existsSync(`/proc/${s.runner.pid}/fd`)) {
      const dbFile = fs.realpathSync(t.databaseUrl.replace(/^file:/, ""));
      const open = fs.readdirSync(`/proc/${s.runner.pid}/fd`).map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${s.runner.pid}/fd/${fd}`);
        } catch {
          return ""; // closed meanwhile
        }
      });
      expect(open.filter((f) => f.startsWith(dbFile))).toEqual([]);
      const environ = fs.readFileSync(`/proc/${s.runner.pid}/environ`, "utf8").split("\0");
      expect(environ.filter((v) => v.startsWith("DATABASE_URL="))).toEqual([]);
      expect(environ.find((v) => v.startsWith("PETALFLOW_RUNNER_CONFIG="))).not.toMatch(/petalflow\.db/);
    }

    const freed = await t.caller.system.freeModelCache({ outputs: true });
    expect(freed.freedSessionBytes).toBeGreaterThan(0);
    expect(freed.freedOutputBytes).toBeGreaterThan(0);
    const after = await t.caller.system.stats();
    expect(after.sessionCache.loaded).toEqual([]);
    expect(after.outputCache.entries).toBe(0);
  });

  it("runs from the prebuilt bundle, not under tsx, and makes the sources' image bit for bit", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 11 }) });
    expect(await waitForRun(t.app, runs[0].id)).toBe("succeeded");
    const pid = (await t.caller.system.stats()).runner.pid;
    if (fs.existsSync(`/proc/${pid}/cmdline`)) {
      // scripts/runner.mjs imports the bundle; a child forked with tsx has "--import tsx" in its argv.
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(argv.some((a) => a.endsWith(path.join("scripts", "runner.mjs")))).toBe(true);
      expect(argv).not.toContain("tsx");
    }
    const [artifact] = await t.app.db.artifact.findMany({ where: { runId: runs[0].id, kind: "image" } });
    const fromChild = fs.readFileSync(path.join(t.app.dataDir, artifact.path));

    // The same graph through the sources (this process), written by the CLI's sink.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pf-runner-bundle-"));
    const rt = createRuntime({
      ...runtimeOptions({ ...process.env, PETALFLOW_MODELS_DIR: MODELS_DIR }),
      artifacts: new DirectoryArtifacts(out, out),
      log: () => {},
    });
    const inline = await rt.executor.run(txt2img({ seed: 11 }), { previews: false });
    expect(inline.status).toBe("succeeded");
    const fromSources = fs.readFileSync(inline.files.find((f) => f.kind === "image")!.path);
    const limits = { maxPixels: 1 << 24, maxBytes: 1 << 26 };
    const a = decodeImage(fromChild, limits);
    const b = decodeImage(fromSources, limits);
    expect([a.width, a.height]).toEqual([b.width, b.height]);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("cancels a run executing in the child", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ steps: 1000, size: 128 }) });
    const id = runs[0].id;
    let cancelled = false;
    const events = await collect(await t.caller.runs.events({ runId: id }), async (e) => {
      // Progress reports are throttled (PETALFLOW_PROGRESS_INTERVAL_MS): step 3 itself may not come.
      if (e.data.type === "node.progress" && e.data.step >= 3 && !cancelled) {
        cancelled = true;
        await t.caller.runs.cancel({ runId: id });
      }
    });
    expect(events.at(-1)?.data.type).toBe("run.cancelled");
    expect((await t.caller.runs.get({ id })).status).toBe("cancelled");
  });

  it("fails the run when the child dies, and starts a new child for the next run", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ steps: 1000, size: 128 }) });
    const id = runs[0].id;
    let killed: number | null = null;
    const events = await collect(await t.caller.runs.events({ runId: id }), async (e) => {
      if (e.data.type === "node.progress" && killed === null) {
        killed = (await t.app.runner.stats()).runner.pid!;
        process.kill(killed, "SIGKILL");
      }
    });
    const last = events.at(-1)?.data;
    expect(last?.type).toBe("run.failed");
    const run = await t.caller.runs.get({ id });
    expect(run.status).toBe("failed");
    expect(JSON.stringify(run.error)).toMatch(/the runner process exited \(signal SIGKILL\) during the run/);
    expect(alive(killed!)).toBe(false);

    const next = await t.caller.runs.enqueue({ document: txt2img({ seed: 4 }) });
    expect(await waitForRun(t.app, next.runs[0].id)).toBe("succeeded");
    const pid = (await t.caller.system.stats()).runner.pid;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(killed);
  });

  it("ends the child when the app closes", async () => {
    const pid = (await t.app.runner.stats()).runner.pid!;
    expect(alive(pid)).toBe(true);
    await t.app.runner.close();
    expect(alive(pid)).toBe(false);
  });
});
