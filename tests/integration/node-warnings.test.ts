/**
 * `node.warning`: what a node wants the user to know without failing (here: a prompt longer than the
 * text encoder reads) reaches the event stream — from the executor, through the runner child process,
 * the queue's stored events and the subscription, and from the CLI — instead of the runner's stderr.
 * A cached node repeats its warnings; `node.cached` carries the seeds its output was made with.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../core/run/events";
import { MODELS_DIR, makeTestApp, type TestApp, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";
import { collect } from "./helpers/events";
import { cpuRuntime } from "./helpers/runtime";

/** 100 words: each is at least one token, past the 75 a 77-token CLIP text encoder reads. */
const LONG_PROMPT = Array.from({ length: 100 }, (_, i) => ["red", "circle", "blue", "square"][i % 4]).join(
  " ",
);
const TRUNCATED = /the prompt has \d+ tokens; only the first 75 are used/;

describe("node.warning from the executor", () => {
  it("is emitted while the node runs, repeated (cached: true) on a cache hit; node.cached has the seeds", async () => {
    const rt = cpuRuntime(MODELS_DIR);
    const doc = txt2img({ seed: 21, prompt: LONG_PROMPT });
    const run = async () => {
      const events: RunEvent[] = [];
      const summary = await rt.executor.run(doc, { onEvent: (e) => events.push(e) });
      expect(summary.status).toBe("succeeded");
      return events;
    };
    const first = await run();
    const warning = first.find((e) => e.type === "node.warning");
    expect(warning).toMatchObject({
      nodeId: "pos",
      nodeType: "text-encoder",
      message: expect.stringMatching(TRUNCATED),
    });
    expect(warning).not.toHaveProperty("cached");
    // Between the node's start and its end.
    const at = (type: string) =>
      first.findIndex((e) => e.type === type && "nodeId" in e && e.nodeId === "pos");
    expect(at("node.started")).toBeLessThan(first.indexOf(warning!));
    expect(first.indexOf(warning!)).toBeLessThan(at("node.finished"));
    expect(first.filter((e) => e.type === "node.warning")).toHaveLength(1); // the empty negative prompt is fine

    const second = await run();
    expect(second.find((e) => e.type === "node.cached" && e.nodeId === "pos")).toBeDefined();
    expect(second.filter((e) => e.type === "node.warning")).toEqual([
      { ...warning, runId: second[0].runId, cached: true },
    ]);
    expect(second.find((e) => e.type === "node.cached" && e.nodeId === "noise")).toMatchObject({
      seeds: ["21"],
    });
  });
});

describe("node.warning through the server", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ runner: "process" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("comes from the runner child process, is stored, and is replayed by the event stream", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 5, prompt: LONG_PROMPT }) });
    expect(await waitForRun(t.app, runs[0].id)).toBe("succeeded");
    const events = (await collect(await t.caller.runs.events({ runId: runs[0].id }))).map((e) => e.data);
    expect(events.filter((e) => e.type === "node.warning")).toEqual([
      expect.objectContaining({
        nodeId: "pos",
        nodeType: "text-encoder",
        message: expect.stringMatching(TRUNCATED),
      }),
    ]);
  });
});

describe("node.warning in the CLI", () => {
  const cli = promisify(execFile);
  const graph = (args: string[]) =>
    cli("npx", ["tsx", "scripts/graph.ts", ...args], { encoding: "utf8" }).then(
      (r) => ({ code: 0, ...r }),
      (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
    );

  it("prints the warning (once per --seeds batch) in plain mode and as an event line with --json", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pf-warn-cli-"));
    const file = path.join(dir, "long.json");
    writeFileSync(file, JSON.stringify(txt2img({ prompt: LONG_PROMPT })));
    const plain = await graph(["run", file, "--models", MODELS_DIR, "--out", dir, "--seeds", "1..2"]);
    expect(plain.code, plain.stderr).toBe(0);
    const lines = plain.stderr.split("\n").filter((l) => l.startsWith("⚠"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^⚠ text-encoder "pos": the prompt has \d+ tokens; only the first 75 are used/);

    const json = await graph(["run", file, "--models", MODELS_DIR, "--out", dir, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const events = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === "node.warning")).toEqual([
      expect.objectContaining({
        nodeId: "pos",
        nodeType: "text-encoder",
        message: expect.stringMatching(TRUNCATED),
      }),
    ]);
    expect(json.stderr).not.toMatch(/Warning:/); // no longer a process warning on stderr
  }, 120_000);
});
