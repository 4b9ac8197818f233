/**
 * A new user's whole journey with the bundled demo model, in order (each step builds on the last):
 * build txt2img from an empty canvas, run it, change only the seed, sweep 4 seeds, save and restore
 * versions, share, and drop a result PNG back onto the canvas.
 */
import type { BrowserContext, Page } from "@playwright/test";
import { Editor, expect, GraphNode, IMAGE_SIZE, MODEL, STEPS, screenshot, test } from "./fixtures";

test.describe.configure({ mode: "serial" });

const PROMPT = "a red circle on a blue background";
const NAME = `E2E txt2img ${Date.now().toString(36)}`;
/** A seed no earlier run on this server used (its results would be cached). */
const SEED = 100_000 + (Date.now() % 900_000_000);

let context: BrowserContext;
let page: Page;
let editor: Editor;
let graphUrl = "";

test.beforeAll(async ({ browser }, testInfo) => {
  const use = testInfo.project.use;
  context = await browser.newContext({ baseURL: use.baseURL, viewport: use.viewport });
  page = await context.newPage();
  editor = new Editor(page);
});

test.afterAll(async () => {
  await context.close();
});

/** Waits until the run the editor follows has finished, and checks that it succeeded. */
async function waitForRun() {
  await expect(page.getByTestId("run-progress")).toHaveAttribute("data-phase", /succeeded|failed|cancelled/, {
    timeout: 180_000, // a whole run on a possibly loaded machine; the test allows 300 s
  });
  await expect(page.getByTestId("run-progress")).toHaveAttribute("data-phase", "succeeded");
}

test("build txt2img from an empty canvas with the search box and links", async () => {
  await page.goto("/?new=empty");
  await expect(editor.canvas.nodes()).toHaveCount(0);
  await editor.canvas.zoomOut(3);
  // Every point used below stays ≥ 50 px inside the canvas: a link dragged near its edge auto-pans it.

  const loader = await editor.addNode(60, 60, "model", "model-loader");
  const scheduler = await editor.addNode(60, 200, "schedul", "scheduler");
  const prompt = await editor.addNode(230, 60, "text enc", "text-encoder");
  const latent = await editor.addNode(230, 240, "empty lat", "empty-latent");
  const noise = await editor.addNode(230, 360, "noise", "noise");
  const sampler = await editor.addNode(400, 60, "unet", "unet-step");

  // A link dropped on empty canvas offers the nodes that take it and connects the one picked.
  await editor.canvas.drag(sampler.output("latent"), await editor.canvas.point(580, 60));
  await editor.search.pick("vae dec", "vae-decode");
  const decode = editor.canvas.node("vae-decode");
  await editor.canvas.drag(decode.output("image"), await editor.canvas.point(580, 180));
  await editor.search.pick("save", "save-image");
  await expect(editor.canvas.edges()).toHaveCount(2);

  await editor.canvas.link(loader, "textEncoder", prompt, "textEncoder");
  await editor.canvas.link(loader, "unet", sampler, "unet");
  await editor.canvas.link(loader, "unet", scheduler, "unet");
  await editor.canvas.link(loader, "vae", decode, "vae");
  await editor.canvas.link(prompt, "conditioning", sampler, "positive");
  await editor.canvas.link(latent, "latent", sampler, "latent");
  await editor.canvas.link(noise, "noise", sampler, "noise");
  await editor.canvas.link(scheduler, "schedule", sampler, "schedule");
  await expect(editor.canvas.edges()).toHaveCount(10);

  await loader.field("model").selectOption(MODEL);
  await prompt.setField("text", PROMPT);
  await scheduler.setField("steps", STEPS);
  for (const n of [latent, noise]) {
    await n.setField("width", String(IMAGE_SIZE));
    await n.setField("height", String(IMAGE_SIZE));
  }
  await expect(editor.saveState).toHaveAttribute("data-state", "unsaved");
});

test("run it: step progress on the U-Net, then an image with the seed it used", async () => {
  // Record every step the U-Net's progress bar shows (a fast run may finish between two polls).
  await page.evaluate(() => {
    const w = window as unknown as { __steps: number[] };
    w.__steps = [];
    new MutationObserver(() => {
      const bar = document.querySelector('[data-node-type="unet-step"] [data-testid="node-progress"]');
      const now = Number(bar?.getAttribute("aria-valuenow") ?? -1);
      if (bar && !w.__steps.includes(now)) w.__steps.push(now);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  // Enough steps that the bar is drawn while the U-Net runs: at 25 steps the tiny model can finish inside
  // one frame, and the whole run then lands in a single render (no bar to see).
  const scheduler = editor.canvas.node("scheduler");
  await scheduler.setField("steps", "300");
  const noise = editor.canvas.node("noise");
  await noise.widget("seed").getByRole("button", { name: "Random seed" }).click();
  await expect(noise.field("seed")).not.toHaveValue("0"); // the field takes the new value on its next render
  const seed = await noise.field("seed").inputValue();
  await page.keyboard.press("Control+Enter");
  await waitForRun();

  const steps = await page.evaluate(() => (window as unknown as { __steps: number[] }).__steps);
  expect(steps.length).toBeGreaterThan(1);
  const save = editor.canvas.node("save-image");
  const image = save.root.getByTestId("output-image").locator("img");
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(IMAGE_SIZE);
  // The seed shown is the seed used; "control after run" (randomize) moved the widget on only afterwards.
  await expect(save.root.getByTestId("result-seed")).toHaveText(`seed ${seed}`);
  await expect(noise.root.getByTestId("seeds-used")).toContainText(seed);
  await expect(noise.field("seed")).not.toHaveValue(seed);
  await expect(editor.canvas.node("unet-step").root.getByTestId("latent-preview")).toBeVisible();
  await editor.canvas.fitView();
  await screenshot(page, "editor-after-run");
  await scheduler.setField("steps", STEPS);
});

test("change only the seed: the text encoder and model are reported cached", async () => {
  const noise = editor.canvas.node("noise");
  await noise.field("control").selectOption("fixed");
  await noise.setField("seed", String(SEED));
  await editor.run();
  await expect(editor.canvas.node("save-image").root.getByTestId("result-seed")).toHaveText(`seed ${SEED}`, {
    timeout: 180_000, // a whole run on a possibly loaded machine; the test allows 300 s
  });
  await waitForRun();
  await expect(editor.canvas.node("text-encoder").status()).toHaveAttribute("data-status", "cached");
  await expect(editor.canvas.node("model-loader").status()).toHaveAttribute("data-status", "cached");
  await expect(editor.canvas.node("unet-step").status()).toHaveAttribute("data-status", "done");
  await expect(noise.field("seed")).toHaveValue(String(SEED)); // fixed: the seed stays
});

test("rerun with 4 seeds, shown as a labelled grid", async () => {
  await editor.tab("Results");
  await page.getByTestId("run-seeds").click();
  const grid = page.getByTestId("results-grid").first();
  await expect(grid.getByTestId("grid-cell")).toHaveCount(4);
  for (const cell of await grid.getByTestId("grid-cell").all())
    await expect(cell).toHaveAttribute("data-status", "succeeded", { timeout: 120_000 });
  await expect(grid.locator("img")).toHaveCount(4);
  const labels = await grid.getByTestId("grid-label").allTextContents();
  expect(labels).toEqual([0, 1, 2, 3].map((i) => `seed=${SEED + i}`));
  await screenshot(page, "seed-grid");
});

test("sweep CFG over three values, shown as a labelled grid", async () => {
  const samplerId = await editor.canvas.node("unet-step").id();
  await page.getByRole("combobox", { name: "Rows parameter" }).selectOption(`${samplerId}.cfg`);
  await page.getByRole("textbox", { name: "Rows values" }).fill("1, 4, 7.5");
  await page.getByRole("button", { name: "Run grid" }).click();
  const grid = page.getByTestId("results-grid").first();
  await expect(grid).toContainText("CFG scale × 3");
  for (const cell of await grid.getByTestId("grid-cell").all())
    await expect(cell).toHaveAttribute("data-status", "succeeded", { timeout: 120_000 });
  await expect(grid.getByTestId("grid-label")).toHaveText(["cfg=1", "cfg=4", "cfg=7.5"]);
  await expect(grid.locator("img")).toHaveCount(3);
});

test("save, reload, find the graph in the library and restore an older version", async () => {
  await editor.rename(NAME);
  await editor.save();
  await expect(page).toHaveURL(/\/graphs\/[\w-]+$/);
  graphUrl = page.url();
  await expect(editor.saveState).toHaveText(/v1/);

  const sampler = editor.canvas.node("unet-step");
  await sampler.setField("cfg", "5");
  await expect(editor.saveState).toHaveAttribute("data-state", "unsaved");
  await editor.save();
  await expect(editor.saveState).toHaveText(/v2/);

  await page.reload();
  await expect(editor.canvas.node("unet-step").field("cfg")).toHaveValue("5.0");
  await expect(editor.saveState).toHaveAttribute("data-state", "saved");

  await page.goto("/library");
  const card = page.getByTestId("graph-card").filter({ hasText: NAME });
  await expect(card).toHaveCount(1);
  await card.getByRole("button", { name: "Versions" }).click();
  await card.getByRole("button", { name: "Changes since v1" }).click();
  await expect(card.getByTestId("version-diff")).toContainText("cfg: 7.5 → 5");
  await screenshot(page, "library");
  await card.getByRole("button", { name: "Restore v1" }).click();
  await expect(card.locator('[data-version="1"]')).toContainText("current");

  await card.getByTestId("graph-name").click();
  await expect(page).toHaveURL(graphUrl);
  await expect(editor.canvas.node("unet-step").field("cfg")).toHaveValue("7.5");
  await expect(editor.saveState).toHaveText(/v1/);
});

test("share a link, open it in a fresh browser, copy it to the library", async ({ browser }, testInfo) => {
  // A run of the saved version gives the share page its images.
  await editor.run();
  await waitForRun();
  await editor.tab("Share");
  await page.getByTestId("create-share").click();
  const url = await page.getByTestId("share-url").first().inputValue();
  expect(url).toMatch(/\/share\/[\w-]{20,}$/);

  const other = await browser.newContext({ viewport: testInfo.project.use.viewport });
  try {
    const visitor = await other.newPage();
    await visitor.goto(url);
    await expect(visitor.getByTestId("shared-name")).toHaveText(NAME);
    await expect(visitor.locator('[data-testid="node"]')).toHaveCount(8);
    await expect(visitor.getByTestId("output-image").first()).toBeVisible();
    // Read-only: no widget can be edited.
    await expect(
      visitor.locator('[data-node-type="noise"] [data-testid="widget-seed"] input'),
    ).toBeDisabled();
    await screenshot(visitor, "share-page");
    await visitor.getByRole("button", { name: "Copy to my library" }).click();
    await expect(visitor).toHaveURL(/\/graphs\/[\w-]+$/);
    expect(visitor.url()).not.toBe(graphUrl);
    await expect(visitor.locator('[data-testid="node"]')).toHaveCount(8);
  } finally {
    await other.close();
  }
});

test("drop a result PNG on the canvas: the same graph opens with the same seed", async () => {
  await page.goto(graphUrl);
  const save = new GraphNode(page, page.locator('[data-node-type="save-image"]'));
  const src = await save.root.getByTestId("output-image").locator("img").first().getAttribute("src");
  const seedText = await save.root.getByTestId("result-seed").first().textContent();
  const png = await page.request.get(src!);
  expect(png.headers()["content-type"]).toContain("image/png");
  const base64 = (await png.body()).toString("base64");

  await page.getByTestId("canvas").evaluate((el, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "petalflow-result.png", { type: "image/png" }));
    const r = el.getBoundingClientRect();
    for (const type of ["dragenter", "dragover", "drop"])
      el.dispatchEvent(
        new DragEvent(type, {
          bubbles: true,
          cancelable: true,
          dataTransfer: dt,
          clientX: r.x + 200,
          clientY: r.y + 200,
        }),
      );
  }, base64);

  await expect(page).not.toHaveURL(graphUrl);
  await expect(page).toHaveURL(/\/graphs\/[\w-]+$/);
  await expect(editor.canvas.nodes()).toHaveCount(8);
  await expect(editor.canvas.edges()).toHaveCount(10);
  await expect(editor.canvas.node("noise").field("seed")).toHaveValue(seedText!.replace("seed ", ""));
  await expect(editor.canvas.node("text-encoder").field("text")).toHaveValue(PROMPT);
});
