/**
 * A run with no onEvent listener (the CLI's plain mode, benches, tools) still reports each node's
 * result and time in its summary: node.finished feeds the summary's fold whether or not anyone listens.
 */
import { describe, expect, it } from "vitest";
import { Executor } from "../../../server/engine/executor";
import { doc, type StubServices, stubImpls, stubRegistry } from "./stub-nodes";

describe("Executor without a listener", () => {
  it("reports every node as ran, with its time, as a run with a listener does", async () => {
    const services: StubServices = { executions: [], received: [] };
    const executor = new Executor({ registry: stubRegistry, impls: stubImpls, services });
    const d = doc(
      [
        ["c", "stub-constant", { value: 10 }],
        ["seed", "stub-seed", { seed: 5 }],
        ["a", "stub-add", {}],
        ["s", "stub-sink"],
      ],
      ["c.value->a.a", "seed.value->a.b", "a.sum->s.x"],
    );
    const quiet = await executor.run(d);
    expect(quiet.status).toBe("succeeded");
    expect(Object.keys(quiet.results).sort()).toEqual(["a", "c", "s", "seed"]);
    for (const r of Object.values(quiet.results)) {
      expect(r.status).toBe("ran");
      expect(r.ms).toBeGreaterThanOrEqual(0);
    }
    executor.cache.clear();
    const heard = await executor.run(d, { onEvent: () => {} });
    expect(Object.keys(heard.results).sort()).toEqual(Object.keys(quiet.results).sort());
    // A rerun with nothing changed: the cached nodes are reported as such, without a listener too.
    const again = await executor.run(d);
    expect(Object.values(again.results).every((r) => r.status === "cached" || r.status === "ran")).toBe(true);
    expect(Object.keys(again.results).sort()).toEqual(["a", "c", "s", "seed"]);
  });

  it("does no progress work (no clock read, no event built) when nobody listens; a listener gets every step", async () => {
    const services: StubServices = { executions: [], received: [] };
    const executor = new Executor({ registry: stubRegistry, impls: stubImpls, services });
    const d = (value: number) =>
      doc(
        [
          ["c", "stub-constant", { value }],
          ["w", "stub-slow", { steps: 6 }],
          ["s", "stub-sink"],
        ],
        ["c.value->w.x", "w.y->s.x"],
      );
    let reads = 0;
    const now = () => ++reads;
    const quiet = await executor.run(d(1), { now });
    expect(quiet.results.w.status).toBe("ran");
    expect(reads).toBe(0);
    const steps: number[] = [];
    await executor.run(d(2), { now, onEvent: (e) => e.type === "node.progress" && steps.push(e.step) });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reads).toBe(6);
  });
});
