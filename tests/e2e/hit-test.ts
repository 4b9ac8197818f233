/**
 * Clicking like a person: a Playwright `click()` scrolls and forces its way to an element that a person
 * may not reach (under a menu, the minimap, another node). These helpers first check that
 * `document.elementFromPoint` at the click point is the target (or inside it), then click there.
 */
import { expect, type Locator, type Page } from "@playwright/test";
import { hitTest } from "./pointer";

/** null when the pointer at (x, y) would hit `target` (or inside it), else what it would hit. */
async function hits(target: Locator, x: number, y: number): Promise<string | null> {
  const hit = await hitTest(target, x, y);
  return hit.ok ? null : `the point (${x}, ${y}) is covered by ${hit.found}`;
}

/** The point a person would click on `target` (its centre, or `offset` from its top-left). */
export async function pointOn(target: Locator, offset?: { x: number; y: number }) {
  await expect(target).toBeVisible();
  const box = (await target.boundingBox())!;
  return offset
    ? { x: box.x + offset.x, y: box.y + offset.y }
    : { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Asserts that `target` is what the pointer would hit at `point` (default: its centre). */
export async function expectHittable(target: Locator, point?: { x: number; y: number }) {
  const p = point ?? (await pointOn(target));
  await expect.poll(() => hits(target, p.x, p.y), { timeout: 15_000 }).toBeNull();
  return p;
}

/** Clicks `target` with the mouse after checking that the pointer reaches it. */
export async function clickLikeAPerson(
  page: Page,
  target: Locator,
  opts: { button?: "left" | "right"; offset?: { x: number; y: number }; modifiers?: string[] } = {},
) {
  const p = await expectHittable(target, opts.offset ? await pointOn(target, opts.offset) : undefined);
  for (const m of opts.modifiers ?? []) await page.keyboard.down(m);
  await page.mouse.click(p.x, p.y, { button: opts.button ?? "left" });
  for (const m of opts.modifiers ?? []) await page.keyboard.up(m);
  return p;
}

/** Right-clicks (context menu) at a point of the empty canvas, checking the pane is what is there. */
export async function contextClickPane(page: Page, x: number, y: number) {
  const pane = page.locator(".react-flow__pane");
  await expect.poll(() => hits(pane, x, y), { timeout: 15_000 }).toBeNull();
  await page.mouse.click(x, y, { button: "right" });
}

/** Screen boxes of the rendered graph nodes and notes (group frames hold nodes by design: not counted). */
export async function renderedNodeBoxes(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".react-flow__node:not(.react-flow__node-frame)")].map((el) => {
      const r = el.getBoundingClientRect();
      return {
        id: el.getAttribute("data-id") ?? "",
        x: r.left,
        y: r.top,
        width: r.width,
        height: r.height,
      };
    }),
  );
}

/** Pairs of boxes that intersect (touching edges do not count). */
export function overlaps<T extends { id: string; x: number; y: number; width: number; height: number }>(
  boxes: readonly T[],
): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      if (w > 0.5 && h > 0.5) out.push(`${a.id} × ${b.id}`);
    }
  return out;
}
