/** The editor's document store: undo steps (typing coalesced by field and time), links, seed moves. */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EditorStore } from "../../../app/_lib/editor-store";
import { canonicalJson, graphDocumentSchema } from "../../../core/graph/document";

const txt2img = () => graphDocumentSchema.parse(JSON.parse(readFileSync("examples/txt2img.json", "utf8")));
const param = (s: EditorStore, id: string, key: string) =>
  s.toDocument().nodes.find((n) => n.id === id)?.params[key];

describe("EditorStore undo", () => {
  // The coalescing window reads Date.now(): a fake clock makes the timing exact, not machine-dependent.
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("typing into one field within a second is one undo step; a pause or another field starts a new one", () => {
    const s = new EditorStore(txt2img());
    const original = param(s, "positive", "text");
    for (const text of ["a", "a c", "a ca", "a cat"]) {
      s.setParam("positive", "text", text);
      vi.advanceTimersByTime(300);
    }
    vi.advanceTimersByTime(1500);
    s.setParam("positive", "text", "a cat!");
    s.setParam("schedule", "steps", 12);
    expect(param(s, "schedule", "steps")).toBe(12);
    s.undo(); // the steps
    expect(param(s, "schedule", "steps")).not.toBe(12);
    expect(param(s, "positive", "text")).toBe("a cat!");
    s.undo(); // the "!" after the pause
    expect(param(s, "positive", "text")).toBe("a cat");
    s.undo(); // the whole burst of typing
    expect(param(s, "positive", "text")).toBe(original);
    expect(s.getState().canUndo).toBe(false);
    s.redo();
    expect(param(s, "positive", "text")).toBe("a cat");
  });

  it("an undo between two edits of the same field keeps them apart", () => {
    const s = new EditorStore(txt2img());
    s.setParam("schedule", "steps", 10);
    s.undo();
    s.setParam("schedule", "steps", 11);
    s.setParam("schedule", "steps", 12);
    s.undo();
    expect(param(s, "schedule", "steps")).toBe(25);
    expect(s.getState().canRedo).toBe(true);
  });

  it("a new edit after undo drops the redo branch", () => {
    const s = new EditorStore(txt2img());
    s.setName("one");
    s.undo();
    vi.advanceTimersByTime(2000);
    s.setName("two");
    expect(s.getState().canRedo).toBe(false);
  });

  it("seed moves after a run are no undo step and are marked as not a user edit", () => {
    const s = new EditorStore(txt2img());
    const before = s.getState().revision;
    s.moveSeeds([{ nodeId: "noise", key: "seed", value: 77 }]);
    expect(param(s, "noise", "seed")).toBe(77);
    expect(s.getState().canUndo).toBe(false);
    expect(s.seedMoveRevision).toBe(before + 1);
    expect(s.getState().revision).toBe(before + 1);
  });

  it("load(resetHistory: false) is one Ctrl+Z from the graph it replaced", () => {
    const first = txt2img();
    const s = new EditorStore(first);
    const other = txt2img();
    other.name = "Other";
    s.load(other, { resetHistory: false });
    expect(s.toDocument().name).toBe("Other");
    s.undo();
    expect(canonicalJson(s.toDocument())).toBe(canonicalJson(first));
  });
});

describe("EditorStore links", () => {
  it("a new link into a taken input replaces the old one; a refused link changes nothing", () => {
    const s = new EditorStore(txt2img());
    s.addNode("noise", { x: 0, y: 0 });
    const added = s.getState().nodes.find((n) => n.type === "petal" && n.selected)!;
    const into = () => s.getState().edges.filter((e) => e.target === "sampler" && e.targetHandle === "noise");
    expect(into().map((e) => e.source)).toEqual(["noise"]);
    expect(
      s.connect({ source: added.id, sourceHandle: "noise", target: "sampler", targetHandle: "noise" }).ok,
    ).toBe(true);
    expect(into().map((e) => e.source)).toEqual([added.id]);
    const edges = s.getState().edges;
    const r = s.connect({ source: "model", sourceHandle: "vae", target: "sampler", targetHandle: "noise" });
    expect(r.ok).toBe(false);
    expect(s.getState().edges).toBe(edges);
  });
});
