/**
 * Every template opens with no two node boxes (as rendered, widgets and plots included) on top of each
 * other. The graphs are created through the API (the "New" menu is tested
 * elsewhere) and opened as a person would open a saved graph.
 */
import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { clickLikeAPerson, overlaps, renderedNodeBoxes } from "./hit-test";

// The templates the demo model runs; the SDXL / inpainting-model ones need such a model installed.
const TEMPLATES = ["txt2img", "img2img", "two-stage", "forward-process", "inpaint-noise-mask"];

async function openAsSavedGraph(page: Page, file: string): Promise<number> {
  const document = JSON.parse(readFileSync(`examples/${file}.json`, "utf8"));
  await page.goto("/library");
  const id = await page.evaluate(async (doc) => {
    const res = await fetch("/api/trpc/graphs.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: doc.name, document: doc }),
    });
    const json = await res.json();
    return json.result.data.graph.id as string;
  }, document);
  await page.goto(`/graphs/${id}`);
  await expect(page.getByTestId("canvas")).toBeVisible();
  return document.nodes.length + document.notes.length;
}

test.describe("template layouts", () => {
  // Large enough that each whole template fits at a zoom where nodes draw their widgets.
  test.use({ viewport: { width: 2400, height: 1500 } });

  for (const name of TEMPLATES) {
    test(`${name}: no two nodes overlap`, async ({ page }) => {
      const count = await openAsSavedGraph(page, name);
      await clickLikeAPerson(page, page.locator(".react-flow__controls-fitview"));
      await expect(page.locator(".react-flow__node:not(.react-flow__node-frame)")).toHaveCount(count);
      // Near zoom, so that every node is drawn in full (far out, widgets become placeholders).
      const zoom = await page.evaluate(() => {
        const t = document.querySelector<HTMLElement>(".react-flow__viewport")!.style.transform;
        return Number(/scale\(([\d.]+)\)/.exec(t)?.[1] ?? 1);
      });
      expect(zoom).toBeGreaterThan(0.35);
      // Plots and thumbnails settle into their size: poll until no overlap (or the deadline).
      await expect.poll(async () => overlaps(await renderedNodeBoxes(page)), { timeout: 20_000 }).toEqual([]);
      const boxes = await renderedNodeBoxes(page);
      const flow = boxes.map((b) => ({
        ...b,
        x: b.x / zoom,
        y: b.y / zoom,
        width: b.width / zoom,
        height: b.height / zoom,
      }));
      console.log(name, JSON.stringify(flow.map((b) => [b.id, Math.round(b.width), Math.round(b.height)])));
      await page.screenshot({ path: `test-results/habits/template-${name}.png` });
      expect(overlaps(boxes)).toEqual([]);
    });
  }
});
