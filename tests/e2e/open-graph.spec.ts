/**
 * A saved graph opens with its page: the server reads the graph while it renders the page, so the
 * editor waits on no request made after hydration. Each such read opens the editor once: going Back to
 * the graph (the router may show its cached page) asks the server again, so a version saved elsewhere
 * meanwhile is what opens; a missing graph still says so.
 */
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { expect, GraphNode, screenshot, test } from "./fixtures";
import { clickLikeAPerson } from "./hit-test";

const PROMPT = "a lighthouse at dusk, opened with the page 7f3a";

function documentWith(prompt: string) {
  const doc = JSON.parse(readFileSync("examples/txt2img.json", "utf8"));
  for (const n of doc.nodes) if (n.id === "positive") n.params.text = prompt;
  return { ...doc, name: "Opened with the page" };
}

async function api<T>(page: Page, path: string, body: unknown): Promise<T> {
  return page.evaluate(
    async ([path, body]) => {
      const res = await fetch(`/api/trpc/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()).result.data;
    },
    [path, body] as const,
  );
}

/** The prompt field of the graph's positive Text Encoder. */
const promptField = (page: Page) =>
  new GraphNode(page, page.locator('[data-testid="node"][data-node-id="positive"]')).field("text");

/** The URLs of the graph reads (graphs.get, alone or batched) the page makes from now on. */
function graphReads(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/trpc/") && r.url().includes("graphs.get")) urls.push(r.url());
  });
  return urls;
}

test("a saved graph comes with its page: in the first HTML, and no graph request after hydration", async ({
  page,
  editor,
}) => {
  await page.goto("/library");
  const { graph } = await api<{ graph: { id: string } }>(page, "graphs.create", {
    name: "Opened with the page",
    document: documentWith(PROMPT),
  });
  const reads = graphReads(page);
  const response = await page.goto(`/graphs/${graph.id}`);
  // The page's HTML (streamed after its shell) carries the graph.
  expect(await response!.text()).toContain(PROMPT);
  await expect(promptField(page)).toHaveValue(PROMPT);
  await expect(editor.canvas.nodes()).toHaveCount(9);
  await expect(editor.saveState).toHaveText(/^Saved/);
  await screenshot(page, "open-graph-with-page");
  // Some time for any late query to leave: none may be a graph read.
  await page.waitForTimeout(1500);
  expect(reads).toEqual([]);
});

test("Back to a graph asks the server again: a version saved elsewhere meanwhile is what opens", async ({
  page,
  editor,
}) => {
  await page.goto("/library");
  const { graph } = await api<{ graph: { id: string; headVersion: { id: string } } }>(page, "graphs.create", {
    name: "Opened with the page",
    document: documentWith(PROMPT),
  });
  await page.goto(`/graphs/${graph.id}`);
  await expect(promptField(page)).toHaveValue(PROMPT);
  // To the library through the toolbar (a client-side navigation), and a save made elsewhere.
  await clickLikeAPerson(page, page.getByRole("link", { name: "Library" }));
  await expect(page).toHaveURL(/\/library$/);
  const later = `${PROMPT}, saved elsewhere`;
  await api(page, "graphs.save", {
    id: graph.id,
    document: documentWith(later),
    baseVersionId: graph.headVersion.id,
  });
  const reads = graphReads(page);
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`/graphs/${graph.id}$`));
  await expect(promptField(page)).toHaveValue(later);
  await expect(editor.saveState).toHaveText(/^Saved/);
  await screenshot(page, "open-graph-after-back");
  expect(reads.length).toBeGreaterThan(0);
});

test("a missing graph still says so", async ({ page }) => {
  await page.goto("/graphs/no-such-graph");
  await expect(page.getByRole("heading", { name: "Cannot open this graph" })).toBeVisible();
  await expect(page.locator("p[role=alert]")).toHaveText("graph not found");
  await screenshot(page, "open-graph-missing");
});

/** Text that only a part left out of the graph page's first scripts (lazy-parts.tsx) contains. */
const LEFT_OUT = {
  "History panel": "Loading the history…",
  "Share panel": "Create a link to the current version",
  "System panel": "No worker has connected: runs wait.",
  "node search": "No matching node",
  "Layout's dagre": "network-simplex",
};

test("the graph page's first scripts leave out the panels, search, menu and Layout; they still open", async ({
  page,
}) => {
  await page.goto("/library");
  const { graph } = await api<{ graph: { id: string } }>(page, "graphs.create", {
    name: "Opened with the page",
    document: documentWith(PROMPT),
  });
  const response = await page.goto(`/graphs/${graph.id}`);
  const html = await response!.text();
  const sources = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)].map((m) => m[1]);
  expect(sources.length).toBeGreaterThan(0);
  let code = "";
  for (const src of sources) code += await (await page.request.get(src)).text();
  expect(code, "the canvas is in the first scripts").toContain("react-flow__");
  for (const [part, text] of Object.entries(LEFT_OUT))
    expect(code.includes(text), `${part} in the first scripts`).toBe(false);

  await expect(promptField(page)).toHaveValue(PROMPT);
  await clickLikeAPerson(page, page.getByRole("tab", { name: "History" }));
  await expect(page.getByText("No runs yet. Press ▶ Run (Ctrl+Enter).")).toBeVisible();
  await clickLikeAPerson(page, page.getByRole("tab", { name: "System" }));
  await expect(page.getByRole("tabpanel")).not.toContainText("Loading…");
  await expect(page.getByRole("tabpanel")).toContainText(/model/i);
  await screenshot(page, "open-graph-system-panel");
  // Layout (dagre, loaded on first use) moves the nodes.
  const positions = () =>
    page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".react-flow__node")].map((n) => n.style.transform).join(),
    );
  const before = await positions();
  await clickLikeAPerson(page, page.getByRole("button", { name: "Layout" }));
  await expect.poll(positions).not.toBe(before);
  await screenshot(page, "open-graph-after-layout");
});
