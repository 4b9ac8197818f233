/**
 * "Control after run" as ComfyUI users know it (control_after_generate), and node warnings:
 * - the run uses the seed shown; the seed moves on only once the server accepted the run, and that
 *   is not an edit: the graph stays "saved";
 * - changing only the control re-runs nothing (it cannot change the image);
 * - a run that fails leaves the seed it failed with;
 * - a warning (a prompt past 77 tokens) shows on its node, also when the node is cached.
 */
import { readFileSync } from "node:fs";
import type { Page, Route } from "@playwright/test";
import { Editor, expect, MODEL, screenshot, test } from "./fixtures";
import { clickAsPerson, reachablePoint } from "./pointer";

test.describe.configure({ mode: "serial" });

const SEED = 300_000 + (Date.now() % 900_000_000);
const LONG_PROMPT = Array.from({ length: 90 }, (_, i) => ["red", "circle", "blue", "square"][i % 4]).join(
  " ",
);

/** examples/txt2img.json on the e2e model, 4 steps, laid out in a roomy grid so nothing overlaps. */
function documentUnderTest() {
  const doc = JSON.parse(readFileSync("examples/txt2img.json", "utf8"));
  const at: Record<string, [number, number]> = {
    model: [0, 0],
    positive: [0, 1],
    negative: [0, 2],
    latent: [1, 0],
    noise: [1, 1],
    schedule: [1, 2],
    sampler: [2, 0],
    decode: [2, 2],
    save: [3, 0],
  };
  for (const n of doc.nodes) {
    const [c, r] = at[n.id];
    n.position = { x: c * 420, y: r * 520 };
    if (n.id === "model") n.params.model = MODEL;
    if (n.id === "schedule") n.params.steps = 4;
    if (n.id === "positive") n.params.text = LONG_PROMPT;
    if (n.id === "noise") Object.assign(n.params, { seed: SEED, control: "fixed" });
  }
  doc.groups = [];
  doc.notes = [];
  return doc;
}

let page: Page;
let editor: Editor;

test.beforeAll(async ({ browser }, testInfo) => {
  const use = testInfo.project.use;
  const context = await browser.newContext({ baseURL: use.baseURL, viewport: use.viewport });
  page = await context.newPage();
  editor = new Editor(page);
  await page.goto("/library");
  const id = await page.evaluate(async (document) => {
    const res = await fetch("/api/trpc/graphs.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: `E2E seed control ${Date.now().toString(36)}`, document }),
    });
    const body = await res.json();
    return body.result.data.graph.id as string;
  }, documentUnderTest());
  await page.goto(`/graphs/${id}`);
  // It opens at a readable zoom showing its start; near zoom draws only the nodes on screen.
  await editor.canvas.fitView();
  await expect(editor.canvas.nodes()).toHaveCount(9);
});

test.afterAll(async () => {
  await page.context().close();
});

/**
 * Holds the editor's reads of the graph and its runs (graphs.get, runs.list, runs.get) until
 * `release()`, which resolves once the background re-read has ended: its last step, the list of runs
 * still active, has answered.
 */
async function holdRunReads(page: Page) {
  const pattern = /\/api\/trpc\/[^?]*(runs\.(list|get)|graphs\.get)/;
  let open!: () => void;
  const released = new Promise<void>((resolve) => {
    open = resolve;
  });
  const handler = async (route: Route) => {
    await released;
    await route.continue();
  };
  await page.route(pattern, handler);
  return {
    async release() {
      const resumed = page.waitForResponse(
        (r) => pattern.test(r.url()) && decodeURIComponent(r.url()).includes('"queued","running"'),
      );
      open();
      await resumed;
      // Only now: unrouting while held requests are still being continued fails them.
      await page.unroute(pattern, handler);
    },
  };
}

async function run(expected: "succeeded" | "failed") {
  const progress = page.getByTestId("run-progress");
  const before = (await progress.count()) ? await progress.getAttribute("data-run-id") : null;
  await clickAsPerson(page, page.getByTestId("run-button"));
  // The toolbar follows the run just queued (a new run id), until it ends.
  if (before) await expect(progress).not.toHaveAttribute("data-run-id", before);
  await expect(progress).toHaveAttribute("data-phase", /succeeded|failed|cancelled/, { timeout: 90_000 });
  await expect(progress).toHaveAttribute("data-phase", expected);
}

test("a fixed seed stays; the long prompt's warning shows on its text encoder", async () => {
  await expect(editor.saveState).toHaveAttribute("data-state", "saved");
  await run("succeeded");
  const noise = editor.canvas.node("noise");
  await expect(noise.field("seed")).toHaveValue(String(SEED));
  const positive = page.locator('[data-node-id="positive"]');
  await expect(positive.getByTestId("node-warning")).toContainText("only the first 75 are used");
  await expect(page.locator('[data-node-id="negative"]').getByTestId("node-warnings")).toHaveCount(0);
  await expect(editor.saveState).toHaveAttribute("data-state", "saved");
  await screenshot(page, "warning-on-node");
});

test("changing only 'control after run' re-runs nothing; the seed then moves on, and that is not an edit", async () => {
  const noise = editor.canvas.node("noise");
  await reachablePoint(page, noise.field("control"));
  await noise.field("control").selectOption("increment");
  // A save changes the head: the editor reads the graph again, then its latest results, in the
  // background. Those answers are held until the run below has ended, so they arrive after its live
  // states, as on a loaded server (where that race turned this cached Noise into "done").
  const reads = await holdRunReads(page);
  await editor.save(); // a user edit: saved as a version
  await run("succeeded");
  await reads.release();
  await expect(editor.canvas.node("save-image").root.getByTestId("result-seed")).toHaveText(`seed ${SEED}`);
  for (const id of ["noise", "sampler", "decode", "positive"])
    await expect(page.locator(`[data-node-id="${id}"]`).getByTestId("node-status")).toHaveAttribute(
      "data-status",
      "cached",
    );
  // A cached node still shows the warning it had when it ran.
  await expect(page.locator('[data-node-id="positive"]').getByTestId("node-warning")).toBeVisible();
  await expect(noise.field("seed")).toHaveValue(String(SEED + 1));
  await expect(editor.saveState).toHaveAttribute("data-state", "saved");

  await run("succeeded");
  await expect(editor.canvas.node("save-image").root.getByTestId("result-seed")).toHaveText(
    `seed ${SEED + 1}`,
  );
  await expect(page.locator('[data-node-id="noise"]').getByTestId("node-status")).toHaveAttribute(
    "data-status",
    "done",
  );
  await expect(noise.field("seed")).toHaveValue(String(SEED + 2));
  await expect(editor.saveState).toHaveAttribute("data-state", "saved");
  await screenshot(page, "seed-moved-still-saved");
});

test("a run that fails leaves the randomized seed it failed with", async () => {
  const noise = editor.canvas.node("noise");
  await noise.field("control").selectOption("randomize");
  // Noise 72 px wide against a 64 px latent: accepted, then the U-Net step fails at run time.
  await reachablePoint(page, noise.field("width"));
  await noise.setField("width", "72");
  const shown = await noise.field("seed").inputValue();
  await run("failed");
  await expect(page.locator('[data-node-id="sampler"]').getByTestId("node-status")).toHaveAttribute(
    "data-status",
    "failed",
  );
  await expect(noise.field("seed")).toHaveValue(shown);

  await noise.setField("width", "64");
  await run("succeeded");
  await expect(editor.canvas.node("save-image").root.getByTestId("result-seed")).toHaveText(`seed ${shown}`);
  await expect(noise.field("seed")).not.toHaveValue(shown);
  await screenshot(page, "after-failed-run");
});
