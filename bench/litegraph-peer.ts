/**
 * The LiteGraph peer of the editor benchmark: ComfyUI's canvas (`@comfyorg/litegraph`, a dev
 * dependency used only here) showing the same generated graphs, in the same headless Chromium, measured
 * the same way. Its page is served by Playwright's request routing (no server, nothing of the app):
 * every Petalflow node type becomes a LiteGraph node type with the same input and output sockets and
 * one widget per parameter (number, combo, toggle or text: ComfyUI's own widgets), placed where the
 * document places it, every link connected, the view fitted to the graph.
 *
 * Load: from the navigation's start to the end of the first frame drawn after the graph was built.
 * Frames: the editor benchmark's pan/zoom sequence (wheel zoom and drags on empty canvas: LiteGraph's
 * default "legacy" navigation zooms on the wheel and pans on a drag of the background).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Browser, Page } from "@playwright/test";
import type { GraphDocument } from "../core/graph/document";
import { registry } from "../nodes/registry";

const ORIGIN = "http://litegraph.bench";

/** Node types as LiteGraph needs them: sockets and widgets, from our registry. */
function nodeTypes(doc: GraphDocument) {
  const used = new Set(doc.nodes.map((n) => n.type));
  return [...used].map((id) => {
    const def = registry.get(id)!;
    return {
      id,
      title: def.title ?? id,
      inputs: Object.entries(def.inputs).map(([name, s]) => [name, s.type]),
      outputs: Object.entries(def.outputs).map(([name, s]) => [name, s.type]),
      widgets: Object.entries(def.widgets).map(([name, w]) => {
        const options = "options" in w ? [...(w.options as readonly string[])] : undefined;
        const kind =
          w.kind === "enum"
            ? "combo"
            : w.kind === "boolean"
              ? "toggle"
              : w.kind === "int" || w.kind === "float" || w.kind === "seed"
                ? "number"
                : "text";
        return [kind, name, options];
      }),
    };
  });
}

const PAGE_SCRIPT = `
import { LGraph, LGraphCanvas, LGraphNode, LiteGraph } from "./litegraph.es.js";
import data from "./graph.js";
const canvasEl = document.getElementById("c");
// The editor's canvas rectangle and view when given (the same part of the graph on the same area).
const rect = data.view?.rect ?? { left: 0, top: 0, width: innerWidth, height: innerHeight };
Object.assign(canvasEl.style, { position: "absolute", left: rect.left + "px", top: rect.top + "px" });
canvasEl.width = rect.width;
canvasEl.height = rect.height;
for (const t of data.types) {
  class N extends LGraphNode {
    constructor() {
      super(t.title);
      for (const [name, type] of t.inputs) this.addInput(name, type);
      for (const [name, type] of t.outputs) this.addOutput(name, type);
      for (const [kind, name, options] of t.widgets)
        this.addWidget(kind, name, kind === "combo" ? options[0] : kind === "toggle" ? false : kind === "number" ? 0 : "", () => {}, kind === "combo" ? { values: options } : {});
      this.size = this.computeSize();
    }
  }
  N.title = t.title;
  LiteGraph.registerNodeType("pf/" + t.id, N);
}
const graph = new LGraph();
const byId = new Map();
for (const n of data.nodes) {
  const node = LiteGraph.createNode("pf/" + n.type);
  node.pos = [n.x, n.y];
  for (const w of node.widgets ?? []) if (n.params[w.name] !== undefined && typeof n.params[w.name] !== "object") w.value = n.params[w.name];
  graph.add(node);
  byId.set(n.id, node);
}
for (const e of data.edges) {
  const from = byId.get(e.from), to = byId.get(e.to);
  from.connect(from.findOutputSlot(e.fromPort), to, to.findInputSlot(e.toPort));
}
const canvas = new LGraphCanvas(canvasEl, graph);
// Fit: the bounding box of every node, with 10 % padding (as the editor's fitView).
let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
for (const node of graph._nodes) {
  x0 = Math.min(x0, node.pos[0]); y0 = Math.min(y0, node.pos[1] - LiteGraph.NODE_TITLE_HEIGHT);
  x1 = Math.max(x1, node.pos[0] + node.size[0]); y1 = Math.max(y1, node.pos[1] + node.size[1]);
}
if (data.view) {
  // React Flow: screen = graph·zoom + t; LiteGraph: screen = (graph + offset)·scale.
  canvas.ds.scale = data.view.zoom;
  canvas.ds.offset[0] = data.view.x / data.view.zoom;
  canvas.ds.offset[1] = data.view.y / data.view.zoom;
} else {
  const scale = Math.min(canvasEl.width / (x1 - x0), canvasEl.height / (y1 - y0)) / 1.1;
  canvas.ds.scale = scale;
  canvas.ds.offset[0] = (canvasEl.width / scale - (x1 - x0)) / 2 - x0;
  canvas.ds.offset[1] = (canvasEl.height / scale - (y1 - y0)) / 2 - y0;
}
canvas.setDirty(true, true);
window.__lg = { graph, canvas, nodes: graph._nodes.length };
requestAnimationFrame(() => requestAnimationFrame(() => { window.__lgLoaded = performance.now(); }));
`;

/** Where the editor's canvas is in the window and how its view is set (React Flow's transform). */
export interface EditorView {
  rect: { left: number; top: number; width: number; height: number };
  x: number;
  y: number;
  zoom: number;
}

/** The editor's canvas rectangle and view, read from the page (after it has opened a graph). */
export function editorView(page: Page): Promise<EditorView> {
  return page.evaluate(() => {
    const r = document.querySelector(".react-flow__pane")!.getBoundingClientRect();
    const t = (document.querySelector(".react-flow__viewport") as HTMLElement).style.transform;
    const [x, y, zoom] = (t.match(/-?[\d.]+(e-?\d+)?/g) ?? ["0", "0", "1"]).map(Number);
    return { rect: { left: r.left, top: r.top, width: r.width, height: r.height }, x, y, zoom };
  });
}

/**
 * A fresh context with the LiteGraph page for `doc` (on the editor's canvas area and view when `view`
 * is given, else the whole window, fitted); the time from navigation to its first frame.
 */
export async function openLiteGraph(
  browser: Browser,
  doc: GraphDocument,
  viewport: { width: number; height: number },
  view?: EditorView,
) {
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve("@comfyorg/litegraph"));
  const files: Record<string, [string, string]> = {
    "/index.html": [
      "text/html",
      `<!doctype html><html><head><link rel="stylesheet" href="./litegraph.css"><style>html,body{margin:0;overflow:hidden}</style></head><body><canvas id="c"></canvas><script type="module" src="./page.js"></script></body></html>`,
    ],
    "/litegraph.es.js": ["text/javascript", readFileSync(path.join(dist, "litegraph.es.js"), "utf8")],
    "/litegraph.css": ["text/css", readFileSync(path.join(dist, "css", "litegraph.css"), "utf8")],
    "/page.js": ["text/javascript", PAGE_SCRIPT],
    "/graph.js": [
      "text/javascript",
      `export default ${JSON.stringify({
        types: nodeTypes(doc),
        view,
        nodes: doc.nodes.map((n) => ({
          id: n.id,
          type: n.type,
          x: n.position.x,
          y: n.position.y,
          params: n.params,
        })),
        edges: doc.edges.map((e) => ({
          from: e.from.node,
          fromPort: e.from.port,
          to: e.to.node,
          toPort: e.to.port,
        })),
      })};`,
    ],
  };
  const context = await browser.newContext({ viewport });
  await context.addInitScript("globalThis.__name = (f) => f;");
  await context.route(`${ORIGIN}/**`, (route) => {
    const f = files[new URL(route.request().url()).pathname];
    return f ? route.fulfill({ contentType: f[0], body: f[1] }) : route.fulfill({ status: 404, body: "" });
  });
  const page = await context.newPage();
  await page.goto(`${ORIGIN}/index.html`, { waitUntil: "commit", timeout: 60_000 });
  const handle = await page.waitForFunction(
    () => (globalThis as unknown as { __lgLoaded?: number }).__lgLoaded ?? false,
    undefined,
    { polling: "raf", timeout: 60_000 },
  );
  const ms = (await handle.jsonValue()) as number;
  const count = await page.evaluate(() => (globalThis as unknown as { __lg: { nodes: number } }).__lg.nodes);
  if (count !== doc.nodes.length) throw new Error(`LiteGraph shows ${count} of ${doc.nodes.length} nodes`);
  return { context, page, ms };
}

/** A point of empty canvas near (fx, fy) of the canvas (fractions): no node within 3 px. */
export function liteGraphEmptyPoint(page: Page, fx: number, fy: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ([fx, fy]) => {
      const { graph, canvas } = (
        globalThis as unknown as {
          __lg: {
            graph: { getNodeOnPos(x: number, y: number): unknown };
            canvas: { convertOffsetToCanvas(p: number[]): number[] };
          };
        }
      ).__lg;
      const r = document.getElementById("c")!.getBoundingClientRect();
      const w = r.width;
      const h = r.height;
      const free = (x: number, y: number) =>
        [
          [0, 0],
          [-3, -3],
          [3, 3],
          [-3, 3],
          [3, -3],
        ].every(([dx, dy]) => {
          const [gx, gy] = canvas.convertOffsetToCanvas([x - r.left + dx, y - r.top + dy]);
          return !graph.getNodeOnPos(gx, gy);
        });
      const cx = r.left + w * fx;
      const cy = r.top + h * fy;
      for (let r = 0; r < Math.min(w, h) / 2.5; r += 3) {
        const n = Math.max(1, Math.round((2 * Math.PI * r) / 3));
        for (let i = 0; i < n; i++) {
          const x = cx + r * Math.cos((2 * Math.PI * i) / n);
          const y = cy + r * Math.sin((2 * Math.PI * i) / n);
          if (free(x, y)) return { x, y };
        }
      }
      return { x: r.left + 8, y: r.top + 8 };
    },
    [fx, fy] as const,
  );
}
