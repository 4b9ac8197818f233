/** The editor's per-node problems: server validation, and what an import could not bring over. */
import { describe, expect, it } from "vitest";
import { nodeProblemsOf, withoutNode } from "../../../app/_lib/import-report";
import { ValidationStore } from "../../../app/_lib/validation-store";

describe("ValidationStore: import problems beside validation", () => {
  it("import problems stay through validation, show merged, and go when the node is edited", () => {
    const v = new ValidationStore();
    let pings = 0;
    v.subscribe("c4", () => pings++);
    v.setImported([{ nodeId: "c4", field: "model", message: "checkpoint not installed", code: "import" }]);
    expect(pings).toBe(1);
    expect(v.get("c4")).toEqual([{ field: "model", message: "checkpoint not installed", code: "import" }]);
    // Stable between changes (useSyncExternalStore compares by identity).
    expect(v.get("c4")).toBe(v.get("c4"));
    v.set([{ nodeId: "c4", field: "model", message: "model: required", code: "x" }]);
    expect(v.get("c4").map((p) => p.message)).toEqual(["model: required", "checkpoint not installed"]);
    // A new validation without this node's problems keeps the import's.
    v.set([]);
    expect(v.get("c4").map((p) => p.message)).toEqual(["checkpoint not installed"]);
    const cleared: string[] = [];
    v.onImportedCleared = (id) => cleared.push(id);
    v.clearNode("c4");
    expect(v.get("c4")).toEqual([]);
    expect(pings).toBe(4);
    v.clearNode("c4");
    // Said once, for the node whose import problems went.
    expect(cleared).toEqual(["c4"]);
  });
});

describe("import report", () => {
  it("an edited node's problems leave the report; the last one leaves none", () => {
    const report = {
      source: "comfy-workflow",
      problems: [
        {
          node: "4",
          type: "CheckpointLoaderSimple",
          field: "ckpt_name",
          severity: "error" as const,
          message: "m",
          at: { node: "c4", field: "model" },
        },
        {
          node: "20",
          type: "LoraLoader",
          severity: "error" as const,
          message: "l",
          at: { note: "comfy-left-out-20" },
        },
      ],
    };
    expect(withoutNode(report, "c4")?.problems.map((p) => p.node)).toEqual(["20"]);
    expect(withoutNode(report, "c9")?.problems).toHaveLength(2);
    expect(withoutNode({ ...report, problems: [report.problems[0]] }, "c4")).toBeNull();
    expect(nodeProblemsOf(report)).toEqual([
      { nodeId: "c4", field: "model", code: "import", message: "ComfyUI ckpt_name: m" },
    ]);
  });
});
