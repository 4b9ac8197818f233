/**
 * Where new things land on the canvas: a paste at the pointer (its fragment's top-left there, as in
 * ComfyUI), repeated pastes at the same point stepped aside, and a node added from the palette at the
 * view's centre but never on top of another node.
 */
export interface Point {
  x: number;
  y: number;
}
export interface Rect extends Point {
  width: number;
  height: number;
}

/** The offset that moves a fragment's top-left corner onto `at`. */
export function pasteOffset(nodes: readonly { position: Point }[], at: Point): Point {
  if (nodes.length === 0) return { x: 0, y: 0 };
  const minX = Math.min(...nodes.map((n) => n.position.x));
  const minY = Math.min(...nodes.map((n) => n.position.y));
  return { x: at.x - minX, y: at.y - minY };
}

/** Each paste at the same point as the previous one moves this much further down and right. */
export const REPEAT_STEP = 32;

/**
 * Remembers where the last paste went: pasting twice without moving the pointer puts the second copy
 * REPEAT_STEP further, instead of exactly on the first.
 */
export class PasteTarget {
  private last: Point | null = null;
  private repeats = 0;

  next(at: Point): Point {
    const same = this.last && Math.abs(this.last.x - at.x) < 4 && Math.abs(this.last.y - at.y) < 4;
    this.repeats = same ? this.repeats + 1 : 0;
    this.last = at;
    return { x: at.x + this.repeats * REPEAT_STEP, y: at.y + this.repeats * REPEAT_STEP };
  }
}

function intersects(a: Rect, b: Rect, gap: number): boolean {
  return (
    a.x < b.x + b.width + gap &&
    b.x < a.x + a.width + gap &&
    a.y < b.y + b.height + gap &&
    b.y < a.y + a.height + gap
  );
}

/**
 * The free spot nearest to `desired` (a node's top-left) for a box of `size`, `gap` away from every
 * rect in `taken`. Candidates are on a grid of the box's size around `desired`, nearest first; with
 * `within` (the visible part of the canvas), spots inside it come first.
 */
export function freeSpot(
  desired: Point,
  size: { width: number; height: number },
  taken: readonly Rect[],
  gap = 24,
  within?: Rect,
): Point {
  const stepX = size.width + gap;
  const stepY = Math.max(40, Math.round(size.height / 2));
  const fits = (p: Point) => !taken.some((r) => intersects({ ...p, ...size }, r, gap));
  if (fits(desired)) return desired;
  const inside = (p: Point) =>
    !within ||
    (p.x >= within.x &&
      p.y >= within.y &&
      p.x + size.width <= within.x + within.width &&
      p.y + size.height <= within.y + within.height);
  const all: Point[] = [];
  for (let ring = 1; ring <= 30; ring++) {
    const candidates: Point[] = [];
    for (let i = -ring; i <= ring; i++)
      for (let j = -ring; j <= ring; j++) {
        if (Math.max(Math.abs(i), Math.abs(j)) !== ring) continue;
        candidates.push({ x: desired.x + i * stepX, y: desired.y + j * stepY });
      }
    candidates.sort(
      (a, b) => Math.hypot(a.x - desired.x, a.y - desired.y) - Math.hypot(b.x - desired.x, b.y - desired.y),
    );
    const free = candidates.find((p) => inside(p) && fits(p));
    if (free) return free;
    all.push(...candidates);
  }
  return all.find(fits) ?? desired;
}

/** The frame that groups `boxes`: `pad` around them, with room above for the frame's title. */
export function frameAround(boxes: readonly Rect[], pad = 20, title = 30): Rect | null {
  if (boxes.length === 0) return null;
  const x = Math.min(...boxes.map((b) => b.x)) - pad;
  const y = Math.min(...boxes.map((b) => b.y)) - pad - title;
  const right = Math.max(...boxes.map((b) => b.x + b.width)) + pad;
  const bottom = Math.max(...boxes.map((b) => b.y + b.height)) + pad;
  return { x, y, width: right - x, height: bottom - y };
}
