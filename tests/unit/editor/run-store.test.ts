import { describe, expect, it } from "vitest";
import { RunStore } from "../../../app/_lib/run-store";

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
