/**
 * Clicking as a person does. Playwright's `click()` scrolls the element into view and waits for it to
 * take pointer events, so it reaches things a person cannot (e.g. a menu item clipped by its toolbar,
 * under which the canvas takes the click). `clickAsPerson` scrolls nothing: it takes the element's
 * centre on screen as it is, checks that `document.elementFromPoint` there is the element (or inside
 * it), and only then presses the mouse there.
 */
import { expect, type Locator, type Page } from "@playwright/test";

interface Options {
  button?: "left" | "right" | "middle";
  clickCount?: number;
  /** How long the element may take to be visible and uncovered (it may still be animating in). */
  timeout?: number;
}

/** What a hit test found at a point: whether it was the target, and a description of what was. */
export async function hitTest(
  target: Locator,
  x: number,
  y: number,
): Promise<{ ok: boolean; found: string }> {
  return target.evaluate(
    (el, p) => {
      const hit = document.elementFromPoint(p.x, p.y);
      const describeElement = (e: Element | null) => {
        if (!e) return "nothing (outside the window)";
        const id = e.getAttribute("data-testid");
        const cls =
          typeof e.className === "string" && e.className ? `.${e.className.split(/\s+/).join(".")}` : "";
        const text = (e.textContent ?? "").trim().slice(0, 40);
        return `<${e.tagName.toLowerCase()}${id ? ` data-testid="${id}"` : ""}${cls}> “${text}”`;
      };
      return { ok: !!hit && (hit === el || el.contains(hit)), found: describeElement(hit) };
    },
    { x, y },
  );
}

/** The element's centre, once it holds still for a frame (menus and panels may still be moving). */
async function stableCentre(page: Page, target: Locator): Promise<{ x: number; y: number }> {
  let last = await target.boundingBox();
  for (let i = 0; i < 20; i++) {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    const now = await target.boundingBox();
    if (
      last &&
      now &&
      Math.abs(now.x - last.x) < 0.5 &&
      Math.abs(now.y - last.y) < 0.5 &&
      Math.abs(now.width - last.width) < 0.5 &&
      Math.abs(now.height - last.height) < 0.5
    )
      return { x: now.x + now.width / 2, y: now.y + now.height / 2 };
    last = now;
  }
  if (!last) throw new Error("the element has no box on screen");
  return { x: last.x + last.width / 2, y: last.y + last.height / 2 };
}

/**
 * Clicks the centre of `target` with the mouse, after checking that a person could: the point is in
 * the window and the topmost element there is `target` or inside it.
 */
export async function clickAsPerson(page: Page, target: Locator, opts: Options = {}) {
  const at = await reachablePoint(page, target, opts.timeout);
  await page.mouse.click(at.x, at.y, { button: opts.button, clickCount: opts.clickCount });
}

/**
 * The point where a person would click `target`: its centre, once that is in the window and the topmost
 * element there is `target` or inside it (fails with what is in the way otherwise).
 */
export async function reachablePoint(page: Page, target: Locator, timeout = 15_000) {
  await expect(target).toBeVisible({ timeout });
  let at = { x: 0, y: 0 };
  let last = "";
  await expect
    .poll(
      async () => {
        at = await stableCentre(page, target);
        const viewport = page.viewportSize();
        if (viewport && (at.x < 0 || at.y < 0 || at.x >= viewport.width || at.y >= viewport.height)) {
          last = `its centre (${Math.round(at.x)}, ${Math.round(at.y)}) is outside the window`;
          return false;
        }
        const hit = await hitTest(target, at.x, at.y);
        last = hit.ok
          ? ""
          : `at (${Math.round(at.x)}, ${Math.round(at.y)}) the pointer would hit ${hit.found}`;
        return hit.ok;
      },
      { timeout, message: `a person cannot click ${target}: ${last || "it never came into reach"}` },
    )
    .toBe(true)
    .catch((e: Error) => {
      throw new Error(`a person cannot click ${target}: ${last}\n${e.message}`);
    });
  return at;
}

/** Clicks a text field as a person, then replaces its text by typing (select-all first). */
export async function typeAsPerson(page: Page, field: Locator, text: string) {
  await clickAsPerson(page, field);
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText(text);
}
