/**
 * Editing without running: the empty editor, adding nodes through the search box, links that are
 * refused with a reason, a link dropped on empty canvas, undo/redo.
 */
import { expect, screenshot, test } from "./fixtures";

// A first visit opens the default graph (newcomer.spec.ts); these start from an empty one.
test.beforeEach(async ({ page }) => {
  await page.goto("/?new=empty");
  await expect(page.getByTestId("canvas")).toBeVisible();
});

test("an empty graph shows the templates, the node palette and the side panel", async ({ page, editor }) => {
  await expect(editor.canvas.nodes()).toHaveCount(0);
  await expect(page.getByTestId("template-picker")).toContainText("Text to image");
  await expect(page.getByRole("navigation", { name: "Node palette" })).toContainText("U-Net step");
  await expect(page.getByRole("tab", { name: "Queue" })).toBeVisible();
  await expect(page.getByTestId("run-button")).toBeVisible();
  // "/" opens the search too, and fuzzy matching finds "U-Net step" from "unet".
  // Below the template picker (which covers the upper middle of an empty canvas).
  await editor.canvas.pane.click({ position: { x: 300, y: 520 } });
  await page.keyboard.press("/");
  await expect(editor.search.dialog).toBeVisible();
  await editor.search.input.fill("unet");
  await expect(editor.search.results().first()).toHaveAttribute("data-testid", "search-result-unet-step");
  await page.keyboard.press("Escape");
  await expect(editor.search.dialog).toBeHidden();
  await screenshot(page, "empty-editor");
});

test("an incompatible link is refused with the reason; a compatible one is drawn", async ({ editor }) => {
  const loader = await editor.addNode(40, 60, "model", "model-loader");
  const sampler = await editor.addNode(400, 60, "unet", "unet-step");
  await editor.canvas.link(loader, "vae", sampler, "positive");
  await expect(editor.status).toContainText("VAE output cannot feed a CONDITIONING input");
  await expect(editor.canvas.edges()).toHaveCount(0);
  await editor.canvas.link(loader, "unet", sampler, "unet");
  await expect(editor.canvas.edges()).toHaveCount(1);
});

test("a link dropped on empty canvas offers only nodes that take it, and connects the one picked", async ({
  editor,
}) => {
  const sampler = await editor.addNode(40, 60, "unet", "unet-step");
  await editor.canvas.drag(sampler.output("latent"), await editor.canvas.point(560, 120));
  await expect(editor.search.dialog).toContainText("Nodes that take LATENT");
  await expect(editor.search.result("vae-decode")).toBeVisible();
  await expect(editor.search.result("text-encoder")).toHaveCount(0);
  await editor.search.pick("decode", "vae-decode");
  await expect(editor.canvas.nodes("vae-decode")).toHaveCount(1);
  await expect(editor.canvas.edges()).toHaveCount(1);
});

test("undo and redo walk through document snapshots", async ({ page, editor }) => {
  await editor.addNode(40, 60, "text enc", "text-encoder");
  const noise = await editor.addNode(360, 60, "noise", "noise");
  await noise.setField("seed", "777");
  await editor.canvas.pane.click({ position: { x: 600, y: 500 } });

  await page.keyboard.press("Control+z"); // the seed edit
  await expect(noise.field("seed")).toHaveValue("0");
  await page.keyboard.press("Control+z"); // the Noise node
  await expect(editor.canvas.nodes()).toHaveCount(1);
  await page.keyboard.press("Control+y");
  await expect(editor.canvas.nodes()).toHaveCount(2);
  await page.keyboard.press("Control+Shift+z");
  await expect(editor.canvas.node("noise").field("seed")).toHaveValue("777");

  // Delete is one undo step too.
  await editor.canvas.node("noise").root.locator("header").click();
  await page.keyboard.press("Delete");
  await expect(editor.canvas.nodes()).toHaveCount(1);
  await page.keyboard.press("Control+z");
  await expect(editor.canvas.nodes()).toHaveCount(2);
});

test("an edit survives a reload before it was ever saved", async ({ page, editor }) => {
  const noise = await editor.addNode(40, 60, "noise", "noise");
  await noise.setField("seed", "4242");
  await expect(editor.saveState).toHaveAttribute("data-state", "unsaved");
  // Wait for the localStorage copy itself (written debounced after the last change), not a fixed time.
  await expect
    .poll(() =>
      page.evaluate(() => {
        const text = localStorage.getItem("petalflow:backup:new"); // app/_lib/local-backup.ts
        const nodes = text
          ? (JSON.parse(text).document.nodes as { type: string; params: { seed?: unknown } }[])
          : [];
        return String(nodes.find((n) => n.type === "noise")?.params.seed ?? "");
      }),
    )
    .toBe("4242");
  await page.reload();
  await expect(editor.canvas.node("noise").field("seed")).toHaveValue("4242");
  await expect(editor.status).toContainText("Restored your unsaved graph");
});

test("zoomed far out, widgets become placeholders (links kept); zoomed back in, they return with their values", async ({
  page,
  editor,
}) => {
  const int = await editor.addNode(40, 60, "integer", "primitive-int");
  const noise = await editor.addNode(360, 60, "noise", "noise");
  await noise.setField("width", "96");
  await editor.canvas.link(int, "value", noise, "seed");
  await expect(editor.canvas.edges()).toHaveCount(1);
  const widgets = noise.root.locator(".pf-node__widgets");
  const height = await widgets.evaluate((el) => el.getBoundingClientRect().height);

  await editor.canvas.zoomOut(7); // 1.2^-7 ≈ 0.28, under FAR_OUT_ZOOM (0.35)
  await expect(widgets).toHaveAttribute("data-far", "true");
  await expect(noise.field("width")).toHaveCount(0);
  // The linked row stays (its handle holds the link), and so does the link.
  await expect(noise.widget("seed")).toContainText("from link");
  await expect(editor.canvas.edges()).toHaveCount(1);
  // The placeholder keeps about the node's height, so nothing jumps when zooming back.
  const farHeight = await widgets.evaluate((el) => el.getBoundingClientRect().height);
  const zoom = await page.evaluate(() => {
    const t = getComputedStyle(document.querySelector(".react-flow__viewport")!).transform;
    return new DOMMatrix(t).a;
  });
  expect(Math.abs(farHeight / zoom - height)).toBeLessThan(12);

  await editor.canvas.zoomIn(7);
  await expect(widgets).not.toHaveAttribute("data-far");
  await expect(noise.field("width")).toHaveValue("96");
});
