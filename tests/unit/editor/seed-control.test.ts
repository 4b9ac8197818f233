import { describe, expect, it } from "vitest";
import { comparableJson, seedsAfterRun, seedsBack, seedUpdates } from "../../../app/_lib/seed-control";
import { applyOverrides } from "../../../core/graph/overrides";
import { registry } from "../../../nodes/registry";
import { txt2img } from "../../integration/helpers/documents";

type Control = "fixed" | "increment" | "decrement" | "randomize";
const doc = (seed: number, control: Control) => txt2img({ seed, control });
const withSeed = (d: ReturnType<typeof doc>, seed: number) =>
  applyOverrides(d, registry, { seed: BigInt(seed) });
const withSet = (d: ReturnType<typeof doc>, param: string, value: unknown) =>
  applyOverrides(d, registry, { set: [{ nodeId: "noise", param, value }] });

describe("seedsAfterRun: the editor moves seeds on once the server accepted the runs", () => {
  it("moves each seed as its control says, once per accepted run", () => {
    expect(seedsAfterRun(doc(100, "increment"), doc(100, "increment"), 3)).toEqual([
      { nodeId: "noise", key: "seed", before: 100, value: 103 },
    ]);
    expect(seedsAfterRun(doc(100, "decrement"), doc(100, "decrement"), 1)).toEqual([
      { nodeId: "noise", key: "seed", before: 100, value: 99 },
    ]);
    expect(seedsAfterRun(doc(100, "randomize"), doc(100, "randomize"), 1, () => 777n)).toEqual([
      { nodeId: "noise", key: "seed", before: 100, value: 777 },
    ]);
    expect(seedsAfterRun(doc(100, "fixed"), doc(100, "fixed"), 4)).toEqual([]);
  });

  it("leaves a seed the user edited while the request was in flight", () => {
    const sent = doc(100, "increment");
    expect(seedsAfterRun(sent, withSeed(sent, 5), 1)).toEqual([]);
  });
});

describe("seedsBack: a run that failed leaves the seed it failed with", () => {
  const moves = [{ nodeId: "noise", key: "seed", before: 100, value: 777 }];
  it("puts the seed back while it still shows the moved-on value", () => {
    expect(seedsBack(moves, doc(777, "randomize"))).toEqual([
      { nodeId: "noise", key: "seed", before: 777, value: 100 },
    ]);
  });
  it("keeps a seed moved since (by a later run or by hand)", () => {
    expect(seedsBack(moves, doc(778, "randomize"))).toEqual([]);
  });
});

describe("comparableJson: what 'Unsaved changes' compares", () => {
  it("ignores seeds the editor moves by itself, not fixed seeds nor other parameters", () => {
    const saved = doc(100, "randomize");
    expect(comparableJson(withSeed(saved, 12345))).toBe(comparableJson(saved));
    expect(comparableJson(withSeed(doc(100, "increment"), 101))).toBe(comparableJson(doc(100, "increment")));
    expect(comparableJson(withSeed(doc(100, "fixed"), 101))).not.toBe(comparableJson(doc(100, "fixed")));
    expect(comparableJson(withSet(saved, "control", "fixed"))).not.toBe(comparableJson(saved));
    expect(comparableJson(withSet(saved, "batch", 2))).not.toBe(comparableJson(saved));
  });
});

describe("seedUpdates: 'use this seed'", () => {
  it("sets every unlinked seed widget (or one node's), as a number while safe, else as a string", () => {
    const d = doc(5, "fixed");
    expect(seedUpdates(d, 42n)).toEqual([{ nodeId: "noise", key: "seed", value: 42 }]);
    expect(seedUpdates(d, 18446744073709551615n)).toEqual([
      { nodeId: "noise", key: "seed", value: "18446744073709551615" },
    ]);
    expect(seedUpdates(d, 42n, "other")).toEqual([]);
  });

  it("leaves a seed fed by a link alone", () => {
    const d = doc(5, "fixed");
    d.edges.push({
      id: "s",
      from: { node: "positive", port: "conditioning" },
      to: { node: "noise", port: "seed" },
    });
    expect(seedUpdates(d, 42n)).toEqual([]);
  });
});
