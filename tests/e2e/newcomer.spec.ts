/**
 * The first minute, as a newcomer at 1440×900 with only the page: the default graph opens ready to
 * run and runs, a new prompt, a seed-only rerun (cached nodes shown), a 4-seed grid, save, restore an
 * older version and see it, share it and copy it from a fresh browser, every template runs as it comes,
 * and a reload in the middle of a run still shows that run's image arriving.
 *
 * Every click goes through `clickAsPerson` (pointer hit-testing, no forced scrolling); each step
 * leaves a screenshot in test-results/newcomer/.
 */
import { type BrowserContext, expect, type Locator, type Page, test } from "@playwright/test";
import { clickAsPerson, typeAsPerson } from "./pointer";

test.describe.configure({ mode: "serial" });

const VIEWPORT = { width: 1440, height: 900 };
test.use({ viewport: VIEWPORT });

const NAME = `Newcomer ${Date.now().toString(36)}`;
const GREEN_STAR = "a green star on a white background";
const TEMPLATES = [
  { title: "Text to image", saves: 1 },
  { title: "Image to image", saves: 1 },
  { title: "Two-stage sampling", saves: 1 },
  { title: "The forward process", saves: 5 },
  { title: "Inpaint (ordinary model)", saves: 1 },
];

let context: BrowserContext;
let page: Page;
let graphUrl = "";
let shot = 0;

async function screenshot(p: Page, name: string) {
  shot += 1;
  await p.screenshot({ path: `test-results/newcomer/${String(shot).padStart(2, "0")}-${name}.png` });
}

const node = (p: Page, id: string) => p.locator(`[data-testid="node"][data-node-id="${id}"]`);
const field = (n: Locator, widget: string) =>
  n.getByTestId(`widget-${widget}`).locator("input:not([type=file]), textarea, select").first();
const runProgress = (p: Page) => p.getByTestId("run-progress");

/** Clicks ▶ Run and waits for the run it starts (a new run id) to succeed. */
async function runAndWait(p: Page, timeout = 120_000): Promise<string> {
  const before = (await runProgress(p).count()) ? await runProgress(p).getAttribute("data-run-id") : "";
  await clickAsPerson(p, p.getByTestId("run-button"));
  await expect.poll(() => runProgress(p).getAttribute("data-run-id"), { timeout: 30_000 }).not.toBe(before);
  const runId = (await runProgress(p).getAttribute("data-run-id")) ?? "";
  await expect(runProgress(p)).toHaveAttribute("data-phase", /succeeded|failed|cancelled/, { timeout });
  await expect(runProgress(p), (await p.getByTestId("status-line").textContent()) ?? "").toHaveAttribute(
    "data-phase",
    "succeeded",
  );
  return runId;
}

/** The src of the first image Save Image shows. */
const resultImage = (p: Page, id = "save") => node(p, id).getByTestId("output-image").locator("img").first();
// The artifact a result links to (what a person opens or saves). Its <img> may show a live run's small
// image inline (a data: URL) instead, so an image is identified by its link.
const resultLink = (p: Page, id = "save") => node(p, id).getByTestId("output-image").locator("a").first();

test.beforeAll(async ({ browser }, testInfo) => {
  context = await browser.newContext({ baseURL: testInfo.project.use.baseURL, viewport: VIEWPORT });
  page = await context.newPage();
});

test.afterAll(async () => {
  await context.close();
});

test("cold start: the default Text to image graph, ready to run, says so", async () => {
  await page.goto("/");
  await expect(page.getByTestId("node")).toHaveCount(9);
  await expect(page.getByRole("textbox", { name: "Graph name" })).toHaveValue("Text to image");
  await expect(page.getByTestId("status-line")).toContainText("ready to run");
  // Nothing to lose yet, and nothing in the library: not "Unsaved changes".
  await expect(page.getByTestId("save-state")).toHaveAttribute("data-state", "new");
  await expect(page.getByTestId("save-state")).toHaveText("Not in the library yet");
  await screenshot(page, "cold-start");
});

test("the default graph runs as it is", async () => {
  const seed = await field(node(page, "noise"), "seed").inputValue();
  await runAndWait(page);
  await expect(resultImage(page)).toBeVisible();
  await expect.poll(() => resultImage(page).evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(64);
  await expect(node(page, "save").getByTestId("result-seed")).toHaveText(`seed ${seed}`);
  await screenshot(page, "default-graph-ran");
});

test("a green star: a new prompt gives a new image", async () => {
  const before = await resultLink(page).getAttribute("href");
  await typeAsPerson(page, field(node(page, "positive"), "text"), GREEN_STAR);
  await page.keyboard.press("Tab");
  await runAndWait(page);
  await expect(resultLink(page)).not.toHaveAttribute("href", before ?? "");
  await screenshot(page, "green-star");
});

test("only the seed changes: the prompt and the model are shown cached", async () => {
  // "control after run: randomize" moved the seed on: running again changes only the seed.
  const seed = await field(node(page, "noise"), "seed").inputValue();
  await runAndWait(page);
  await expect(node(page, "save").getByTestId("result-seed")).toHaveText(`seed ${seed}`);
  for (const id of ["positive", "negative", "model"])
    await expect(node(page, id).getByTestId("node-status")).toHaveAttribute("data-status", "cached");
  await expect(node(page, "sampler").getByTestId("node-status")).toHaveAttribute("data-status", "done");
  await screenshot(page, "seed-only-rerun-cached");
});

test("4 seeds as a labelled grid", async () => {
  await clickAsPerson(page, page.getByRole("tab", { name: "Results" }));
  await typeAsPerson(page, page.getByRole("spinbutton", { name: "Runs" }), "4");
  await clickAsPerson(page, page.getByTestId("run-seeds"));
  const grid = page.getByTestId("results-grid").first();
  await expect(grid.getByTestId("grid-cell")).toHaveCount(4);
  for (const cell of await grid.getByTestId("grid-cell").all())
    await expect(cell).toHaveAttribute("data-status", "succeeded", { timeout: 120_000 });
  await expect(grid.locator("img")).toHaveCount(4);
  await screenshot(page, "four-seed-grid");
});

let v1Image = "";

test("save: the graph enters the library as version 1; a changed CFG is version 2", async () => {
  await typeAsPerson(page, page.getByRole("textbox", { name: "Graph name" }), NAME);
  await clickAsPerson(page, page.getByRole("button", { name: "Save", exact: true }));
  await expect(page).toHaveURL(/\/graphs\/[\w-]+$/);
  graphUrl = page.url();
  await expect(page.getByTestId("save-state")).toHaveText("Saved · v1");
  // A run of version 1 (its image becomes the thumbnail of v1).
  const runId = await runAndWait(page);
  expect(runId).not.toBe("");
  v1Image = (await resultLink(page).getAttribute("href")) ?? "";

  await typeAsPerson(page, field(node(page, "sampler"), "cfg"), "5");
  await page.keyboard.press("Tab");
  await expect(page.getByTestId("save-state")).toHaveAttribute("data-state", "unsaved");
  await clickAsPerson(page, page.getByRole("button", { name: "Save", exact: true }));
  await expect(page.getByTestId("save-state")).toHaveText("Saved · v2");
  await runAndWait(page);
  await screenshot(page, "saved-v2");
});

test("restore version 1 in the library, open the graph and see it; saving keeps it", async () => {
  // Client-side navigation both ways: the editor must not show a copy cached before the restore.
  await clickAsPerson(page, page.getByRole("link", { name: /Library/ }).first());
  const card = page.getByTestId("graph-card").filter({ hasText: NAME });
  await expect(card).toHaveCount(1);
  await clickAsPerson(page, card.getByRole("button", { name: "Versions" }));
  await clickAsPerson(page, card.getByRole("button", { name: "Restore v1" }));
  await expect(card.locator('[data-version="1"]')).toContainText("current");
  await expect(card.getByTestId("graph-name")).toHaveText(NAME);
  await expect(card.locator("img.pf-card__thumb")).toHaveAttribute("src", v1Image);
  await screenshot(page, "library-restored-v1");

  await clickAsPerson(page, card.getByTestId("graph-name"));
  await expect(page).toHaveURL(graphUrl);
  await expect(field(node(page, "sampler"), "cfg")).toHaveValue("7.5");
  await expect(page.getByTestId("save-state")).toHaveText("Saved · v1");
  await expect(page.getByRole("textbox", { name: "Graph name" })).toHaveValue(NAME);
  // The canvas shows the images of version 1's run, as the library's thumbnail does.
  await expect(resultLink(page)).toHaveAttribute("href", v1Image);
  await clickAsPerson(page, page.getByRole("button", { name: "Save", exact: true }));
  await expect(page.getByTestId("status-line")).toContainText("No changes since version 1");
  await expect(page.getByTestId("save-state")).toHaveText("Saved · v1");
  await screenshot(page, "editor-shows-v1");
});

test("share, open in a fresh browser, copy it to that library and rerun it", async ({
  browser,
}, testInfo) => {
  await clickAsPerson(page, page.getByRole("tab", { name: "Share" }));
  await clickAsPerson(page, page.getByTestId("create-share"));
  const url = await page.getByTestId("share-url").first().inputValue();
  expect(url).toMatch(/\/share\/[\w-]{20,}$/);
  await screenshot(page, "share-link");

  const other = await browser.newContext({ baseURL: testInfo.project.use.baseURL, viewport: VIEWPORT });
  try {
    const visitor = await other.newPage();
    await visitor.goto(url);
    await expect(visitor.getByTestId("shared-name")).toHaveText(NAME);
    await expect(visitor.getByTestId("output-image").first()).toBeVisible();
    await screenshot(visitor, "shared-in-fresh-browser");
    await clickAsPerson(visitor, visitor.getByRole("button", { name: "Copy to my library" }));
    await expect(visitor).toHaveURL(/\/graphs\/[\w-]+$/);
    expect(visitor.url()).not.toBe(graphUrl);
    await expect(visitor.getByTestId("node")).toHaveCount(9);
    await runAndWait(visitor);
    await expect(resultImage(visitor)).toBeVisible();
    await screenshot(visitor, "copy-rerun");
  } finally {
    await other.close();
  }
});

/** How many graphs the library holds (a fresh load: a client-side visit may first show a cached list). */
async function libraryCount(): Promise<number> {
  await page.goto("/library");
  await expect(page.getByTestId("graph-card").first()).toBeVisible();
  return page.getByTestId("graph-card").count();
}

test("every template runs as it comes, and trying them adds nothing to the library", async () => {
  const before = await libraryCount();
  // The share's copy has the same name: open this browser's own graph by its id.
  const id = graphUrl.slice(graphUrl.lastIndexOf("/") + 1);
  await clickAsPerson(
    page,
    page.locator(`[data-testid="graph-card"][data-graph-id="${id}"]`).getByTestId("graph-name"),
  );
  await expect(page).toHaveURL(graphUrl);
  // New ▾ offers the templates the installed models can run: with the demo model alone (sd1), none of
  // those that need an SDXL, Turbo or inpainting model.
  const families: string[] = await page.evaluate(async () => {
    const res = await fetch("/api/trpc/models.list");
    const list = (await res.json()).result.data as { models: { familyLabel: string }[] };
    return list.models.map((m) => m.familyLabel);
  });
  await clickAsPerson(page, page.getByRole("button", { name: "New ▾" }));
  const offered = await page.getByRole("menuitem").allTextContents();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menuitem")).toHaveCount(0);
  for (const t of TEMPLATES) expect(offered).toContain(`From template: ${t.title}`);
  const has = (kind: string) => families.some((f) => f.split(" · ").includes(kind));
  expect(offered.some((o) => o.includes("SDXL text to image"))).toBe(has("sdxl"));
  expect(offered.some((o) => o.includes("SDXL Turbo"))).toBe(has("turbo"));
  expect(offered.some((o) => o.includes("Inpaint (inpainting model)"))).toBe(has("inpaint"));
  expect(offered).toHaveLength(
    1 +
      TEMPLATES.length +
      [has("sdxl"), has("turbo"), has("inpaint")].filter(Boolean).length +
      (has("sdxl") && has("sdxl-refiner") ? 1 : 0),
  );
  for (const t of TEMPLATES) {
    await clickAsPerson(page, page.getByRole("button", { name: "New ▾" }));
    await clickAsPerson(page, page.getByRole("menuitem", { name: `From template: ${t.title}` }));
    await expect(page.getByRole("textbox", { name: "Graph name" })).toHaveValue(t.title);
    await expect(page.getByTestId("status-line")).toContainText("ready to run");
    await expect(page.getByTestId("save-state")).toHaveAttribute("data-state", "new");
    await runAndWait(page);
    // A template opens at a readable zoom showing its start; a person fits the view to see every result.
    await clickAsPerson(page, page.locator(".react-flow__controls-fitview"));
    const saves = page.locator('[data-testid="node"][data-node-type="save-image"]');
    await expect(saves).toHaveCount(t.saves);
    for (const s of await saves.all()) await expect(s.getByTestId("output-image").first()).toBeVisible();
    await screenshot(page, `template-${t.title.toLowerCase().replace(/\W+/g, "-")}`);
  }
  // "New ▾ → Empty graph": the templates are offered on the empty canvas; Ctrl+Z brings back the
  // graph that "New" replaced.
  const name = page.getByRole("textbox", { name: "Graph name" });
  await clickAsPerson(page, page.getByRole("button", { name: "New ▾" }));
  await clickAsPerson(page, page.getByRole("menuitem", { name: "Empty graph" }));
  await expect(page.getByTestId("node")).toHaveCount(0);
  await expect(page.getByTestId("template-picker")).toBeVisible();
  await screenshot(page, "empty-canvas-picker");
  await page.keyboard.press("Control+z");
  await expect(name).toHaveValue(TEMPLATES[TEMPLATES.length - 1].title);
  await page.keyboard.press("Control+y");
  await expect(page.getByTestId("node")).toHaveCount(0);
  await clickAsPerson(
    page,
    page.getByTestId("template-picker").getByRole("button", { name: "Text to image" }),
  );
  await expect(page.getByTestId("node")).toHaveCount(9);
  await expect(name).toHaveValue("Text to image");

  expect(await libraryCount()).toBe(before);
});

/** Starts a long run (999 steps; 1000 = T gives a black image with DDIM, see the report) of the open graph, reloads the page in its middle, and checks that
 * the reloaded editor follows that same run to its image. */
async function reloadMidRun(label: string) {
  await typeAsPerson(page, field(node(page, "schedule"), "steps"), "999");
  await page.keyboard.press("Tab");
  const seed = await field(node(page, "noise"), "seed").inputValue();
  await clickAsPerson(page, page.getByTestId("run-button"));
  await expect(runProgress(page)).toHaveAttribute("data-phase", "running", { timeout: 60_000 });
  await expect(node(page, "sampler").getByTestId("node-progress")).toBeVisible();
  const runId = await runProgress(page).getAttribute("data-run-id");
  await screenshot(page, `${label}-before-reload-mid-run`);

  await page.reload();
  await expect(page.getByTestId("node")).toHaveCount(9);
  // The edit (999 steps) is work not in a version: the editor says so.
  await expect(page.getByTestId("save-state")).toHaveAttribute("data-state", "unsaved");
  await expect(runProgress(page)).toHaveAttribute("data-run-id", runId ?? "", { timeout: 30_000 });
  await screenshot(page, `${label}-after-reload-following`);
  await expect(runProgress(page)).toHaveAttribute("data-phase", "succeeded", { timeout: 180_000 });
  await expect(node(page, "save").getByTestId("result-seed")).toHaveText(`seed ${seed}`);
  await expect(resultImage(page)).toBeVisible();
  // A picture, not a black square (what a NaN latent decodes to).
  const brightness = await resultImage(page).evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext("2d")!;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
    return sum / ((d.length / 4) * 3);
  });
  expect(brightness).toBeGreaterThan(10);
  await screenshot(page, `${label}-after-reload-result`);
}

test("a reload in the middle of a run: the run is followed again and its image arrives", async () => {
  // A graph never saved (its runs are remembered in this browser)…
  await page.goto("/?new=txt2img");
  await expect(page.getByTestId("node")).toHaveCount(9);
  await reloadMidRun("unsaved");
  // …and a saved one (the server knows its running runs).
  await page.goto(graphUrl);
  await reloadMidRun("saved");
});
