import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { graphDocumentSchema } from "../../../core/graph/document";
import {
  advanceSeeds,
  applyOverrides,
  parseSeedList,
  parseSetArgument,
  seedsOf,
} from "../../../core/graph/overrides";
import { registry } from "../../../nodes/registry";

const txt2img = () => graphDocumentSchema.parse(JSON.parse(readFileSync("examples/txt2img.json", "utf8")));
const withControl = (control: string, seed: number | string) =>
  applyOverrides(txt2img(), registry, {
    set: [
      { nodeId: "noise", param: "control", value: control },
      { nodeId: "noise", param: "seed", value: seed },
    ],
  });

describe("seed lists and --set", () => {
  it("parses N, A..B and N,M,… up to 2^64−1, and refuses the rest with a reason", () => {
    expect(parseSeedList("42")).toEqual([42n]);
    expect(parseSeedList("3..6")).toEqual([3n, 4n, 5n, 6n]);
    expect(parseSeedList("3, 7,9")).toEqual([3n, 7n, 9n]);
    expect(parseSeedList("18446744073709551615")).toEqual([18446744073709551615n]);
    expect(() => parseSeedList("9..1")).toThrow(/bad seed range/);
    expect(() => parseSeedList("1..5000")).toThrow(/more than 1000/);
    expect(() => parseSeedList("18446744073709551616")).toThrow(/bad seed list/);
    expect(() => parseSeedList("-1")).toThrow(/bad seed list/);
  });

  it("reads --set values as JSON when they parse, else as text", () => {
    expect(parseSetArgument("sampler.cfg=5.5")).toEqual({ nodeId: "sampler", param: "cfg", value: 5.5 });
    expect(parseSetArgument("positive.text=a red star")).toEqual({
      nodeId: "positive",
      param: "text",
      value: "a red star",
    });
    expect(parseSetArgument("sampler.addNoise=false").value).toBe(false);
    expect(() => parseSetArgument("no-dot=1")).toThrow(/expected <nodeId>.<param>=<value>/);
  });

  it("--seed sets every seed widget not fed by a link; --set refuses unknown nodes and parameters", () => {
    const doc = applyOverrides(txt2img(), registry, { seed: 12345678901234567890n });
    expect(seedsOf(doc, registry)).toEqual({ "noise.seed": "12345678901234567890" });
    expect(doc.nodes.find((n) => n.id === "noise")?.params.seed).toBe("12345678901234567890"); // beyond 2^53: a string
    expect(() =>
      applyOverrides(txt2img(), registry, { set: [{ nodeId: "ghost", param: "x", value: 1 }] }),
    ).toThrow(/no node "ghost"/);
    expect(() =>
      applyOverrides(txt2img(), registry, { set: [{ nodeId: "noise", param: "constructor", value: 1 }] }),
    ).toThrow(/has no parameter "constructor"/);
  });
});

describe("control after run", () => {
  const next = (control: string, seed: number | string) =>
    advanceSeeds(withControl(control, seed), registry, () => 777n).nodes.find((n) => n.id === "noise")?.params
      .seed;

  it("fixed keeps, increment and decrement step (wrapping at the ends), randomize draws", () => {
    expect(next("fixed", 5)).toBe(5);
    expect(next("increment", 5)).toBe(6);
    expect(next("decrement", 5)).toBe(4);
    expect(next("decrement", 0)).toBe("18446744073709551615");
    expect(next("increment", "18446744073709551615")).toBe(0);
    expect(next("randomize", 5)).toBe(777);
  });

  it("leaves the document it was given untouched (the run uses the seed shown)", () => {
    const doc = withControl("increment", 5);
    advanceSeeds(doc, registry);
    expect(doc.nodes.find((n) => n.id === "noise")?.params.seed).toBe(5);
  });
});
