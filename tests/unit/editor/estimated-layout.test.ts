import { describe, expect, it } from "vitest";
import { estimatedSize, NodeEstimates } from "../../../app/_components/canvas/estimated-layout";
import { layoutPositions } from "../../../app/_lib/auto-layout";
import type { FlowNode } from "../../../app/_lib/flow-types";

const petal = (id: string, type: string, extra: Partial<FlowNode> = {}): FlowNode =>
  ({
    id,
    type: "petal",
    position: { x: 0, y: 0 },
    data: { type, version: 1, params: {}, mode: "normal" },
    ...extra,
  }) as FlowNode;

/**
 * Sizes and handle boxes (flow px, relative to the node's top-left) read from Chromium's layout of the
 * editor (headless Debian chromium, 2026-12-02): the reference the estimates must meet.
 */
const BROWSER = {
  "vae-decode": {
    height: 78.4,
    handles: { "T:vae": [-7, 36.2], "S:image": [245, 36.2], "T:latent": [-7, 57.0] },
  },
  "model-loader": {
    height: 134.2,
    handles: { "S:textEncoder": [245, 36.2], "S:unet": [245, 57.0], "S:vae": [245, 77.8] },
  },
  "unet-step": {
    height: 323.8,
    handles: {
      "T:unet": [-7, 36.2],
      "T:schedule": [-7, 140.2],
      "S:latent": [245, 36.2],
      "T:cfg": [-3.5, 172.5],
      "T:denoise": [-3.5, 199.3],
    },
  },
  "text-encoder": { height: 172.6, handles: { "T:textEncoder": [-7, 36.2], "T:text": [-3.5, 94.7] } },
  scheduler: { height: 451.6, handles: { "S:schedule": [245, 36.2], "T:steps": [-3.5, 94.5] } },
} as const;

describe("estimated node layout", () => {
  for (const [type, ref] of Object.entries(BROWSER))
    it(`${type}: handles within 2.5 px and height within 8 px of the browser's layout`, () => {
      const [node] = new NodeEstimates().apply([petal("a", type)]);
      const handles = new Map(
        (node.handles ?? []).map((h) => [`${h.type === "source" ? "S" : "T"}:${h.id}`, h]),
      );
      for (const [key, [x, y]] of Object.entries(ref.handles)) {
        const h = handles.get(key);
        expect(h, key).toBeDefined();
        expect(Math.abs(h!.x - x), `${key} x`).toBeLessThan(0.6);
        expect(Math.abs(h!.y - y), `${key} y`).toBeLessThan(2.5);
      }
      expect(Math.abs((node.measured?.height ?? 0) - ref.height)).toBeLessThan(8);
      expect(node.measured?.width).toBe(250);
      // Never a whole pixel, as the browser's offsetHeight is: React Flow then always reports the real one.
      expect(Number.isInteger(node.measured?.height)).toBe(false);
    });

  it("adds estimates only to nodes never measured, keeping every other node the same object", () => {
    const est = new NodeEstimates();
    const measured = petal("m", "vae-decode", { measured: { width: 250, height: 78 } });
    const fresh = petal("f", "vae-decode");
    const note = { id: "n", type: "note", position: { x: 0, y: 0 }, data: { text: "" } } as FlowNode;
    const unknown = petal("u", "no-such-type");
    const input = [measured, fresh, note, unknown];
    const out = est.apply(input);
    expect(out[0]).toBe(measured);
    expect(out[2]).toBe(note);
    expect(out[3]).toBe(unknown);
    expect(out[1]).not.toBe(fresh);
    expect(out[1].handles?.length).toBe(3);
    // The same node object gets the same estimated object (React Flow skips unchanged nodes).
    expect(est.apply([measured, fresh, note, unknown])[1]).toBe(out[1]);
    // All measured: the array itself is handed back.
    const all = [measured, note];
    expect(est.apply(all)).toBe(all);
  });

  it("leaves a node React Flow measured once to be measured again when it comes back unmeasured", () => {
    const est = new NodeEstimates();
    est.apply([petal("a", "vae-decode", { measured: { width: 250, height: 78 } })]);
    const reloaded = petal("a", "vae-decode");
    expect(est.apply([reloaded])[0]).toBe(reloaded);
  });

  it("auto-layout spaces nodes never drawn by their declared size, not a 160 px guess", () => {
    expect(estimatedSize("scheduler")!.height).toBeGreaterThan(400);
    // Two Schedulers feeding one U-Net step land in one layer: stacked, they must not overlap.
    const nodes = [petal("s1", "scheduler"), petal("s2", "scheduler"), petal("u", "unet-step")];
    nodes[1].position = { x: 0, y: 10 };
    const out = layoutPositions(nodes, [
      { id: "e1", source: "s1", target: "u" },
      { id: "e2", source: "s2", target: "u" },
    ]);
    const gap = Math.abs(out.get("s2")!.y - out.get("s1")!.y);
    expect(gap).toBeGreaterThanOrEqual(estimatedSize("scheduler")!.height);
  });
});
