/**
 * Clicks as a person can: at the target's centre, and only after checking that the element under
 * that point (document.elementFromPoint) is the target or inside it — Playwright's own click() would
 * scroll to and force its way onto elements a person cannot reach.
 */
import { expect, type Locator, type Page } from "@playwright/test";

/** The target's centre, after checking that nothing covers it there. */
export async function reachable(target: Locator): Promise<{ x: number; y: number }> {
  await expect(target).toBeVisible();
  const box = (await target.boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const hit = await target.evaluate(
    (el, [px, py]) => {
      const top = document.elementFromPoint(px, py);
      return top
        ? { ok: el === top || el.contains(top), top: top.outerHTML.slice(0, 120) }
        : { ok: false, top: "" };
    },
    [x, y] as const,
  );
  expect(hit.ok, `something else is on top at (${x}, ${y}): ${hit.top}`).toBe(true);
  return { x, y };
}

export async function pointerClick(page: Page, target: Locator) {
  const { x, y } = await reachable(target);
  await page.mouse.click(x, y);
}
