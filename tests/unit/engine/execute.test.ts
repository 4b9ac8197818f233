import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../../core/run/events";
import { Executor } from "../../../server/engine/executor";
import { doc, type StubServices, stubImpls, stubRegistry } from "./stub-nodes";

function setup() {
  const services: StubServices = { executions: [], received: [] };
  const executor = new Executor({ registry: stubRegistry, impls: stubImpls, services });
  const run = async (d: unknown, opts: Parameters<typeof executor.run>[1] = {}) => {
    services.executions.length = 0;
    services.received.length = 0;
    const events: RunEvent[] = [];
    const summary = await executor.run(d, {
      ...opts,
      onEvent: (e) => {
        events.push(e);
        opts.onEvent?.(e);
      },
    });
    return { summary, events, ran: [...services.executions], received: [...services.received] };
  };
  return { executor, services, run };
}

const chain = (seed: number, mode: "normal" | "bypass" | "mute" = "normal") =>
  doc(
    [
      ["c", "stub-constant", { value: 10 }],
      ["seed", "stub-seed", { seed }],
      ["a", "stub-add", {}],
      ["n", "stub-negate", {}, mode],
      ["s", "stub-sink"],
    ],
    ["c.value->a.a", "seed.value->a.b", "a.sum->n.x", "n.y->s.x"],
  );

describe("Executor", () => {
  it("runs in dependency order and computes the right value", async () => {
    const { run } = setup();
    const r = await run(chain(5));
    expect(r.summary.status).toBe("succeeded");
    expect(r.ran).toEqual(["c", "seed", "a", "n", "s"]);
    expect(r.received).toEqual([-15]);
    expect(r.events[0].type).toBe("run.started");
    expect(r.events.at(-1)?.type).toBe("run.finished");
  });

  it("runs only what the requested outputs need", async () => {
    const { run } = setup();
    const d = doc(
      [
        ["c", "stub-constant"],
        ["s", "stub-sink"],
        ["x", "stub-constant", { value: 3 }],
        ["s2", "stub-sink"],
      ],
      ["c.value->s.x", "x.value->s2.x"],
    );
    const r = await run(d, { outputs: ["s2"] });
    expect(r.ran).toEqual(["x", "s2"]);
  });

  it("on a seed-only change re-runs only what depends on the seed; the rest is cached", async () => {
    const { run } = setup();
    await run(chain(5));
    const r = await run(chain(6));
    expect(r.ran).toEqual(["seed", "a", "n", "s"]);
    expect(r.summary.results.c.status).toBe("cached");
    expect(r.summary.results.seed.status).toBe("ran");
    expect(
      r.events.filter((e) => e.type === "node.cached").map((e) => (e as { nodeId: string }).nodeId),
    ).toEqual(["c"]);
    expect(r.received).toEqual([-16]);
    expect(r.summary.seeds.seed).toEqual(["6"]);
  });

  it("an unchanged rerun takes everything but the output node from the cache", async () => {
    const { run } = setup();
    await run(chain(5));
    const r = await run(chain(5));
    expect(r.ran).toEqual(["s"]);
    expect(r.received).toEqual([-15]);
    expect(r.summary.seeds.seed).toEqual(["5"]); // seeds are replayed from the cache
  });

  it("bypass passes the input of the same type straight through", async () => {
    const { run } = setup();
    const r = await run(chain(5, "bypass"));
    expect(r.received).toEqual([15]);
    expect(r.summary.results.n.status).toBe("skipped");
    expect(r.ran).not.toContain("n");
  });

  it("mute skips the node and what depends on it", async () => {
    const { run } = setup();
    const d = chain(5, "mute");
    const r = await run(d);
    expect(r.ran).toEqual(["c", "seed", "a"]);
    expect(r.summary.results.s.status).toBe("skipped");
    expect(r.summary.status).toBe("succeeded");
  });

  it("a node that throws becomes a node.failed event naming it, and the run fails", async () => {
    const { run } = setup();
    const d = doc(
      [
        ["c", "stub-constant"],
        ["b", "stub-boom"],
        ["s", "stub-sink"],
      ],
      ["c.value->b.x", "b.y->s.x"],
    );
    const r = await run(d);
    expect(r.summary.status).toBe("failed");
    expect(r.summary.error).toMatchObject({ nodeId: "b", message: "kaboom" });
    const failed = r.events.find((e) => e.type === "node.failed");
    expect(failed).toMatchObject({ nodeId: "b", nodeType: "stub-boom", error: { message: "kaboom" } });
    expect(r.events.at(-1)).toMatchObject({ type: "run.failed" });
  });

  it("cancellation mid-run stops inside a long node and leaves the cache consistent", async () => {
    const { run } = setup();
    const d = (steps: number) =>
      doc(
        [
          ["c", "stub-constant"],
          ["w", "stub-slow", { steps }],
          ["s", "stub-sink"],
        ],
        ["c.value->w.x", "w.y->s.x"],
      );
    // Cancel on the node's third progress event (an event, not a timer: a loaded machine can't race it).
    const ac = new AbortController();
    const r = await run(d(200), {
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === "node.progress" && e.nodeId === "w" && e.step === 3) ac.abort();
      },
    });
    expect(r.summary.status).toBe("cancelled");
    expect(r.summary.results.w.status).toBe("skipped");
    const progress = r.events.filter((e) => e.type === "node.progress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThan(200);
    expect(r.events.at(-1)?.type).toBe("run.cancelled");
    // The cancelled node was not cached; the finished one was.
    const again = await run(d(3));
    expect(again.summary.results.c.status).toBe("cached");
    expect(again.summary.results.w.status).toBe("ran");
  });

  it("throttles a node's progress events to progressIntervalMs by the injected clock, always reporting its first and last step", async () => {
    const { run } = setup();
    // A new constant each time, so that the slow node is not taken from the cache.
    const d = (value: number) =>
      doc(
        [
          ["c", "stub-constant", { value }],
          ["w", "stub-slow", { steps: 20 }],
          ["s", "stub-sink"],
        ],
        ["c.value->w.x", "w.y->s.x"],
      );
    const steps = (events: RunEvent[]) => events.flatMap((e) => (e.type === "node.progress" ? [e.step] : []));
    /** A clock that moves `ms` each time it is read (the executor reads it once per progress call). */
    const ticking = (ms: number) => {
      let t = 0;
      return () => (t += ms);
    };
    const all = Array.from({ length: 20 }, (_, i) => i + 1);
    // Default interval 0: every step, whatever the clock.
    expect(steps((await run(d(1), { now: ticking(0) })).events)).toEqual(all);
    // A clock that never reaches the interval: only the first and the last step report.
    expect(steps((await run(d(2), { progressIntervalMs: 2500, now: ticking(0) })).events)).toEqual([1, 20]);
    // 1000 ms per step, 2500 ms between reports: every third step after the first (3000 ms apart), then the last.
    expect(steps((await run(d(3), { progressIntervalMs: 2500, now: ticking(1000) })).events)).toEqual([
      1, 4, 7, 10, 13, 16, 19, 20,
    ]);
    // Exactly the interval per step: a report is due at every step (the bound is inclusive).
    expect(steps((await run(d(4), { progressIntervalMs: 2500, now: ticking(2500) })).events)).toEqual(all);
  });

  it("feeds a linked widget from its link, and caches by the linked value", async () => {
    const { run } = setup();
    const d = (v: number) =>
      doc(
        [
          ["c", "stub-constant", { value: v }],
          ["one", "stub-constant", { value: 1 }],
          ["a", "stub-add", { offset: 0 }],
          ["s", "stub-sink"],
        ],
        ["one.value->a.a", "c.value->a.offset", "a.sum->s.x"],
      );
    expect((await run(d(4))).received).toEqual([5]);
    expect((await run(d(7))).received).toEqual([8]);
  });

  it("refuses to run an invalid document, reporting its problems", async () => {
    const { run } = setup();
    const r = await run(
      doc(
        [
          ["a", "stub-add"],
          ["s", "stub-sink"],
        ],
        ["a.sum->s.x"],
      ),
    );
    expect(r.summary.status).toBe("failed");
    expect(r.summary.error?.message).toMatch(/not valid.*a\.a/);
    expect(r.ran).toEqual([]);
  });
});
