/** The editor's per-node problems: server validation, and what an import could not bring over. */
import { describe, expect, it } from "vitest";
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
    v.clearNode("c4");
    expect(v.get("c4")).toEqual([]);
    expect(pings).toBe(4);
  });
});
