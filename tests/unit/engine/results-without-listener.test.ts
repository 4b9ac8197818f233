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
});
