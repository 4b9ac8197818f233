import { describe, expect, it } from "vitest";
import type { GraphDocument } from "../../core/graph/document";
import { applyOverrides } from "../../core/graph/overrides";
import { registry } from "../../nodes/registry";
import { txt2img } from "./helpers/documents";
import { cpuRuntime } from "./helpers/runtime";

function runtime() {
  const rt = cpuRuntime("tests/fixtures/models");
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
