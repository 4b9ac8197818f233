/**
 * A large graph (504 nodes: the txt2img example 56 times on a grid). Opening it builds only the nodes
 * on screen (React Flow used to build every node once to measure it); fitted to the view, they all draw
 * light (no widgets) with their links; zoomed back in, the nodes on screen are whole again and their
 * widgets take clicks and typing; links meet their handles.
 */
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { expect, screenshot, test } from "./fixtures";
import { clickLikeAPerson, expectHittable } from "./hit-test";
import { typeAsPerson } from "./pointer";

const COPIES = 56;
const COLUMNS = 8;

function bigDocument() {
  const base = JSON.parse(readFileSync("examples/txt2img.json", "utf8"));
  const nodes = [];
  const edges = [];
  for (let k = 0; k < COPIES; k++) {
    const ox = (k % COLUMNS) * 1250;
    const oy = Math.floor(k / COLUMNS) * 820;
    for (const n of base.nodes)
      nodes.push({ ...n, id: `c${k}.${n.id}`, position: { x: n.position.x + ox, y: n.position.y + oy } });
    for (const e of base.edges)
      edges.push({
        ...e,
        id: `c${k}.${e.id}`,
        from: { ...e.from, node: `c${k}.${e.from.node}` },
        to: { ...e.to, node: `c${k}.${e.to.node}` },
      });
  }
  return { ...base, name: "Big graph", nodes, edges };
}

const zoomOf = (page: Page) =>
  page.evaluate(() => {
    const t = document.querySelector<HTMLElement>(".react-flow__viewport")!.style.transform;
    return Number(/scale\(([\d.e-]+)\)/.exec(t)?.[1] ?? 1);
  });

/**
 * For every drawn link between two drawn nodes: how far (flow px) its ends are from where the handles
 * it joins are drawn. Links placed from estimated handles, not measured ones, would be off.
 */
type Links = Record<string, [string, string, string, string]>;
const linksOf = (doc: ReturnType<typeof bigDocument>): Links =>
  Object.fromEntries(
    doc.edges.map(
      (e: { id: string; from: { node: string; port: string }; to: { node: string; port: string } }) => [
        e.id,
        [e.from.node, e.from.port, e.to.node, e.to.port],
      ],
    ),
  );
const linkEndErrors = (page: Page, links: Links) =>
  page.evaluate((links) => {
    const vp = document.querySelector<HTMLElement>(".react-flow__viewport")!;
    const m = new DOMMatrix(getComputedStyle(vp).transform);
    const origin = vp.getBoundingClientRect();
    const toFlow = (x: number, y: number) => ({ x: (x - origin.left) / m.a, y: (y - origin.top) / m.a });
    const centre = (nodeId: string, handle: string, kind: "source" | "target") => {
      const el = document.querySelector(
        `.react-flow__node[data-id="${CSS.escape(nodeId)}"] .react-flow__handle.${kind}[data-handleid="${CSS.escape(handle)}"]`,
      );
      if (!el) return null;
      // React Flow joins a link to an output's right side and an input's left side, at mid-height.
      const r = el.getBoundingClientRect();
      return toFlow(kind === "source" ? r.right : r.left, r.top + r.height / 2);
    };
    const errors: number[] = [];
    for (const g of document.querySelectorAll<SVGGElement>(".react-flow__edge")) {
      const link = links[g.getAttribute("data-id") ?? ""];
      const path = g.querySelector("path.react-flow__edge-path")?.getAttribute("d") ?? "";
      const nums = (path.match(/-?[\d.]+(e-?\d+)?/g) ?? []).map(Number);
      if (!link || nums.length < 4) continue;
      const s = centre(link[0], link[1], "source");
      const t = centre(link[2], link[3], "target");
      if (!s || !t) continue;
      const [sx, sy] = nums;
      const [tx, ty] = nums.slice(-2);
      errors.push(Math.hypot(sx - s.x, sy - s.y), Math.hypot(tx - t.x, ty - t.y));
    }
    return errors;
  }, links);

/** Clicks the zoom-in control, one step at a time (each step seen to land), until `done(zoom)`. */
async function zoomTo(page: Page, done: (zoom: number) => boolean, control = ".react-flow__controls-zoomin") {
  for (let i = 0; i < 12 && !done(await zoomOf(page)); i++) {
    const before = await zoomOf(page);
    await clickLikeAPerson(page, page.locator(control));
    await expect.poll(() => zoomOf(page)).not.toBe(before);
    await page.waitForTimeout(300); // the control's animated step ends
  }
  expect(done(await zoomOf(page)), `zoom ${await zoomOf(page)}`).toBe(true);
}

/** A point of empty canvas (the pane, with a few px of pane around it) near (fx, fy) of the pane. */
const emptyPanePoint = (page: Page, fx: number, fy: number) =>
  page.evaluate(
    ([fx, fy]) => {
      const pane = document.querySelector(".react-flow__pane")!.getBoundingClientRect();
      const onPane = (x: number, y: number) =>
        [-4, 0, 4].every((dx) =>
          [-4, 0, 4].every((dy) =>
            document.elementFromPoint(x + dx, y + dy)?.classList.contains("react-flow__pane"),
          ),
        );
      const cx = pane.x + pane.width * fx;
      const cy = pane.y + pane.height * fy;
      for (let r = 0; r < 300; r += 4)
        for (let i = 0; i < 24; i++) {
          const x = cx + r * Math.cos((i * Math.PI) / 12);
          const y = cy + r * Math.sin((i * Math.PI) / 12);
          if (onPane(x, y)) return { x, y };
        }
      return null;
    },
    [fx, fy] as const,
  );

test("a 504-node graph opens with only the nodes on screen built, light when zoomed far out, whole and editable when zoomed in", async ({
  page,
  editor,
}) => {
  // The most nodes ever in the page while the graph opens.
  await page.addInitScript(() => {
    const w = window as unknown as { __pfMostNodes: number };
    w.__pfMostNodes = 0;
    new MutationObserver(() => {
      w.__pfMostNodes = Math.max(w.__pfMostNodes, document.querySelectorAll(".react-flow__node").length);
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto("/library");
  const doc = bigDocument();
  const id = await page.evaluate(async (document) => {
    const res = await fetch("/api/trpc/graphs.create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: document.name, document }),
    });
    return (await res.json()).result.data.graph.id as string;
  }, doc);
  const links = linksOf(doc);
  await page.goto(`/graphs/${id}`);
  const nodes = editor.canvas.nodes();
  await expect(nodes.first()).toBeVisible({ timeout: 60_000 });
  await expect(editor.canvas.root.locator('.pf-node[data-lod="full"]').first()).toBeVisible();
  // Opened at a readable zoom on the graph's start: a few dozen nodes on screen, the rest never built.
  const mounted = await editor.canvas.root.locator(".react-flow__node").count();
  expect(mounted).toBeGreaterThan(3);
  expect(mounted).toBeLessThan(80);
  const most = await page.evaluate(() => (window as unknown as { __pfMostNodes: number }).__pfMostNodes);
  expect(most, "nodes built at once while opening").toBeLessThan(80);
  expect(Math.max(...(await linkEndErrors(page, links)))).toBeLessThan(2);
  await screenshot(page, "big-graph-opened");

  // Pan: nodes never drawn before come in, and their links meet their (now measured) handles.
  const from = await emptyPanePoint(page, 0.7, 0.6);
  expect(from, "an empty point of the canvas to drag").not.toBeNull();
  await page.mouse.move(from!.x, from!.y);
  await page.mouse.down();
  await page.mouse.move(from!.x - 500, from!.y - 300, { steps: 15 });
  await page.mouse.up();
  await expect.poll(() => linkEndErrors(page, links).then((e) => e.length)).toBeGreaterThan(4);
  await expect.poll(() => linkEndErrors(page, links).then((e) => Math.max(...e))).toBeLessThan(2);

  // Far out: every node light (title, colour, sockets; no widgets), the links still drawn.
  // The fit-view control (it waits for every node to have a size: never-drawn nodes have estimates).
  await editor.canvas.fitView();
  await expect.poll(() => zoomOf(page)).toBeLessThan(0.2);
  await expect(editor.canvas.root.locator(".react-flow__node")).toHaveCount(doc.nodes.length);
  await expect(editor.canvas.root.locator('.pf-node[data-lod="full"]')).toHaveCount(0);
  await expect(editor.canvas.root.locator('.pf-node[data-lod="light"]').first()).toBeVisible();
  await expect(editor.canvas.root.locator(".pf-node__widgets input, .pf-node__widgets select")).toHaveCount(
    0,
  );
  expect(await editor.canvas.edges().count()).toBeGreaterThan(20);
  await screenshot(page, "big-graph-far");

  // Back in: the nodes on screen are whole again; a widget takes a click and typing.
  await zoomTo(page, (z) => z > 0.7);
  await expect(editor.canvas.root.locator('.pf-node[data-lod="light"]')).toHaveCount(0);
  const noiseNodes = editor.canvas.nodes("noise");
  await expect(noiseNodes.first()).toBeVisible();
  // The first noise node whose seed field a person can reach (the minimap or the screen's edge may hide some).
  let seed = null;
  for (let i = 0; i < (await noiseNodes.count()); i++) {
    const field = editor.canvas.node("noise", i).field("seed");
    const box = await field.boundingBox();
    const view = page.viewportSize()!;
    if (
      box &&
      box.x > 0 &&
      box.y > 0 &&
      box.x + box.width < view.width - 260 &&
      box.y + box.height < view.height - 200
    ) {
      seed = field;
      break;
    }
  }
  expect(seed, "a noise node's seed field on screen").not.toBeNull();
  await expectHittable(seed!);
  await typeAsPerson(page, seed!, "4242");
  await seed!.press("Tab");
  await expect(seed!).toHaveValue("4242");
  await clickLikeAPerson(page, seed!);
  await expect(seed!).toBeFocused();
  await screenshot(page, "big-graph-near");
});
