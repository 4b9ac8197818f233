import { describe, expect, it } from "vitest";
import { messageStillApplies } from "../../../app/_components/canvas/StatusLine";
import { RunStore } from "../../../app/_lib/run-store";

describe("run state after a run ends", () => {
  it("a failed run leaves no node 'queued' or 'running'", () => {
    const runs = new RunStore();
    runs.startWatching("r1");
    runs.apply({ type: "run.started", runId: "r1", plan: ["a", "b", "c"] } as never);
    runs.apply({ type: "node.started", runId: "r1", nodeId: "a", nodeType: "x" });
    runs.apply({
      type: "node.failed",
      runId: "r1",
      nodeId: "a",
      nodeType: "x",
      error: { message: "boom" },
    } as never);
    runs.apply({ type: "run.failed", runId: "r1", ms: 5, results: {}, error: { message: "boom" } } as never);
    expect(runs.getNode("a")?.status).toBe("failed");
    expect(runs.getNode("b")?.status).toBe("skipped");
    expect(runs.getNode("c")?.status).toBe("skipped");
    expect(runs.getCurrent()?.phase).toBe("failed");
  });

  it("a status message about deleted nodes no longer applies; a general one stays", () => {
    const msg = { id: 1, text: "The graph cannot run", kind: "error" as const, about: ["a", "b"] };
    expect(messageStillApplies(msg, new Set(["b", "c"]))).toBe(true);
    expect(messageStillApplies(msg, new Set(["c"]))).toBe(false);
    expect(messageStillApplies({ id: 2, text: "Saved", kind: "info" }, new Set())).toBe(true);
  });
});
