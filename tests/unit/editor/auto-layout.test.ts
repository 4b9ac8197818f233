import { describe, expect, it } from "vitest";
import { layoutPositions } from "../../../app/_lib/auto-layout";
import type { FlowEdge, FlowNode } from "../../../app/_lib/flow-types";

const node = (id: string, x: number, y: number): FlowNode => ({
  id,
  type: "petal",
  position: { x, y },
  measured: { width: 250, height: 180 },
  data: { type: "x", version: 1, params: {}, mode: "normal" },
});
const edge = (source: string, target: string): FlowEdge => ({ id: `${source}-${target}`, source, target });

describe("auto-layout", () => {
  // The forward-process shape: one source, five rows (t = 0 … 999), each Add Noise → Decode → Save.
  const ts = [0, 250, 500, 750, 999];
  const nodes: FlowNode[] = [node("encode", 0, 400)];
  const edges: FlowEdge[] = [];
  ts.forEach((t, i) => {
    nodes.push(
      node(`noisy${t}`, 600, i * 220),
      node(`decode${t}`, 900, i * 220),
      node(`save${t}`, 1200, i * 220),
    );
    edges.push(edge("encode", `noisy${t}`), edge(`noisy${t}`, `decode${t}`), edge(`decode${t}`, `save${t}`));
  });

  it("keeps the rows in the user's top-to-bottom order in every layer", () => {
    const out = layoutPositions(nodes, edges);
    for (const col of ["noisy", "decode", "save"]) {
      const ys = ts.map((t) => out.get(`${col}${t}`)!.y);
      expect(ys).toEqual([...ys].sort((a, b) => a - b));
    }
    // Rows stay rows: a row's nodes share their y.
    for (const t of ts) expect(out.get(`decode${t}`)!.y).toBe(out.get(`noisy${t}`)!.y);
  });

  it("moves a group frame with the nodes it held, resized around them", () => {
    const frame: FlowNode = {
      id: "group",
      type: "frame",
      position: { x: 580, y: -60 },
      width: 300,
      height: 500,
      data: { title: "t = 0 and 250" },
    };
    const out = layoutPositions([frame, ...nodes], edges);
    const f = out.get("group")!;
    expect(f.width).toBeGreaterThan(0);
    for (const id of ["noisy0", "noisy250"]) {
      const p = out.get(id)!;
      expect(p.x).toBeGreaterThanOrEqual(f.x);
      expect(p.y).toBeGreaterThanOrEqual(f.y);
      expect(p.x + 250).toBeLessThanOrEqual(f.x + f.width!);
      expect(p.y + 180).toBeLessThanOrEqual(f.y + f.height!);
    }
  });
});
