import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../../core/run/events";
import {
  foldRunEvents,
  initialRunProgress,
  isTerminalRunEvent,
  RunFold,
  type StreamedRunEvent,
} from "../../../core/run/fold";

const R = "r1";
const start = (plan: string[]): RunEvent => ({ type: "run.started", runId: R, at: 0, plan });
const started = (nodeId: string): RunEvent => ({ type: "node.started", runId: R, nodeId, nodeType: "t" });
const progress = (nodeId: string, step: number, total = 4): RunEvent => ({
  type: "node.progress",
  runId: R,
  nodeId,
  nodeType: "t",
  step,
  total,
});
const finished = (nodeId: string, ms = 10): RunEvent => ({
  type: "node.finished",
  runId: R,
  nodeId,
  nodeType: "t",
  ms,
  outputs: {},
});
const cached = (nodeId: string): RunEvent => ({ type: "node.cached", runId: R, nodeId, nodeType: "t" });
const skipped = (nodeId: string, reason: string): RunEvent => ({
  type: "node.skipped",
  runId: R,
  nodeId,
  nodeType: "t",
  reason,
});
const nodeFailed = (nodeId: string, message: string): RunEvent => ({
  type: "node.failed",
  runId: R,
  nodeId,
  nodeType: "t",
  error: { message },
});

function fold(events: StreamedRunEvent[]) {
  const f = new RunFold(R);
  for (const e of events) f.apply(e);
  return f;
}

describe("foldRunEvents: one reducer for executor, runner and browser", () => {
  it("folds an ordinary run into node states, results and progress", () => {
    const f = fold([
      start(["a", "b", "c"]),
      cached("a"),
      started("b"),
      progress("b", 1),
      progress("b", 4),
      finished("b", 25),
      started("c"),
      finished("c", 5),
    ]);
    expect(f.results()).toEqual({
      a: { status: "cached", ms: 0 },
      b: { status: "ran", ms: 25 },
      c: { status: "ran", ms: 5 },
    });
    expect(f.run).toMatchObject({ phase: "running", planned: 3, done: 3 });
    expect(f.run.running).toBeUndefined();
    f.apply({ type: "run.finished", runId: R, ms: 40, results: {} });
    expect(f.run.phase).toBe("succeeded");
  });

  it("a progress event that trails its node's end does not make it 'running' again", () => {
    const f = fold([start(["a"]), started("a"), progress("a", 2), finished("a"), progress("a", 3)]);
    expect(f.nodes.get("a")?.status).toBe("done");
    expect(f.run.running).toBeUndefined();
  });

  it("replayed events (a resumed subscription) count each node once and keep what is known", () => {
    const events = [start(["a", "b"]), cached("a"), started("b"), finished("b")];
    const f = fold([...events, ...events]);
    expect(f.run.done).toBe(2);
    expect(f.run.planned).toBe(2);
    expect(f.nodes.get("a")?.status).toBe("cached");
    expect(f.nodes.get("b")?.status).toBe("done");
  });

  it("node events that arrive before run.started are kept when it comes", () => {
    const f = fold([finished("a", 7), start(["a", "b"])]);
    expect(f.nodes.get("a")).toMatchObject({ status: "done", ms: 7 });
    expect(f.nodes.get("b")?.status).toBe("queued");
    expect(f.run.done).toBe(1);
  });

  it("a run that ended stays ended: a late run.started or terminal event does not reopen it", () => {
    const f = fold([
      start(["a"]),
      started("a"),
      finished("a"),
      { type: "run.finished", runId: R, ms: 1, results: {} },
    ]);
    f.apply(start(["a"]));
    f.apply({ type: "run.failed", runId: R, ms: 2, error: { message: "late" }, results: {} });
    expect(f.run.phase).toBe("succeeded");
    expect(f.run.error).toBeUndefined();
    expect(f.nodes.get("a")?.status).toBe("done");
  });

  it("cancellation: the running node and the unreached ones end skipped; results hold only what settled", () => {
    const f = fold([start(["a", "b", "c"]), started("a"), finished("a"), started("b"), progress("b", 2)]);
    expect(f.run.running).toEqual({ nodeId: "b", nodeType: "t" });
    f.apply(skipped("b", "cancelled"));
    f.apply(skipped("c", "cancelled"));
    expect(f.results()).toEqual({
      a: { status: "ran", ms: 10 },
      b: { status: "skipped", ms: 0 },
      c: { status: "skipped", ms: 0 },
    });
    f.apply({ type: "run.cancelled", runId: R, ms: 3, results: {} });
    expect(f.run.phase).toBe("cancelled");
    expect(f.run.running).toBeUndefined();
  });

  it("a 'cancelled' skip that trails a node's end does not undo it", () => {
    const f = fold([start(["a"]), started("a"), finished("a"), skipped("a", "cancelled")]);
    expect(f.results()).toEqual({ a: { status: "ran", ms: 10 } });
  });

  it("a failed or interrupted run leaves no node queued or running", () => {
    for (const end of [
      { type: "run.failed", runId: R, ms: 1, error: { message: "boom" }, results: {} } as const,
      { type: "run.interrupted", runId: R, message: "the server stopped" } as const,
    ]) {
      const f = fold([start(["a", "b", "c"]), started("a"), nodeFailed("a", "boom"), end]);
      expect([...f.nodes.values()].map((s) => s.status)).toEqual(["failed", "skipped", "skipped"]);
      expect(f.run.phase).toBe("failed");
      expect(f.run.error).toBe(end.type === "run.failed" ? "boom" : "the server stopped");
      expect(f.nodes.get("a")?.error).toBe("boom");
    }
  });

  it("the node a lost process was running is the one the fold says is running", () => {
    const f = fold([start(["a", "b"]), started("a"), finished("a"), started("b"), progress("b", 1)]);
    expect(f.run.running).toEqual({ nodeId: "b", nodeType: "t" });
    f.apply(nodeFailed("b", "the runner process exited"));
    expect(f.results().b).toEqual({ status: "failed", ms: 0, error: "the runner process exited" });
    expect(f.run.running).toBeUndefined();
  });

  it("ignores another run's events, and repeats warnings once", () => {
    const warn = {
      type: "node.warning",
      runId: R,
      nodeId: "a",
      nodeType: "t",
      message: "77 tokens",
    } as const;
    const f = fold([start(["a"]), { ...finished("a"), runId: "other" }, warn, warn]);
    expect(f.nodes.get("a")).toMatchObject({ status: "queued", warnings: ["77 tokens"] });
  });

  it("foldRunEvents (a sequence, pure) gives the same as the held fold and leaves its input alone", () => {
    const events = [start(["a", "b"]), cached("a"), started("b"), finished("b", 3)];
    const begin = { run: initialRunProgress(R), nodes: new Map() };
    const out = foldRunEvents(events, begin);
    expect(begin.nodes.size).toBe(0);
    expect(begin.run.phase).toBe("queued");
    expect([...out.nodes]).toEqual([...fold(events).nodes]);
    expect(out.run).toEqual(fold(events).run);
  });

  it("one terminal set", () => {
    expect(
      ["run.finished", "run.failed", "run.cancelled", "run.interrupted"].every((t) =>
        isTerminalRunEvent({ type: t }),
      ),
    ).toBe(true);
    expect(isTerminalRunEvent({ type: "node.finished" })).toBe(false);
  });
});
