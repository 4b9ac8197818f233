/**
 * The habits of ComfyUI users and the editor's readability, walked as a person would: every click is
 * first hit-tested (document.elementFromPoint at the click point must be the target), and each step
 * keeps a screenshot in test-results/habits/. Graphs are created through the API from the templates
 * (the "New" menu is another spec's subject) and opened like saved graphs.
 */
import { readFileSync } from "node:fs";
import { expect, type Locator, type Page, test } from "@playwright/test";
import { encodePng } from "../../server/media/png";
import {
  clickLikeAPerson,
  contextClickPane,
  expectHittable,
  overlaps,
  pointOn,
  renderedNodeBoxes,
} from "./hit-test";

const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/habits/${name}.png` });

async function openGraph(
  page: Page,
  template: string | null,
  edit?: (doc: { nodes: { id: string; params: Record<string, unknown> }[] }) => void,
): Promise<string> {
  const doc = template ? JSON.parse(readFileSync(`examples/${template}.json`, "utf8")) : null;
  if (doc && edit) edit(doc);
  if (page.url() === "about:blank") await page.goto("/library");
  const id = await page.evaluate(async (document) => {
    const res = await fetch("/api/trpc/graphs.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(document ? { name: document.name, document } : { name: "Habits" }),
    });
    return (await res.json()).result.data.graph.id as string;
  }, doc);
  await page.goto(`/graphs/${id}`);
  await expect(page.getByTestId("canvas")).toBeVisible();
  return doc?.name ?? "Habits";
}

const nodes = (page: Page, type?: string) =>
  page.locator(type ? `[data-testid="node"][data-node-type="${type}"]` : '[data-testid="node"]');
const header = (node: Locator) => node.locator(".pf-node__header");
const menuItem = (page: Page, id: string) => page.getByTestId(`menu-${id}`);
const zoomOf = (page: Page) =>
  page.evaluate(() => {
    const t = document.querySelector<HTMLElement>(".react-flow__viewport")!.style.transform;
    return Number(/scale\(([\d.]+)\)/.exec(t)?.[1] ?? 1);
  });
/** A point of the empty canvas, `dx`,`dy` from its top-left corner. */
async function canvasPoint(page: Page, dx: number, dy: number) {
  const box = (await page.getByTestId("canvas").boundingBox())!;
  return { x: box.x + dx, y: box.y + dy };
}

async function addNodeFromMenu(page: Page, at: { x: number; y: number }, query: string, type: string) {
  await contextClickPane(page, at.x, at.y);
  await clickLikeAPerson(page, menuItem(page, "add-node"));
  const search = page.getByTestId("node-search");
  await search.getByRole("combobox").fill(query);
  await clickLikeAPerson(page, search.getByTestId(`search-result-${type}`));
  await expect(search).toBeHidden();
}

test.describe("habits", () => {
  test.use({ viewport: { width: 1440, height: 900 } });

  test("right-click menus: add a node by its ComfyUI name, bypass, mute, pin, colour, convert, delete", async ({
    page,
  }) => {
    await openGraph(page, null);
    // Top-left: an empty graph shows its template picker in the middle of the canvas.
    const p = await canvasPoint(page, 120, 100);
    await contextClickPane(page, p.x, p.y);
    await expect(page.getByTestId("context-menu")).toBeVisible();
    await shot(page, "01-canvas-menu");
    await clickLikeAPerson(page, menuItem(page, "add-node"));
    const search = page.getByTestId("node-search");
    await search.getByRole("combobox").fill("ksampler");
    await expect(search.getByRole("option").first()).toHaveAttribute(
      "data-testid",
      "search-result-unet-step",
    );
    await expect(search.getByTestId("search-result-unet-step")).toContainText("(KSampler)");
    await shot(page, "02-search-ksampler");
    await clickLikeAPerson(page, search.getByTestId("search-result-unet-step"));
    const sampler = nodes(page, "unet-step");
    await expect(sampler).toHaveCount(1);

    const nodeMenu = async (item: string) => {
      await clickLikeAPerson(page, header(sampler), { button: "right", offset: { x: 60, y: 10 } });
      await clickLikeAPerson(page, menuItem(page, item));
    };
    await nodeMenu("bypass");
    await expect(sampler).toHaveAttribute("data-mode", "bypass");
    await nodeMenu("mute");
    await expect(sampler).toHaveAttribute("data-mode", "mute");
    await nodeMenu("mute");
    await expect(sampler).toHaveAttribute("data-mode", "normal");
    await nodeMenu("colour-blue");
    await expect(sampler).toHaveAttribute("data-color", "#64b5f6");

    // Pinned: a drag on the header does not move it.
    await nodeMenu("pin");
    await expect(sampler).toHaveAttribute("data-pinned", "true");
    // Its position on the canvas (a drag on a pinned node pans the view instead, as the canvas would).
    const flowPosition = () =>
      page
        .locator(".react-flow__node", { has: sampler })
        .evaluate((el) => (el as HTMLElement).style.transform);
    const before = await flowPosition();
    const grip = await expectHittable(header(sampler), await pointOn(header(sampler), { x: 60, y: 10 }));
    await page.mouse.move(grip.x, grip.y);
    await page.mouse.down();
    await page.mouse.move(grip.x + 150, grip.y + 80, { steps: 8 });
    await page.mouse.up();
    expect(await flowPosition()).toBe(before);

    // Convert cfg to an input: a Number node holding its value feeds it; and back.
    await nodeMenu("to-input-cfg");
    await expect(nodes(page, "primitive-float")).toHaveCount(1);
    await expect(page.locator(".react-flow__edge")).toHaveCount(1);
    await expect(sampler.getByTestId("widget-cfg")).toContainText("from link");
    await shot(page, "03-converted-to-input");
    await nodeMenu("to-widget-cfg");
    await expect(page.locator(".react-flow__edge")).toHaveCount(0);
    await expect(sampler.getByTestId("widget-cfg").locator("input")).toHaveValue(/7\.5/);

    await nodeMenu("delete");
    await expect(sampler).toHaveCount(0);
  });

  test("node search offers Petalflow nodes for ComfyUI names", async ({ page }) => {
    await openGraph(page, null);
    for (const [query, type] of [
      ["ksampler", "unet-step"],
      ["clip text encode", "text-encoder"],
      ["checkpoint loader", "model-loader"],
      ["empty latent image", "empty-latent"],
      ["vae decode", "vae-decode"],
    ]) {
      const p = await canvasPoint(page, 500, 400);
      await page.mouse.move(p.x, p.y);
      await page.keyboard.press("/");
      const search = page.getByTestId("node-search");
      await search.getByRole("combobox").fill(query);
      await expect(search.getByRole("option").first()).toHaveAttribute(
        "data-testid",
        `search-result-${type}`,
      );
      await page.keyboard.press("Escape");
    }
  });

  test("paste lands at the pointer; palette clicks never stack; Alt+drag clones", async ({ page }) => {
    await openGraph(page, null);
    await addNodeFromMenu(page, await canvasPoint(page, 200, 150), "noise", "noise");
    const noise = nodes(page, "noise");
    await clickLikeAPerson(page, header(noise.first()), { offset: { x: 40, y: 10 } });
    await page.keyboard.press("Control+c");
    const zoom = await zoomOf(page);
    for (const [i, at] of [
      [1, await canvasPoint(page, 520, 120)],
      [2, await canvasPoint(page, 520, 420)],
    ] as const) {
      await page.mouse.move(at.x, at.y);
      await page.keyboard.press("Control+v");
      await expect(noise).toHaveCount(1 + i);
      const box = (await noise.nth(i).boundingBox())!;
      expect(Math.abs(box.x - at.x)).toBeLessThan(3);
      expect(Math.abs(box.y - at.y)).toBeLessThan(3);
    }
    // A second paste without moving steps aside instead of stacking exactly.
    await page.keyboard.press("Control+v");
    await expect(noise).toHaveCount(4);
    const [third, fourth] = [(await noise.nth(2).boundingBox())!, (await noise.nth(3).boundingBox())!];
    expect(fourth.x - third.x).toBeCloseTo(32 * zoom, 0);
    await shot(page, "04-pastes");

    // Palette clicks: at the view's centre, never on top of another node.
    const palette = page.getByRole("navigation", { name: "Node palette" });
    for (let i = 0; i < 3; i++)
      await clickLikeAPerson(page, palette.getByRole("button", { name: "VAE Decode" }));
    await expect(nodes(page, "vae-decode")).toHaveCount(3);
    // (The pastes above overlap on purpose, 32 px apart, as repeated pastes do.)
    await expect
      .poll(async () => overlaps(await renderedNodeBoxes(page)).filter((pair) => pair.includes("vae-decode")))
      .toEqual([]);
    await shot(page, "05-palette-adds");

    // Alt+drag: the clone goes where the pointer lets go; the original stays.
    const original = nodes(page, "vae-decode").first();
    const start = (await original.boundingBox())!;
    const grip = await expectHittable(header(original), await pointOn(header(original), { x: 40, y: 10 }));
    await page.keyboard.down("Alt");
    await page.mouse.move(grip.x, grip.y);
    await page.mouse.down();
    await page.mouse.move(grip.x, grip.y + 260, { steps: 10 });
    await page.mouse.up();
    await page.keyboard.up("Alt");
    await expect(nodes(page, "vae-decode")).toHaveCount(4);
    const moved = (await nodes(page, "vae-decode").first().boundingBox())!;
    expect(moved.y).toBeCloseTo(start.y, 0);
    const clone = (await nodes(page, "vae-decode").nth(3).boundingBox())!;
    expect(clone.y - start.y).toBeGreaterThan(200);
    await shot(page, "06-alt-drag-clone");
  });

  test("a link dragged off its input is removed; an ordinary image dropped becomes a Load Image node", async ({
    page,
  }) => {
    await openGraph(page, "txt2img");
    const decode = nodes(page, "vae-decode");
    await expect(decode).toBeVisible();
    const edges = page.locator(".react-flow__edge");
    const count = await edges.count();
    const handle = decode.getByTestId("handle-in-latent");
    const from = await expectHittable(handle);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x - 40, from.y + 300, { steps: 10 });
    await page.mouse.up();
    await expect(edges).toHaveCount(count - 1);
    await expect(page.getByTestId("node-search")).toBeHidden();

    // Drop a plain PNG (no graph inside) on the canvas.
    const png = encodePng({ width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(90) });
    const dt = await page.evaluateHandle((bytes) => {
      const d = new DataTransfer();
      d.items.add(new File([new Uint8Array(bytes)], "photo.png", { type: "image/png" }));
      return d;
    }, Array.from(png));
    const at = await canvasPoint(page, 420, 560);
    await page.dispatchEvent('[data-testid="canvas"]', "dragover", {
      dataTransfer: dt,
      clientX: at.x,
      clientY: at.y,
    });
    await expect(page.getByTestId("drop-hint")).toBeVisible();
    await shot(page, "07-drag-over");
    await page.dispatchEvent('[data-testid="canvas"]', "drop", {
      dataTransfer: dt,
      clientX: at.x,
      clientY: at.y,
    });
    const loader = nodes(page, "load-image");
    await expect(loader).toHaveCount(1);
    await expect(loader.locator("img.pf-thumb")).toHaveAttribute("src", /\/api\/uploads\//);
    await expect(page.getByTestId("status-line")).toContainText("Added a Load Image node with photo.png");
    await expect(page.getByTestId("status-line")).not.toContainText("source.base64");
    await shot(page, "08-image-dropped");
  });

  test("values: clamping is said at the field; a width of 63 is refused before the run", async ({ page }) => {
    await openGraph(page, "txt2img");
    const schedule = nodes(page, "scheduler");
    const steps = schedule.getByTestId("widget-steps").locator("input");
    await clickLikeAPerson(page, steps);
    await steps.fill("0");
    await steps.press("Tab");
    await expect(steps).toHaveValue("1");
    await expect(schedule.getByTestId("field-note")).toHaveText("0 is below the minimum 1: set to 1");
    await shot(page, "09-clamped");

    const width = nodes(page, "empty-latent").getByTestId("widget-width").locator("input");
    await clickLikeAPerson(page, width);
    await width.fill("63");
    await width.press("Tab");
    await expect(nodes(page, "empty-latent").getByTestId("field-note")).toContainText("multiple of 8");
    await clickLikeAPerson(page, page.getByTestId("run-button"));
    await expect(page.getByTestId("status-line")).toContainText(
      "width must be a multiple of 8, got 63 (try 64)",
    );
    await shot(page, "10-width-63");
  });

  test("a failed run leaves nothing 'queued'; its message goes with the failed node", async ({ page }) => {
    // t = 5000 is past the schedule's T = 1000: the run fails at run time (on a node in view).
    await openGraph(page, "forward-process", (doc) => {
      doc.nodes.find((n) => n.id === "noisy0")!.params.timestep = 5000;
    });
    await clickLikeAPerson(page, page.getByTestId("run-button"));
    const status = page.getByTestId("status-line");
    await expect(status).toContainText("Run failed", { timeout: 60_000 });
    await expect(status).not.toContainText("Queued with seed");
    await expect(page.locator('[data-testid="node-status"][data-status="queued"]')).toHaveCount(0);
    await expect(page.locator('[data-testid="node-status"][data-status="running"]')).toHaveCount(0);
    await shot(page, "11-failed-run");
    const failed = page.locator('[data-testid="node"]:has([data-status="failed"])').first();
    await clickLikeAPerson(page, header(failed), { offset: { x: 40, y: 10 } });
    await page.keyboard.press("Delete");
    await expect(status).not.toContainText("Run failed");
  });

  test("readable at the first look; tab title; side panel keeps its width; teaching views", async ({
    page,
  }) => {
    const name = await openGraph(page, "txt2img");
    await expect(page).toHaveTitle(`${name} — Petalflow`);
    await expect.poll(() => zoomOf(page)).toBeGreaterThanOrEqual(0.8);
    // The graph's start (Model Loader) is on screen and readable.
    await expectHittable(
      header(nodes(page, "model-loader")),
      await pointOn(header(nodes(page, "model-loader")), { x: 30, y: 10 }),
    );
    await shot(page, "12-opened-readable");

    // Four seeds: the grid stays inside the 320 px panel, images on a neutral background.
    await clickLikeAPerson(page, page.getByRole("tab", { name: "Results" }));
    const count = page.locator("#sweep-count");
    await count.fill("4");
    await clickLikeAPerson(page, page.getByTestId("run-seeds"));
    await expect(page.locator('[data-testid="grid-cell"] img')).toHaveCount(4, { timeout: 90_000 });
    const side = page.locator("aside.pf-side");
    expect(Math.round((await side.boundingBox())!.width)).toBe(320);
    const panel = side.locator(".pf-panel");
    expect(await panel.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    const bg = await page
      .locator('[data-testid="grid-cell"] img')
      .first()
      .evaluate((el) => getComputedStyle(el).backgroundImage);
    expect(bg).toContain("conic-gradient");
    await shot(page, "13-four-seeds");

    // Narrow window: the minimap shrinks out of the way.
    await page.setViewportSize({ width: 1024, height: 768 });
    const canvasWidth = (await page.getByTestId("canvas").boundingBox())!.width;
    const minimap = page.locator(".react-flow__minimap");
    const mapWidth = (await minimap.isVisible()) ? (await minimap.boundingBox())!.width : 0;
    expect(mapWidth / canvasWidth).toBeLessThan(0.25);
    await shot(page, "14-narrow");
  });

  test("forward process: the plot marks the rows' t; Add Noise shows ᾱ_t; Layout keeps the rows", async ({
    page,
  }) => {
    await openGraph(page, "forward-process");
    const plot = page.getByTestId("schedule-plot");
    await expect(plot).toBeVisible();
    expect(await plot.locator(".pf-plot__tick").count()).toBeLessThanOrEqual(41);
    await expect(plot.getByTestId("plot-mark")).toHaveCount(5);
    expect(
      await plot.getByTestId("plot-mark").evaluateAll((els) => els.map((e) => e.getAttribute("data-t"))),
    ).toEqual(["0", "250", "500", "750", "999"]);
    const coeffs = page.locator('[data-node-id="noisy500"] [data-testid="forward-coefficients"]');
    await expect(coeffs).toContainText("500");
    const values = await coeffs.locator("dd").allTextContents();
    const [alphaBar, signal, noise] = values.slice(1).map(Number);
    expect(signal).toBeCloseTo(Math.sqrt(alphaBar), 3);
    expect(noise).toBeCloseTo(Math.sqrt(1 - alphaBar), 3);
    await shot(page, "15-forward-process");

    await clickLikeAPerson(page, page.getByRole("button", { name: "Layout" }));
    await expect
      .poll(async () => {
        const ys: number[] = [];
        for (const t of [0, 250, 500, 750, 999])
          ys.push((await page.locator(`[data-node-id="noisy${t}"]`).boundingBox())?.y ?? Number.NaN);
        return ys.every((y, i) => i === 0 || y > ys[i - 1]);
      })
      .toBe(true);
    await shot(page, "16-after-layout");
  });
});
