import { describe, expect, it } from "vitest";
import { RunStore } from "../../../app/_lib/run-store";
import type { StreamedRunEvent } from "../../../core/run/fold";

describe("RunStore: node warnings and cached seeds", () => {
  it("keeps a node's warnings for the run (once each), clears them on the next run, and shows cached seeds", () => {
    const store = new RunStore();
    store.startWatching("r1");
    store.apply({ type: "run.started", runId: "r1", at: 0, plan: ["pos", "noise"] });
    const warning = { type: "node.warning", runId: "r1", nodeId: "pos", nodeType: "text-encoder" } as const;
    store.apply({ ...warning, message: "the prompt has 90 tokens; only the first 75 are used" });
    store.apply({ ...warning, message: "the prompt has 90 tokens; only the first 75 are used" });
    store.apply({ type: "node.cached", runId: "r1", nodeId: "noise", nodeType: "noise", seeds: ["7", "8"] });
    expect(store.getNode("pos")?.warnings).toEqual(["the prompt has 90 tokens; only the first 75 are used"]);
    expect(store.getNode("noise")).toMatchObject({ status: "cached", seeds: ["7", "8"] });

    store.startWatching("r2");
    store.apply({ type: "run.started", runId: "r2", at: 0, plan: ["pos", "noise"] });
    expect(store.getNode("pos")?.warnings).toBeUndefined();
  });
});

describe("RunStore: events replayed or out of order (a resumed or late subscription)", () => {
  it("counts each node once, and a progress event after a node's end leaves it done", () => {
    const store = new RunStore();
    store.startWatching("r1");
    const events: StreamedRunEvent[] = [
      { type: "run.started", runId: "r1", at: 0, plan: ["a", "b"] },
      { type: "node.cached", runId: "r1", nodeId: "a", nodeType: "t" },
      { type: "node.started", runId: "r1", nodeId: "b", nodeType: "t" },
      { type: "node.finished", runId: "r1", nodeId: "b", nodeType: "t", ms: 3, outputs: {} },
    ];
    for (const e of [...events, ...events]) store.apply(e);
    store.apply({ type: "node.progress", runId: "r1", nodeId: "b", nodeType: "t", step: 3, total: 4 });
    expect(store.getCurrent()).toMatchObject({ done: 2, planned: 2 });
    expect(store.getNode("b")?.status).toBe("done");
  });
});

describe("RunStore: stored results read in the background", () => {
  it("do not cover a run watched since the read began (a cached Noise stays cached)", () => {
    const store = new RunStore();
    const mark = store.watchMark(); // the editor starts reading the latest run's results…
    store.startWatching("r2"); // …the user queues a run before they answer
    store.apply({ type: "run.started", runId: "r2", at: 0, plan: ["noise"] });
    store.apply({ type: "node.cached", runId: "r2", nodeId: "noise", nodeType: "noise", seeds: ["7"] });
    const older = { noise: { seeds: ["7"] } };
    expect(store.showResultsUnlessWatched(mark, older, "r1")).toBe(false);
    expect(store.getNode("noise")).toMatchObject({ runId: "r2", status: "cached" });

    // Reads begun after the run was queued (the head changed once the save's refetch answered) do not
    // cover it either.
    expect(store.showResultsUnlessWatched(store.watchMark(), older, "r2")).toBe(false);
    expect(store.getNode("noise")).toMatchObject({ runId: "r2", status: "cached" });
  });

  it("are shown while the editor has watched no run (a graph opens with its latest images)", () => {
    const store = new RunStore();
    const mark = store.watchMark();
    expect(store.showResultsUnlessWatched(mark, { save: { seeds: ["7"] } }, "r1")).toBe(true);
    expect(store.getNode("save")).toMatchObject({ runId: "r1", status: "done", seeds: ["7"] });
    // A run the server refused was never queued: the editor is back to watching none.
    store.startWatching("r2");
    store.stopWatching("r2");
    expect(store.showResultsUnlessWatched(store.watchMark(), { save: { seeds: ["8"] } }, "r3")).toBe(true);
  });
});
