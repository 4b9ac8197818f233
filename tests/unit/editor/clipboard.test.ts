/**
 * Copy/paste fragments: the system clipboard's text wins; the copy kept in localStorage serves a paste
 * in another tab only when the clipboard holds nothing (Node 20 has no localStorage: a Map stands in).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeFragment, encodeFragment, fragmentToPaste } from "../../../app/_lib/clipboard";
import type { FlowNode } from "../../../app/_lib/flow-types";

const node = (id: string) =>
  ({ id, type: "note", position: { x: 0, y: 0 }, data: { text: id } }) as unknown as FlowNode;

describe("clipboard fragments", () => {
  const store = new Map<string, string>();
  beforeEach(() => {
    store.clear();
    (globalThis as { localStorage?: unknown }).localStorage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    };
  });
  afterEach(() => {
    delete (globalThis as { localStorage?: unknown }).localStorage;
  });

  it("round-trips a fragment through its text, and refuses other JSON or text", () => {
    const text = encodeFragment({ nodes: [node("a")], edges: [] });
    expect(decodeFragment(text)?.nodes.map((n) => n.id)).toEqual(["a"]);
    expect(decodeFragment('{"nodes":[],"edges":[]}')).toBeNull(); // no format mark
    expect(decodeFragment('{"format":"petalflow.fragment","nodes":{}}')).toBeNull();
    expect(decodeFragment("not json")).toBeNull();
    expect(decodeFragment(null)).toBeNull();
  });

  it("pastes the clipboard's fragment; the stored copy only when the clipboard is empty, never over other text", () => {
    encodeFragment({ nodes: [node("stored")], edges: [] });
    const other = JSON.stringify({ format: "petalflow.fragment", nodes: [node("clip")], edges: [] });
    expect(fragmentToPaste(other)?.nodes[0].id).toBe("clip");
    expect(fragmentToPaste("")?.nodes[0].id).toBe("stored");
    expect(fragmentToPaste(null)?.nodes[0].id).toBe("stored");
    expect(fragmentToPaste("some words the user copied since")).toBeNull();
  });

  it("copying still works where storage is unavailable", () => {
    delete (globalThis as { localStorage?: unknown }).localStorage;
    const text = encodeFragment({ nodes: [node("a")], edges: [] });
    expect(decodeFragment(text)?.nodes).toHaveLength(1);
    expect(fragmentToPaste(null)).toBeNull();
  });
});
