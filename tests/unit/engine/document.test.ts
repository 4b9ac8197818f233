import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  documentBytes,
  graphDocumentSchema,
  storedJson,
  tooDeepAt,
} from "../../../core/graph/document";
import { bindAddress, isLoopback } from "../../../server/env";
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

describe("hostile nesting", () => {
  /** `{ a: { a: … } }` nested `depth` levels. */
  const nested = (depth: number) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };

  it("canonical JSON refuses a value nested too deep with a sentence, not a stack overflow", () => {
    const d = graphDocumentSchema.parse(doc([["c", "stub-constant", { value: 2 }]], []));
    for (const depth of [100, 2_250, 50_000]) {
      const hostile = { ...d, metadata: { x: nested(depth) } };
      expect(() => storedJson(hostile)).toThrow(/nested more than 64 levels deep/);
      expect(() => canonicalJson(hostile)).toThrow(/nested more than 64 levels deep/);
    }
  });

  it("the schema bounds params and metadata at 16 levels and names the path", () => {
    const ok = doc([["c", "stub-constant", { value: 2 }]], []);
    expect(graphDocumentSchema.safeParse({ ...ok, metadata: { x: nested(16) } }).success).toBe(true);
    const bad = graphDocumentSchema.safeParse({ ...ok, metadata: { x: nested(17) } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path.slice(0, 3)).toEqual(["metadata", "x", "a"]);
    expect(bad.error?.issues[0].message).toMatch(/nested more than 16 levels deep/);
    const big = graphDocumentSchema.safeParse({ ...ok, metadata: { x: "y".repeat(70_000) } });
    expect(big.error?.issues[0].message).toMatch(/metadata is \d+ bytes; at most 65536/);
  });

  it("tooDeepAt walks 100 000 levels without recursion; documentBytes counts UTF-8 bytes", () => {
    expect(tooDeepAt(nested(100_000), 16)).toHaveLength(16);
    expect(tooDeepAt([[[1]]], 3)).toBeNull();
    expect(tooDeepAt([[[[1]]]], 3)).toEqual([0, 0, 0]);
    expect(documentBytes({ t: "é" })).toBe(JSON.stringify({ t: "é" }).length + 1);
    expect(() => documentBytes(nested(10_000))).toThrow(/nested more than 32 levels deep \(at a\.a\.a/);
  });

  it("stored JSON is compact and the same canonical value as the indented form", () => {
    const d = graphDocumentSchema.parse(doc([["c", "stub-constant", { value: 2 }]], []));
    expect(storedJson(d)).not.toContain("\n");
    expect(JSON.parse(storedJson(d))).toEqual(JSON.parse(canonicalJson(d)));
  });
});

describe("bindAddress", () => {
  it("passes [::1] to listen() as ::1 (it passed the loopback check, then failed to bind)", () => {
    expect(isLoopback("[::1]")).toBe(true);
    expect(bindAddress("[::1]")).toBe("::1");
    expect(bindAddress("::1")).toBe("::1");
    expect(bindAddress("127.0.0.1")).toBe("127.0.0.1");
  });
});
