/**
 * "Control after run" (the Noise node's `control`) is the editor's business, as ComfyUI's
 * control_after_generate: it cannot change an image, so it is not part of any cache signature.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { registry } from "../../nodes/registry";
import type { GraphDocument } from "../../server/engine/document";
import { applyOverrides } from "../../server/engine/overrides";
import { createRuntime, DEFAULT_LIMITS } from "../../server/runtime/create";
import { DirectoryArtifacts } from "../../server/runtime/directory-artifacts";
import { txt2img } from "./helpers/documents";

function runtime() {
  const rt = createRuntime({
    modelsDir: "tests/fixtures/models",
    provider: "cpu",
    sessionBudgetBytes: 64 * 1024 * 1024,
    outputCacheBytes: 64 * 1024 * 1024,
    artifacts: new DirectoryArtifacts(mkdtempSync(path.join(tmpdir(), "pf-control-")), process.cwd()),
    limits: DEFAULT_LIMITS,
    log: () => {},
  });
  return async (doc: GraphDocument) => {
    const summary = await rt.executor.run(doc, {});
    expect(summary.status, JSON.stringify(summary.error)).toBe("succeeded");
    return Object.entries(summary.results)
      .filter(([, r]) => r.status === "ran")
      .map(([id]) => id)
      .sort();
  };
}

describe("control after run and the cache", () => {
  it("changing only the control re-runs nothing but the output node", async () => {
    const run = runtime();
    const doc = txt2img({ seed: 3, control: "randomize" });
    expect(await run(doc)).toContain("sample");
    for (const control of ["fixed", "increment", "decrement"]) {
      const changed = applyOverrides(doc, registry, {
        set: [{ nodeId: "noise", param: "control", value: control }],
      });
      // Save Image is an output node: it always writes its file. Noise, U-Net step and VAE Decode are cached.
      expect(await run(changed)).toEqual(["save"]);
    }
    // A seed change still re-runs the noise and everything after it.
    expect(await run(applyOverrides(doc, registry, { seed: 4n }))).toEqual([
      "decode",
      "noise",
      "sample",
      "save",
    ]);
  });
});
