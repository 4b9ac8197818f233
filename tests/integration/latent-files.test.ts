/**
 * Save Latent → Load Latent through real files: from the CLI (a spawned `graph run`, files in a temp
 * folder) and from the server (tRPC enqueue, the worker, the artifact store on disk). Reading a saved
 * latent back once failed with "Tensor shape [1,4,8,8] needs 256 values, got 316": the reader viewed
 * the whole file Buffer instead of its tensor bytes.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphDocument } from "../../core/graph/document";
import { MODELS_DIR, makeTestApp, type TestApp, waitForRun } from "./helpers/app";
import { edge, node, txt2img } from "./helpers/documents";

/** txt2img whose sampler output goes to Save Latent instead of VAE Decode → Save Image. */
function saveLatentGraph(seed: number): GraphDocument {
  const doc = txt2img({ seed, size: 64 });
  doc.nodes = doc.nodes.filter((n) => n.id !== "decode" && n.id !== "save");
  doc.nodes.push(node("store", "save-latent", {}));
  doc.edges = doc.edges.filter((e) => e.to.node !== "decode" && e.to.node !== "save");
  doc.edges.push(edge("sample", "latent", "store", "latent"));
  return doc;
}

/** Model Loader + Load Latent → VAE Decode → Save Image. */
function loadLatentGraph(file: string): GraphDocument {
  const doc = txt2img();
  doc.nodes = [
    doc.nodes.find((n) => n.id === "model")!,
    node("load", "load-latent", { file }),
    node("decode", "vae-decode", {}),
    node("save", "save-image", {}),
  ];
  doc.edges = [
    edge("load", "latent", "decode", "latent"),
    edge("model", "vae", "decode", "vae"),
    edge("decode", "image", "save", "image"),
  ];
  return doc;
}

describe("Load Latent reads Save Latent's file", () => {
  const cli = promisify(execFile);
  const graph = (args: string[]) =>
    cli("npx", ["tsx", "scripts/graph.ts", ...args], { encoding: "utf8" }).then(
      (r) => ({ code: 0, ...r }),
      (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
    );
  const events = (stdout: string) =>
    stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));

  it("from the CLI: one run saves a .latent, the next loads it from disk and decodes it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pf-latent-cli-"));
    const save = path.join(dir, "save.json");
    writeFileSync(save, JSON.stringify(saveLatentGraph(5)));
    const first = await graph(["run", save, "--models", MODELS_DIR, "--out", dir, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const saved = events(first.stdout).find((e) => e.type === "node.finished" && e.nodeId === "store");
    const latentFile: string = saved.files[0].path;
    expect(latentFile).toMatch(/\.latent$/);
    expect(existsSync(latentFile)).toBe(true);

    const load = path.join(dir, "load.json");
    writeFileSync(load, JSON.stringify(loadLatentGraph(latentFile)));
    const second = await graph(["run", load, "--models", MODELS_DIR, "--out", dir, "--json"]);
    const evs = events(second.stdout);
    expect(second.code, JSON.stringify(evs.filter((e) => e.type.endsWith("failed")))).toBe(0);
    const png = evs.find((e) => e.type === "node.finished" && e.nodeId === "save").files[0];
    expect([png.width, png.height]).toEqual([64, 64]);
    // The latent remembers the seed it was made from.
    expect(png.seed).toBe("5");
  }, 120_000);

  // "process": the runner process asks the server for the latent's file (it never opens the database).
  describe.each(["inline", "process"] as const)("from the server (%s runner)", (runner) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await makeTestApp({ runner });
    });
    afterAll(async () => {
      await t?.close();
    });

    it("a run saves a latent artifact; a second run loads it by id from the data folder", async () => {
      const a = await t.caller.runs.enqueue({ document: saveLatentGraph(9) });
      expect(await waitForRun(t.app, a.runs[0].id)).toBe("succeeded");
      const latent = await t.app.db.artifact.findFirstOrThrow({
        where: { runId: a.runs[0].id, kind: "latent" },
        select: { id: true },
      });
      const b = await t.caller.runs.enqueue({ document: loadLatentGraph(latent.id) });
      const status = await waitForRun(t.app, b.runs[0].id);
      const run = await t.caller.runs.get({ id: b.runs[0].id });
      expect(status, JSON.stringify(run.error ?? run)).toBe("succeeded");
      expect(run.artifacts.filter((x) => x.kind === "image")).toHaveLength(1);
    });
  });
});
