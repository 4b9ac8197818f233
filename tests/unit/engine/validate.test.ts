import { describe, expect, it } from "vitest";
import { LIMITS } from "../../../core/graph/document";
import { validateDocument } from "../../../core/graph/validate";
import { defineNode } from "../../../core/node/define";
import { doc, stubRegistry } from "./stub-nodes";

const validate = (d: unknown) => validateDocument(d, stubRegistry);
const codes = (d: unknown) => validate(d).errors.map((e) => `${e.code}@${e.nodeId ?? ""}.${e.field ?? ""}`);

describe("validateDocument", () => {
  it("accepts a well-formed graph and fills defaults", () => {
    const r = validate(
      doc(
        [
          ["c", "stub-constant"],
          ["s", "stub-sink"],
        ],
        ["c.value->s.x"],
      ),
    );
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.document?.nodes.find((n) => n.id === "c")?.params).toEqual({ value: 1 });
  });

  it("reports an unknown node type on that node", () => {
    expect(
      codes(
        doc(
          [
            ["x", "no-such-node"],
            ["s", "stub-sink"],
            ["c", "stub-constant"],
          ],
          ["c.value->s.x"],
        ),
      ),
    ).toEqual(["unknown_node_type@x.type"]);
  });

  it("reports a node version newer than the server's", () => {
    const d = doc(
      [
        ["c", "stub-constant"],
        ["s", "stub-sink"],
      ],
      ["c.value->s.x"],
    );
    d.nodes[0].version = 9;
    expect(codes(d)).toEqual(["unknown_node_version@c.version"]);
  });

  it("migrates an older node version's parameters", () => {
    const d = doc(
      [
        ["c", "stub-constant"],
        ["a", "stub-add", { bias: 3 }],
        ["s", "stub-sink"],
      ],
      ["c.value->a.a", "a.sum->s.x"],
    );
    d.nodes[1].version = 1;
    const r = validate(d);
    expect(r.ok).toBe(true);
    const a = r.document!.nodes.find((n) => n.id === "a")!;
    expect(a.version).toBe(2);
    expect(a.params).toEqual({ offset: 3 });
  });

  it("reports a missing required input, and not a missing optional one", () => {
    expect(
      codes(
        doc(
          [
            ["a", "stub-add"],
            ["s", "stub-sink"],
          ],
          ["a.sum->s.x"],
        ),
      ),
    ).toEqual(["missing_input@a.a"]);
  });

  it("reports a type mismatch on the input it concerns", () => {
    expect(
      codes(
        doc(
          [
            ["t", "stub-text"],
            ["s", "stub-sink"],
          ],
          ["t.text->s.x"],
        ),
      ),
    ).toEqual(["type_mismatch@s.x"]);
  });

  it("names every node of a cycle", () => {
    const r = validate(
      doc(
        [
          ["c", "stub-constant"],
          ["a", "stub-add"],
          ["n", "stub-negate"],
          ["s", "stub-sink"],
        ],
        ["c.value->a.b", "n.y->a.a", "a.sum->n.x", "n.y->s.x"],
      ),
    );
    const cyc = r.errors.filter((e) => e.code === "cycle");
    expect(cyc.map((e) => e.nodeId).sort()).toEqual(["a", "n"]);
    expect(cyc[0].message).toContain('"a"');
    expect(cyc[0].message).toContain('"n"');
  });

  it("reports more than one link into an input", () => {
    expect(
      codes(
        doc(
          [
            ["c", "stub-constant"],
            ["d", "stub-constant"],
            ["s", "stub-sink"],
          ],
          ["c.value->s.x", "d.value->s.x"],
        ),
      ),
    ).toEqual(["multiple_links@s.x"]);
  });

  it("reports a dangling edge and an unknown port", () => {
    expect(
      codes(
        doc(
          [
            ["c", "stub-constant"],
            ["s", "stub-sink"],
          ],
          ["c.value->s.x", "ghost.value->s.x"],
        ),
      ),
    ).toContain("dangling_edge@s.x");
    expect(
      codes(
        doc(
          [
            ["c", "stub-constant"],
            ["s", "stub-sink"],
          ],
          ["c.nope->s.x"],
        ),
      ),
    ).toEqual(["unknown_port@c.nope", "missing_input@s.x"]);
  });

  it("reports a widget that cannot take a link", () => {
    expect(
      codes(
        doc(
          [
            ["c", "stub-constant"],
            ["d", "stub-constant"],
            ["s", "stub-sink"],
          ],
          ["c.value->s.x", "c.value->d.value"],
        ),
      ),
    ).toEqual(["unknown_port@d.value"]);
  });

  it("reports parameters out of bounds or of the wrong type, by field", () => {
    const r = validate(
      doc(
        [
          ["c", "stub-constant", { value: 1000 }],
          ["a", "stub-add", { offset: "1.5" }],
          ["t", "stub-seed", { seed: -1 }],
          ["s", "stub-sink"],
        ],
        ["c.value->a.a", "a.sum->s.x"],
      ),
    );
    expect(r.errors.map((e) => `${e.nodeId}.${e.field}`).sort()).toEqual(["a.offset", "c.value", "t.seed"]);
    expect(r.byNode.c[0].message).toMatch(/between -100 and 100/);
  });

  it("accepts seeds up to 2^64−1 written as strings, and rejects 2^64", () => {
    const ok = validate(
      doc(
        [
          ["t", "stub-seed", { seed: "18446744073709551615" }],
          ["s", "stub-sink"],
        ],
        ["t.value->s.x"],
      ),
    );
    expect(ok.ok).toBe(true);
    expect(
      codes(
        doc(
          [
            ["t", "stub-seed", { seed: "18446744073709551616" }],
            ["s", "stub-sink"],
          ],
          ["t.value->s.x"],
        ),
      ),
    ).toEqual(["param_invalid@t.seed"]);
  });

  it("does not check a widget that is fed by a link", () => {
    const r = validate(
      doc(
        [
          ["c", "stub-constant"],
          ["a", "stub-add", { offset: 99 }],
          ["s", "stub-sink"],
        ],
        ["c.value->a.a", "c.value->a.offset", "a.sum->s.x"],
      ),
    );
    expect(r.errors).toEqual([]);
  });

  it("reports duplicate node ids", () => {
    expect(
      codes(
        doc(
          [
            ["c", "stub-constant"],
            ["c", "stub-constant"],
            ["s", "stub-sink"],
          ],
          ["c.value->s.x"],
        ),
      ),
    ).toEqual(["duplicate_id@c.id"]);
  });

  it("requires an active output node", () => {
    expect(codes(doc([["c", "stub-constant"]], []))).toEqual(["no_output@.nodes"]);
    expect(
      codes(
        doc(
          [
            ["c", "stub-constant"],
            ["s", "stub-sink", {}, "mute"],
          ],
          ["c.value->s.x"],
        ),
      ),
    ).toEqual(["no_output@.nodes"]);
  });

  it("enforces the size limits", () => {
    const big = doc(
      Array.from({ length: LIMITS.maxNodes + 1 }, (_, i) => [`n${i}`, "stub-constant"] as [string, string]),
      [],
    );
    expect(codes(big)).toEqual(["too_large@.nodes"]);
    const huge = doc([["t", "stub-text", { text: "x".repeat(LIMITS.maxDocumentBytes) }]], []);
    expect(codes(huge)).toEqual(["too_large@.document"]);
  });

  it("reports structural problems item by item, naming the node", () => {
    const d = doc(
      [
        ["c", "stub-constant"],
        ["s", "stub-sink"],
      ],
      ["c.value->s.x"],
    ) as Record<string, unknown>;
    (d.nodes as Record<string, unknown>[])[0].position = { x: "left" };
    const r = validate(d);
    expect(r.errors[0]).toMatchObject({ code: "invalid_node", nodeId: "c", field: "position.x" });
  });

  it("rejects documents of another format", () => {
    expect(codes({ format: "comfy", formatVersion: 1, nodes: [], edges: [] })).toContain(
      "invalid_document@.format",
    );
    expect(codes("{not json")).toEqual(["invalid_document@.document"]);
    expect(codes(null)).toEqual(["invalid_document@.document"]);
  });
});

describe("defineNode", () => {
  it("fails loudly, naming the node, on duplicate ports, unknown socket types and defaults out of bounds", () => {
    expect(() =>
      defineNode({
        id: "bad-node",
        version: 1,
        title: "Bad",
        category: "t",
        description: "",
        inputs: { x: { type: "FLOAT" }, y: { type: "PIXELS" as "FLOAT" } },
        widgets: { x: { kind: "int", default: 50, min: 0, max: 10, description: "d" } },
        outputs: {},
      }),
    ).toThrow(
      /"bad-node".*unknown socket type "PIXELS".*same name as an input.*default must be between 0 and 10/,
    );
  });
});

describe("validation fuzz", () => {
  // A tiny deterministic PRNG so failures reproduce.
  let state = 12345;
  const rand = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const junk = (): unknown =>
    pick<() => unknown>([
      () => null,
      () => rand() * 1e12 - 5e11,
      () => "x".repeat(Math.floor(rand() * 300)),
      () => [junk()],
      () => ({ [pick(["id", "type", "node", "port", "x"])]: junk() }),
      () => true,
      () => Number.NaN,
      () => -1,
      () => "18446744073709551616",
    ])();
  const base = () =>
    doc(
      [
        ["c", "stub-constant"],
        ["a", "stub-add"],
        ["t", "stub-seed"],
        ["s", "stub-sink"],
      ],
      ["c.value->a.a", "t.value->a.b", "a.sum->s.x"],
    );

  function mutate(value: unknown, depth = 0): unknown {
    if (Array.isArray(value)) {
      const arr = value.map((v) => (rand() < 0.3 ? mutate(v, depth + 1) : v));
      if (rand() < 0.2) arr.push(junk());
      if (rand() < 0.2) arr.splice(Math.floor(rand() * arr.length), 1);
      if (rand() < 0.1 && arr.length) arr.push(arr[0]);
      return arr;
    }
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const k of Object.keys(out)) {
        const r = rand();
        if (r < 0.1) delete out[k];
        else if (r < 0.2) out[k] = junk();
        else if (r < 0.5) out[k] = mutate(out[k], depth + 1);
      }
      return out;
    }
    return rand() < 0.5 ? junk() : value;
  }

  it("never throws on 600 mutated documents and 200 random JSON values, and always names a node or field", () => {
    const inputs: unknown[] = [];
    for (let i = 0; i < 600; i++) inputs.push(mutate(base()));
    for (let i = 0; i < 200; i++) inputs.push(junk());
    let invalid = 0;
    for (const input of inputs) {
      const r = validate(input);
      if (!r.ok) invalid++;
      for (const e of r.errors) {
        expect(e.nodeId ?? e.field, JSON.stringify(e)).toBeTruthy();
        expect(e.message.length).toBeGreaterThan(3);
      }
    }
    expect(invalid).toBeGreaterThan(500); // the mutations really do break documents
  });
});
