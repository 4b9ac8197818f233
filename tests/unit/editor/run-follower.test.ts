/**
 * Following runs the editor subscribed to before the server answered (issue 18): the seeds the server
 * planned arrive after the subscription and still show for cached Noise nodes; a run the server never
 * got is forgotten (its subscription ended, the run shown before it back), and the next one follows.
 */
import { describe, expect, it } from "vitest";
import { type EventSource, type FollowedEvent, RunFollower } from "../../../app/_lib/run-follower";
import { RunStore } from "../../../app/_lib/run-store";

/** Subscriptions as a list: which run, whether pending, and whether it was ended. */
function source() {
  const subs: { runId: string; pending: boolean; ended: boolean; push(e: FollowedEvent): void }[] = [];
  const src: EventSource = {
    subscribe(runId, handlers, opts) {
      const sub = { runId, pending: opts?.pending ?? false, ended: false, push: handlers.onData };
      subs.push(sub);
      return {
        unsubscribe() {
          sub.ended = true;
        },
      };
    },
  };
  return { subs, src };
}

describe("RunFollower: runs followed before their enqueue answered", () => {
  it("subscribes at once as pending; the planned seeds show when the Noise node is cached", () => {
    const { subs, src } = source();
    const store = new RunStore();
    const follower = new RunFollower(src, store, () => undefined);
    follower.follow([{ id: "run-a", pending: true }]);
    expect(subs.map((s) => [s.runId, s.pending])).toEqual([["run-a", true]]);
    expect(store.getCurrent()).toMatchObject({ runId: "run-a", phase: "queued" });
    follower.planned([{ id: "run-a", seeds: { "noise.seed": "42" } }]);
    subs[0].push({ type: "run.started", runId: "run-a", at: 0, plan: ["noise"] });
    subs[0].push({ type: "node.cached", runId: "run-a", nodeId: "noise", nodeType: "noise" });
    expect(store.getNode("noise")).toMatchObject({ status: "cached", seeds: ["42"] });
  });

  it("forgets a refused run: its subscription ends, the run before it shows again, the next run follows", () => {
    const { subs, src } = source();
    const store = new RunStore();
    const follower = new RunFollower(src, store, () => undefined);
    follower.follow([{ id: "done-before" }]);
    subs[0].push({ type: "run.started", runId: "done-before", at: 0, plan: [] });
    subs[0].push({ type: "run.finished", runId: "done-before", ms: 5, results: {} });
    expect(store.getCurrent()).toMatchObject({ runId: "done-before", phase: "succeeded" });

    follower.follow([
      { id: "refused-1", pending: true },
      { id: "refused-2", pending: true },
    ]);
    expect(store.getCurrent()?.runId).toBe("refused-1");
    follower.follow([{ id: "later", pending: true }]);
    follower.forget(["refused-1", "refused-2"]);
    expect(subs.find((s) => s.runId === "refused-1")?.ended).toBe(true);
    expect(subs.some((s) => s.runId === "refused-2")).toBe(false); // never subscribed
    expect(subs.at(-1)).toMatchObject({ runId: "later", ended: false });
    expect(store.getCurrent()?.runId).toBe("later");

    follower.forget(["later"]);
    expect(store.getCurrent()).toMatchObject({ runId: "done-before", phase: "succeeded" });
  });
});
