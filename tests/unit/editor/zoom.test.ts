import { describe, expect, it } from "vitest";
import { estimatedFit, FAR_OUT_ZOOM, widgetsHeight } from "../../../app/_components/canvas/zoom";
import { registry } from "../../../nodes/registry";

describe("estimatedFit (the viewport a graph opens at, before its nodes are measured)", () => {
  const screen = { width: 1000, height: 600 };
  const size = { width: 250, height: 250 };

  it("centres the bounding box of the nodes and fits it with the padding", () => {
    // Nodes span x 0…1250, y 0…650 (with their 250×250 size): width limits the zoom.
    const v = estimatedFit(
      [
        { x: 0, y: 0 },
        { x: 1000, y: 400 },
      ],
      screen,
      { nodeSize: size, padding: 0.25 },
    );
    expect(v.zoom).toBeCloseTo(1000 / (1250 * 1.25), 10);
    // The box's centre (625, 325) lands on the screen's centre (500, 300).
    expect(v.x + 625 * v.zoom).toBeCloseTo(500, 10);
    expect(v.y + 325 * v.zoom).toBeCloseTo(300, 10);
  });

  it("is limited by the height when the graph is tall", () => {
    const v = estimatedFit(
      [
        { x: 0, y: 0 },
        { x: 0, y: 2750 },
      ],
      screen,
      { nodeSize: size, padding: 0 },
    );
    expect(v.zoom).toBeCloseTo(600 / 3000, 10);
  });

  it("clamps the zoom to [minZoom, maxZoom]", () => {
    expect(estimatedFit([{ x: 0, y: 0 }], screen, { nodeSize: size, maxZoom: 1 }).zoom).toBe(1);
    const huge = Array.from({ length: 200 }, (_, i) => ({ x: i * 2000, y: 0 }));
    expect(estimatedFit(huge, screen, { nodeSize: size, minZoom: 0.1 }).zoom).toBe(0.1);
  });

  it("returns the identity viewport for no nodes or no screen", () => {
    expect(estimatedFit([], screen)).toEqual({ x: 0, y: 0, zoom: 1 });
    expect(estimatedFit([{ x: 5, y: 5 }], { width: 0, height: 600 })).toEqual({ x: 0, y: 0, zoom: 1 });
  });

  it("opens a 500-node bench-sized graph (6 × 1100 wide) far out, a 3-node graph near", () => {
    const grid = Array.from({ length: 50 }, (_, k) => ({
      x: (k % 6) * 1100 + 800,
      y: Math.floor(k / 6) * 610 + 300,
    }));
    expect(estimatedFit(grid, { width: 768, height: 680 }).zoom).toBeLessThan(FAR_OUT_ZOOM);
    const small = [
      { x: 0, y: 0 },
      { x: 300, y: 0 },
      { x: 600, y: 100 },
    ];
    expect(estimatedFit(small, { width: 768, height: 680 }).zoom).toBeGreaterThan(FAR_OUT_ZOOM);
  });
});

describe("widgetsHeight (the far-out placeholder for a node's widget rows)", () => {
  it("grows with the rows and counts a prompt as a tall row", () => {
    const te = registry.get("text-encoder")!;
    const noise = registry.get("noise")!;
    expect(widgetsHeight(te)).toBeGreaterThan(8);
    const rows = (id: string) => Object.keys(registry.get(id)!.widgets).length;
    expect(widgetsHeight(noise)).toBeGreaterThanOrEqual(8 + rows("noise") * 20);
    expect(widgetsHeight(te)).toBeGreaterThan(8 + rows("text-encoder") * 26);
  });
});
