import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diffDocuments, showDiffValue } from "../../../app/_lib/document-diff";
import { graphDocumentSchema } from "../../../core/graph/document";

const txt2img = () => graphDocumentSchema.parse(JSON.parse(readFileSync("examples/txt2img.json", "utf8")));

describe("diffDocuments: what changed between two versions", () => {
  it("nothing for the same document", () => {
    expect(diffDocuments(txt2img(), txt2img())).toEqual([]);
  });

  it("names parameters, modes, added and removed nodes, links and the name", () => {
    const before = txt2img();
    const after = txt2img();
    after.name = "Renamed";
    const noise = after.nodes.find((n) => n.id === "noise")!;
    noise.params.seed = 7;
    const save = after.nodes.find((n) => n.id === "save")!;
    save.mode = "mute";
    after.nodes = after.nodes.filter((n) => n.id !== "negative");
    after.edges = after.edges.filter((e) => e.from.node !== "negative" && e.to.node !== "negative");
    after.nodes.push({ ...noise, id: "noise2", params: { ...noise.params } });
    after.edges.push({
      id: "extra",
      from: { node: "noise2", port: "noise" },
      to: { node: "sampler", port: "noise" },
    });
    const lines = diffDocuments(before, after);
    expect(lines).toContainEqual({ kind: "name", before: before.name, after: "Renamed" });
    expect(lines).toContainEqual({
      kind: "param",
      node: "Noise (noise)",
      param: "seed",
      before: before.nodes.find((n) => n.id === "noise")!.params.seed,
      after: 7,
    });
    expect(lines).toContainEqual({
      kind: "mode",
      node: "Save Image (save)",
      before: "normal",
      after: "mute",
    });
    expect(lines).toContainEqual({ kind: "node-removed", node: expect.stringContaining("(negative)") });
    expect(lines).toContainEqual({ kind: "node-added", node: "Noise (noise2)" });
    // The link into "negative" and the one out of it went; one came.
    expect(lines).toContainEqual({ kind: "links", added: 1, removed: 2 });
  });

  it("a link moved to another port counts as one removed and one added; values print readably", () => {
    const before = txt2img();
    const after = txt2img();
    const e = after.edges.find((x) => x.to.node === "sampler" && x.to.port === "positive")!;
    e.to.port = "negative";
    const other = after.edges.find((x) => x.from.node === "negative" && x.to.port === "negative")!;
    other.to.port = "positive";
    expect(diffDocuments(before, after)).toEqual([{ kind: "links", added: 2, removed: 2 }]);
    expect(showDiffValue(undefined)).toBe("—");
    expect(showDiffValue("a cat")).toBe('"a cat"');
    expect(showDiffValue(3)).toBe("3");
  });
});
