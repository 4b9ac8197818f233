/**
 * The System panel says which execution provider runs the models and why the faster ones do not (the
 * e2e server runs with PETALFLOW_PROVIDER unset, i.e. auto), in agreement with /api/health.
 */
import type { Locator } from "@playwright/test";
import { expect, screenshot, test } from "./fixtures";

/** Clicks the middle of `target` after checking that it, not something over it, is what a person would hit. */
async function clickAsPerson(target: Locator) {
  const box = await target.boundingBox();
  if (!box) throw new Error("the click target is not on screen");
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const hit = await target.evaluate(
    (el, [px, py]) => {
      const top = document.elementFromPoint(px, py);
      return top !== null && (el === top || el.contains(top));
    },
    [x, y] as const,
  );
  expect(hit, "the target is the topmost element at the click point").toBe(true);
  await target.page().mouse.click(x, y);
}

test("System panel: the provider in use and each faster provider's reason for failing", async ({
  page,
  request,
}) => {
  const health = await (await request.get("/api/health")).json();
  expect(health.providers.requested).toBe("auto");
  const attempts: { provider: string; ok: boolean; error?: string }[] = health.providers.attempts;
  expect(attempts.map((a) => a.provider)).toEqual(["cuda", "webgpu", "cpu"].slice(0, attempts.length));
  expect(health.provider).toBe(attempts.at(-1)!.provider);

  await page.goto("/");
  await clickAsPerson(page.getByRole("tab", { name: "System" }));
  await expect(page.getByTestId("provider")).toHaveText(health.provider);
  const failed = attempts.filter((a) => !a.ok);
  if (failed.length > 0) {
    const list = page.getByTestId("provider-attempts");
    for (const a of failed) await expect(list).toContainText(`${a.provider}: ${a.error}`);
  }
  await screenshot(page, "system-panel-providers");
});
