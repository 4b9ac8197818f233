import { describe, expect, it } from "vitest";
import { canonicalJson, graphDocumentSchema } from "../../../server/engine/document";
import { doc } from "./stub-nodes";

describe("canonicalJson", () => {
  it("is byte-identical for the same graph whatever the key and list order", () => {
    const a = graphDocumentSchema.parse(
      doc(
        [
          ["c", "stub-constant", { value: 2 }],
          ["s", "stub-sink"],
        ],
        ["c.value->s.x"],
      ),
    );
    const shuffled = JSON.parse(JSON.stringify(a), (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    );
    shuffled.nodes.reverse();
    expect(canonicalJson(graphDocumentSchema.parse(shuffled))).toBe(canonicalJson(a));
  });

  it("changes when a parameter changes", () => {
    const a = graphDocumentSchema.parse(doc([["c", "stub-constant", { value: 2 }]], []));
    const b = graphDocumentSchema.parse(doc([["c", "stub-constant", { value: 3 }]], []));
    expect(canonicalJson(a)).not.toBe(canonicalJson(b));
  });
});
