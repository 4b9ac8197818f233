import { describe, expect, it } from "vitest";
import {
  frameAround,
  freeSpot,
  PasteTarget,
  pasteOffset,
  REPEAT_STEP,
  type Rect,
} from "../../../app/_lib/placement";

const overlap = (a: Rect, b: Rect) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe("paste at the pointer", () => {
  it("moves the fragment's top-left corner onto the pointer, keeping its own layout", () => {
    const nodes = [{ position: { x: 100, y: 50 } }, { position: { x: 400, y: 20 } }];
    expect(pasteOffset(nodes, { x: 1000, y: 700 })).toEqual({ x: 900, y: 680 });
  });

  it("a second paste at the same point steps aside instead of stacking exactly; a new point resets", () => {
    const t = new PasteTarget();
    expect(t.next({ x: 10, y: 10 })).toEqual({ x: 10, y: 10 });
    expect(t.next({ x: 10, y: 10 })).toEqual({ x: 10 + REPEAT_STEP, y: 10 + REPEAT_STEP });
    expect(t.next({ x: 11, y: 10 })).toEqual({ x: 11 + 2 * REPEAT_STEP, y: 10 + 2 * REPEAT_STEP });
    expect(t.next({ x: 500, y: 300 })).toEqual({ x: 500, y: 300 });
  });
});

describe("freeSpot (a palette click places the node at the view's centre, not on another node)", () => {
  const size = { width: 240, height: 200 };

  it("keeps the desired spot when it is free", () => {
    expect(freeSpot({ x: 0, y: 0 }, size, [{ x: 600, y: 600, width: 240, height: 200 }])).toEqual({
      x: 0,
      y: 0,
    });
  });

  it("ten clicks at the same centre give ten nodes that do not overlap", () => {
    const taken: Rect[] = [];
    for (let i = 0; i < 10; i++) {
      const p = freeSpot({ x: 100, y: 100 }, size, taken);
      const box = { ...p, ...size };
      for (const r of taken) expect(overlap(box, r)).toBe(false);
      taken.push(box);
    }
    // The first stays at the centre; the others are near it (within a few boxes).
    expect(taken[0]).toMatchObject({ x: 100, y: 100 });
    for (const r of taken) expect(Math.hypot(r.x - 100, r.y - 100)).toBeLessThan(4 * 264);
  });
});

describe("freeSpot within the visible canvas", () => {
  it("prefers a free spot on screen to a nearer one off screen", () => {
    const size = { width: 240, height: 200 };
    const view = { x: 0, y: 0, width: 800, height: 800 };
    // The centre is taken; left of it is off screen, so the spot goes right or below instead.
    const p = freeSpot({ x: 100, y: 100 }, size, [{ x: 100, y: 100, ...size }], 24, view);
    expect(p.x).toBeGreaterThanOrEqual(0);
    expect(p.y).toBeGreaterThanOrEqual(0);
    expect(p.x + size.width).toBeLessThanOrEqual(800);
  });
});

describe("a frame around the selection", () => {
  it("pads every side and leaves room above for the title; nothing selected, no frame", () => {
    const boxes: Rect[] = [
      { x: 100, y: 200, width: 250, height: 150 },
      { x: 500, y: 120, width: 100, height: 400 },
    ];
    expect(frameAround(boxes)).toEqual({ x: 80, y: 70, width: 540, height: 470 });
    expect(frameAround([])).toBeNull();
  });
});
