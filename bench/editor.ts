/**
 * Benchmark 5 — editor vs LiteGraph (ComfyUI's canvas, bench/litegraph-peer.ts): open generated 20-,
 * 500- and 2,000-node graphs in headless Chromium (Debian's, as the e2e tests use) and pan/zoom them,
 * Petalflow and LiteGraph on the same graphs, canvas area and view, interleaved. Goals at 500 nodes:
 * load ≤ 1.5× LiteGraph's, p95 frame ≤ LiteGraph's; 2,000 nodes: figures (does it open and pan usably).
 *
 * The graphs are built from the node registry: 10-node txt2img subgraphs (Model Loader, two Text
 * Encoders, Scheduler, Empty Latent, Noise, U-Net step, VAE Decode, Save Image, Preview Image; 13 links)
 * with each node's declared version and default parameters, on a grid. They are stored through the API
 * (graphs.create over HTTP, which must report no problems) and opened at `/graphs/<id>`.
 *
 * - Load: from the navigation's start (the page's time origin) until the nodes on screen are in the
 *   DOM, measured (none hidden) and drawn in full (no light placeholder at a near zoom), and their
 *   count has not changed for 10 frames; polled every animation frame; a fresh browser context each
 *   time (no backup in localStorage, no shared page state; the HTTP cache is per context too).
 *   BENCH_EDITOR_LOADS (3) loads per graph and editor, after one unmeasured warm-up load.
 * - Frames: the same input sequence on each graph and editor, paced to ≈ 3 s (wheel zooms in and out
 *   around empty spots, and drags of the pane, as real mouse input through CDP), while the page
 *   records requestAnimationFrame deltas; BENCH_EDITOR_ROUNDS (2) rounds; p50 and p95 per round
 *   (min/median/max) and over the pooled rounds.
 *
 * Runs alone (`npx tsx bench/editor.ts`) or from bench/index.ts with its shared server. Bounded in time:
 * a watchdog closes the browser after BENCH_EDITOR_BUDGET_S (default 900 s) from the server being up.
 */
import { loadavg } from "node:os";
import { type Browser, chromium, type Page } from "@playwright/test";
import {
  DOCUMENT_FORMAT,
  DOCUMENT_FORMAT_VERSION,
  type DocumentEdge,
  type DocumentNode,
  type GraphDocument,
} from "../core/graph/document";
import { defaultParams } from "../core/node/define";
import { registry } from "../nodes/registry";
import { chromiumLaunchOptions } from "../tests/e2e/chromium";
import { reachablePoint } from "../tests/e2e/pointer";
import { benchModel, exampleDoc, median, percentile, report, spread } from "./lib";
import { type EditorView, editorView, liteGraphEmptyPoint, openLiteGraph } from "./litegraph-peer";
import { type BenchServer, benchClient, startServer } from "./server-lib";

const VIEWPORT = { width: 1280, height: 800 };
/** The "opens and pans usably" graph size (no goal ratio; its figures are reported). */
const HUGE = 2000;

// ---- the generated documents --------------------------------------------------------------------

interface TemplateNode {
  key: string;
  type: string;
  /** Position inside the subgraph's cell (flow units; nodes are 250 wide). */
  x: number;
  y: number;
  params?: (k: number) => Record<string, unknown>;
}

/**
 * One txt2img subgraph, packed into 4 columns (≈ 1060 × 580 flow units with the nodes' measured
 * heights: the Scheduler ≈ 426, the U-Net step ≈ 324, the rest 78–200).
 */
const SUBGRAPH: TemplateNode[] = [
  { key: "model", type: "model-loader", x: 0, y: 0 },
  { key: "schedule", type: "scheduler", x: 0, y: 150, params: () => ({ steps: 25 }) },
  {
    key: "positive",
    type: "text-encoder",
    x: 270,
    y: 0,
    params: (k) => ({ text: `a red circle, no. ${k}` }),
  },
  { key: "negative", type: "text-encoder", x: 270, y: 160, params: () => ({ text: "" }) },
  { key: "latent", type: "empty-latent", x: 270, y: 320, params: () => ({ width: 64, height: 64 }) },
  { key: "noise", type: "noise", x: 540, y: 0, params: (k) => ({ width: 64, height: 64, seed: 1000 + k }) },
  { key: "sampler", type: "unet-step", x: 540, y: 215 },
  { key: "decode", type: "vae-decode", x: 810, y: 0 },
  { key: "save", type: "save-image", x: 810, y: 95, params: (k) => ({ prefix: `bench-${k}` }) },
  { key: "preview", type: "preview-image", x: 810, y: 245 },
];
const LINKS: [string, string, string, string][] = [
  ["model", "textEncoder", "positive", "textEncoder"],
  ["model", "textEncoder", "negative", "textEncoder"],
  ["model", "unet", "schedule", "unet"],
  ["model", "unet", "sampler", "unet"],
  ["model", "vae", "decode", "vae"],
  ["positive", "conditioning", "sampler", "positive"],
  ["negative", "conditioning", "sampler", "negative"],
  ["latent", "latent", "sampler", "latent"],
  ["noise", "noise", "sampler", "noise"],
  ["schedule", "schedule", "sampler", "schedule"],
  ["sampler", "latent", "decode", "latent"],
  ["decode", "image", "save", "image"],
  ["decode", "image", "preview", "image"],
];
const CELL = { width: 1100, height: 610 };
/** Columns of subgraphs: about the aspect of the editor's canvas at 1280 × 800 (≈ 780 × 730). */
const GRID_COLUMNS = 6;

export function generatedDocument(nodeCount: number, model: string): GraphDocument {
  if (nodeCount % SUBGRAPH.length) throw new Error(`node count must be a multiple of ${SUBGRAPH.length}`);
  const count = nodeCount / SUBGRAPH.length;
  const columns = Math.min(count, GRID_COLUMNS);
  const nodes: DocumentNode[] = [];
  const edges: DocumentEdge[] = [];
  for (let k = 0; k < count; k++) {
    const ox = (k % columns) * CELL.width;
    const oy = Math.floor(k / columns) * CELL.height;
    for (const t of SUBGRAPH) {
      const def = registry.get(t.type);
      if (!def) throw new Error(`no node type ${t.type} in the registry`);
      const params = { ...defaultParams(def), ...t.params?.(k) };
      if (t.type === "model-loader") params.model = model;
      for (const p of Object.keys(params))
        if (!(p in def.widgets)) throw new Error(`${t.type} has no widget ${p}`);
      nodes.push({
        id: `g${k}.${t.key}`,
        type: def.id,
        version: def.version,
        position: { x: ox + t.x, y: oy + t.y },
        params,
        mode: "normal",
      });
    }
    LINKS.forEach(([from, out, to, input], i) => {
      const fromType = SUBGRAPH.find((t) => t.key === from)!.type;
      const toType = SUBGRAPH.find((t) => t.key === to)!.type;
      if (!registry.get(fromType)?.outputs[out]) throw new Error(`${fromType} has no output ${out}`);
      if (!registry.get(toType)?.inputs[input]) throw new Error(`${toType} has no input ${input}`);
      edges.push({
        id: `g${k}.e${i}`,
        from: { node: `g${k}.${from}`, port: out },
        to: { node: `g${k}.${to}`, port: input },
      });
    });
  }
  return {
    format: DOCUMENT_FORMAT,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    name: `Bench: ${nodeCount} nodes`,
    description: `${count} txt2img subgraphs on a grid, generated by bench/editor.ts`,
    nodes,
    edges,
    groups: [],
    notes: [],
    metadata: {},
  };
}

// ---- in the browser -----------------------------------------------------------------------------

/** A fresh context, the graph opened, and the time from the navigation's start to every node rendered. */
async function openGraph(browser: Browser, url: string, expected: number) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  // tsx (esbuild's keepNames) wraps named functions in the code given to page.evaluate in `__name(…)`.
  await context.addInitScript("globalThis.__name = (f) => f;");
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "commit", timeout: 60_000 });
  // expected < 0: a graph larger than the view; loaded once the rendered nodes (all measured) stop
  // changing for 10 frames, at the time their count was first reached.
  const handle = await page.waitForFunction(
    (n) => {
      const els = document.querySelectorAll<HTMLElement>(".react-flow__node");
      for (const el of els) if (el.style.visibility === "hidden") return false;
      // Nodes are drawn light first (and far out, or off screen, stay light): a near view is loaded
      // once every node on it is drawn in full.
      const t = (document.querySelector(".react-flow__viewport") as HTMLElement | null)?.style.transform;
      const zoom = Number(t?.match(/scale\(([\d.e-]+)\)/)?.[1] ?? 1);
      if (zoom >= 0.35 && document.querySelector('.pf-node[data-lod="light"]')) return false;
      if (n >= 0) return els.length === n ? performance.now() : false;
      const w = window as unknown as { __pfStable?: { count: number; since: number; frames: number } };
      const s = w.__pfStable;
      if (!s || s.count !== els.length) {
        w.__pfStable = { count: els.length, since: performance.now(), frames: 0 };
        return false;
      }
      return els.length > 0 && ++s.frames >= 10 ? s.since : false;
    },
    expected,
    { polling: "raf", timeout: 120_000 },
  );
  const ms = (await handle.jsonValue()) as number;
  return { context, page, ms };
}

/** A point on the empty pane near (fx, fy) of the pane (fractions), with a few pixels of pane around it. */
function emptyPoint(page: Page, fx: number, fy: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ([fx, fy]) => {
      const pane = document.querySelector(".react-flow__pane")!.getBoundingClientRect();
      const cx = pane.x + pane.width * fx;
      const cy = pane.y + pane.height * fy;
      const onPane = (x: number, y: number) =>
        document.elementFromPoint(x, y)?.classList.contains("react-flow__pane") ?? false;
      const clear = (x: number, y: number) =>
        onPane(x, y) &&
        onPane(x - 3, y - 3) &&
        onPane(x + 3, y + 3) &&
        onPane(x - 3, y + 3) &&
        onPane(x + 3, y - 3);
      for (let r = 0; r < Math.min(pane.width, pane.height) / 2.5; r += 3) {
        const n = Math.max(1, Math.round((2 * Math.PI * r) / 3));
        for (let i = 0; i < n; i++) {
          const x = cx + r * Math.cos((2 * Math.PI * i) / n);
          const y = cy + r * Math.sin((2 * Math.PI * i) / n);
          if (clear(x, y)) return { x, y };
        }
      }
      return { x: pane.x + 8, y: pane.y + 8 };
    },
    [fx, fy] as const,
  );
}

type Step = (page: Page) => Promise<void>;
type PointFinder = (page: Page, fx: number, fy: number) => Promise<{ x: number; y: number }>;

/** The pan/zoom sequence: ≈ 150 input events, paced 20 ms apart (≈ 3 s when the page keeps up). */
function panZoomSteps(find: PointFinder = emptyPoint): Step[] {
  const steps: Step[] = [];
  // The bench's own search for empty canvas runs on the page's thread (hundreds of hit tests on the
  // editor's DOM): its time is recorded, and frames overlapping it are left out (see panZoom).
  const findPoint: PointFinder = async (page, fx, fy) => {
    const start = await page.evaluate(() => performance.now());
    const p = await find(page, fx, fy);
    await page.evaluate((s) => {
      const w = window as unknown as { __pfProbes?: [number, number][] };
      w.__pfProbes?.push([s, performance.now()]); // panZoom set it up
    }, start);
    return p;
  };
  const zoom = (fx: number, fy: number, ticks: number, deltaY: number) => {
    steps.push(async (page) => {
      const p = await findPoint(page, fx, fy);
      await page.mouse.move(p.x, p.y);
    });
    for (let i = 0; i < ticks; i++) steps.push((page) => page.mouse.wheel(0, deltaY));
  };
  const drag = (fx: number, fy: number, dx: number, dy: number, moves = 30) => {
    let from = { x: 0, y: 0 };
    steps.push(async (page) => {
      from = await findPoint(page, fx, fy);
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
    });
    for (let i = 1; i <= moves; i++)
      steps.push((page) => page.mouse.move(from.x + (dx * i) / moves, from.y + (dy * i) / moves));
    steps.push((page) => page.mouse.up());
  };
  zoom(0.5, 0.5, 6, -120);
  drag(0.4, 0.4, 240, 140);
  zoom(0.5, 0.5, 6, 120);
  drag(0.6, 0.6, -300, -120);
  zoom(0.45, 0.55, 4, -120);
  drag(0.4, 0.6, 200, -150);
  zoom(0.5, 0.5, 4, 120);
  drag(0.55, 0.45, -140, 130);
  return steps;
}

export async function panZoom(page: Page, pacingMs = 20, findPoint: PointFinder = emptyPoint) {
  await page.evaluate(() => {
    const w = window as unknown as {
      __pfFrames: [number, number][];
      __pfRecording: boolean;
      __pfProbes: [number, number][];
    };
    w.__pfFrames = [];
    w.__pfProbes = [];
    w.__pfRecording = true;
    let last = -1;
    const tick = (t: number) => {
      if (last >= 0) w.__pfFrames.push([t, t - last]);
      last = t;
      if (w.__pfRecording) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const steps = panZoomSteps(findPoint);
  const t0 = performance.now();
  for (let i = 0; i < steps.length; i++) {
    await steps[i](page);
    const wait = t0 + (i + 1) * pacingMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await page.waitForTimeout(300);
  const seconds = (performance.now() - t0) / 1000;
  const { frames, probed } = await page.evaluate(() => {
    const w = window as unknown as {
      __pfFrames: [number, number][];
      __pfRecording: boolean;
      __pfProbes: [number, number][];
    };
    w.__pfRecording = false;
    const overlaps = ([t, d]: [number, number]) => w.__pfProbes.some(([s, e]) => t > s && t - d < e);
    return {
      frames: w.__pfFrames.filter((f) => !overlaps(f)).map(([, d]) => d),
      probed: w.__pfFrames.filter(overlaps).length,
    };
  });
  const rendered = findPoint === emptyPoint ? await page.locator(".react-flow__node").count() : -1;
  return { frames, probed, seconds, steps: steps.length, renderedAtEnd: rendered };
}

// ---- click → image ------------------------------------------------------------------------------

/**
 * In the page: when the Run button was clicked, each fetch and EventSource (tRPC's subscription link
 * uses the page's EventSource) with when it was sent and answered, when each run event arrived, when
 * a new output <img> went into the DOM (React's commit), and when it fired `load`.
 */
const CLICK_TO_IMAGE_PROBE = `(() => {
  const pf = (globalThis.__pfRun = { click: -1, events: [], images: [], inserted: [], fetches: [], seen: new Set() });
  pf.timeOrigin = performance.timeOrigin;
  document.addEventListener("click", (e) => {
    if (e.target instanceof Element && e.target.closest('[data-testid="run-button"]')) pf.click = performance.now();
  }, true);
  const outputImg = (n) => n instanceof HTMLImageElement && n.closest('[data-testid="output-image"]');
  new MutationObserver((records) => {
    const at = performance.now();
    for (const r of records) {
      const nodes = r.type === "attributes" ? [r.target] : [...r.addedNodes].flatMap((n) => n instanceof Element ? [n, ...n.querySelectorAll("img")] : []);
      for (const n of nodes) if (outputImg(n) && !pf.inserted.some((x) => x.src === n.src)) pf.inserted.push({ at, src: n.src });
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["src"] });
  document.addEventListener("load", (e) => {
    const img = e.target;
    if (!outputImg(img)) return;
    if (pf.seen.has(img.src)) return;
    pf.seen.add(img.src);
    const t = performance.getEntriesByName(img.src).at(-1);
    pf.images.push({ at: performance.now(), src: img.src, requested: t ? t.startTime : -1, firstByte: t ? t.responseStart : -1, lastByte: t ? t.responseEnd : -1 });
  }, true);
  const nativeFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    const url = String(input && input.url ? input.url : input);
    const row = { url: url.replace(location.origin, "").slice(0, 60), start: performance.now(), end: -1 };
    pf.fetches.push(row);
    return nativeFetch.call(this, input, init).then((r) => { row.end = performance.now(); return r; });
  };
  const Native = globalThis.EventSource;
  globalThis.EventSource = class extends Native {
    constructor(...args) {
      super(...args);
      const row = { url: "SSE " + String(args[0]).replace(location.origin, "").slice(0, 50), start: performance.now(), end: -1 };
      pf.fetches.push(row);
      this.addEventListener("open", () => { row.end = performance.now(); });
      this.addEventListener("message", (m) => {
        try {
          const d = JSON.parse(m.data);
          const e = d && typeof d.type === "string" ? d : d && d.data;
          if (e && typeof e.type === "string")
            pf.events.push({ at: performance.now(), seq: Number(m.lastEventId), runId: e.runId, type: e.type, nodeType: e.nodeType, ms: e.ms, step: e.step, total: e.total, started: e.at });
        } catch {}
      });
    }
  };
})();`;

interface RunProbe {
  click: number;
  timeOrigin: number;
  /** fetch() calls and EventSource connections: when each started and answered. */
  fetches: { url: string; start: number; end: number }[];
  events: {
    at: number;
    seq: number;
    runId: string;
    type: string;
    nodeType?: string;
    ms?: number;
    step?: number;
    total?: number;
    /** run.started's own clock (epoch ms, in the runner process). */
    started?: number;
  }[];
  inserted: { at: number; src: string }[];
  images: { at: number; src: string; requested: number; firstByte: number; lastByte: number }[];
}

/** The hops of one click, in ms after the click (server clocks are the same machine's epoch ms). */
export interface ClickHops {
  total: number;
  compute: number;
  stepMs: number;
  /** The browser sent `runs.enqueue`. */
  enqueueSent: number;
  /** The queued Run row's createdAt (server). */
  queued: number;
  /** The worker claimed it (Run.startedAt). */
  taken: number;
  /** run.started's own timestamp, in the runner process. */
  executorStarted: number;
  /** The first RunEvent row's createdAt (set as it is written). */
  firstStored: number;
  enqueued: number;
  subscribed: number;
  /** The EventSource's `open` (the server's answer headers). */
  subscriptionOpen: number;
  firstEvent: number;
  firstStep: number;
  /** Save Image's node.finished (it names the image) arrived in the page. */
  imageEvent: number;
  /** The <img> with the new URL is in the DOM (React committed). */
  imageInDom: number;
  imageRequested: number;
  imageFirstByte: number;
  load: number;
  /** run.finished arrived in the page. */
  finishedEvent: number;
  finishedToImage: number;
}

/**
 * A seed-only rerun of the demo txt2img graph from the editor, as a person does it: click Run (its
 * Noise seed is "randomize", so each click is a new seed and only the U-Net step, VAE Decode and Save
 * Image run), until the new image's `load` event. Against the run's own compute time (the executor's
 * run.finished ms, in the same run); the first progress event's delay in U-Net steps of that run.
 */
export async function clickToImage(
  browser: Browser,
  server: BenchServer,
  model: string,
  repeats: number,
): Promise<ClickHops[]> {
  const client = benchClient(server.url, "bench-click-to-image");
  const doc = exampleDoc("txt2img", model);
  const { graph } = await client.graphs.create.mutate({ name: "Bench: click to image", document: doc });
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript("globalThis.__name = (f) => f;");
  await context.addInitScript(CLICK_TO_IMAGE_PROBE);
  const page = await context.newPage();
  try {
    await page.goto(`${server.url}/graphs/${graph.id}`, { timeout: 60_000 });
    await page.locator(".react-flow__node").first().waitFor({ timeout: 60_000 });
    const runButton = page.getByTestId("run-button");
    const rows: ClickHops[] = [];
    for (let i = 0; i <= repeats; i++) {
      await page.evaluate(() => {
        const pf = (globalThis as unknown as { __pfRun: RunProbe }).__pfRun;
        pf.click = -1;
        pf.events = [];
        pf.images = [];
        pf.inserted = [];
        pf.fetches = [];
      });
      const at = await reachablePoint(page, runButton); // a person could click it: nothing covers it
      await page.mouse.click(at.x, at.y);
      const handle = await page.waitForFunction(
        () => {
          const pf = (globalThis as unknown as { __pfRun: RunProbe }).__pfRun;
          const done = pf.events.find((e) => e.type === "run.finished" || e.type === "run.failed");
          return done && pf.images.length > 0 ? { ...pf, seen: undefined } : false;
        },
        undefined,
        { polling: 10, timeout: 60_000 },
      );
      const pf = (await handle.jsonValue()) as RunProbe;
      const end = pf.events.find((e) => e.type === "run.finished");
      if (!end)
        throw new Error(`the run from the editor did not finish: ${JSON.stringify(pf.events.at(-1))}`);
      if (i === 0) continue; // warm-up: the page's first run compiles paths on both sides
      const runId = end.runId;
      const [row, stored] = await Promise.all([
        server.db.run.findUniqueOrThrow({
          where: { id: runId },
          select: { createdAt: true, startedAt: true },
        }),
        server.db.runEvent.findFirst({
          where: { runId },
          orderBy: { seq: "asc" },
          select: { createdAt: true },
        }),
      ]);
      // Epoch ms (server, runner) → ms after the click on the page's clock.
      const fromEpoch = (ms: number | undefined) =>
        ms === undefined ? Number.NaN : ms - pf.timeOrigin - pf.click;
      const after = (ms: number | undefined) => (ms === undefined || ms < 0 ? Number.NaN : ms - pf.click);
      const event = (f: (e: RunProbe["events"][number]) => boolean) => pf.events.find(f);
      const sampler = event((e) => e.type === "node.finished" && e.nodeType === "unet-step");
      const firstStep = event((e) => e.type === "node.progress" && e.nodeType === "unet-step");
      const saved = event((e) => e.type === "node.finished" && e.nodeType === "save-image");
      const image = pf.images[0];
      rows.push({
        total: image.at - pf.click,
        compute: end.ms ?? Number.NaN,
        stepMs: (sampler?.ms ?? Number.NaN) / (firstStep?.total ?? Number.NaN),
        enqueueSent: after(pf.fetches.find((f) => f.url.includes("runs.enqueue"))?.start),
        queued: fromEpoch(row.createdAt.getTime()),
        taken: fromEpoch(row.startedAt?.getTime()),
        executorStarted: fromEpoch(event((e) => e.type === "run.started")?.started),
        firstStored: fromEpoch(stored?.createdAt.getTime()),
        enqueued: after(pf.fetches.find((f) => f.url.includes("runs.enqueue"))?.end),
        subscribed: after(pf.fetches.find((f) => f.url.startsWith("SSE"))?.start),
        subscriptionOpen: after(pf.fetches.find((f) => f.url.startsWith("SSE"))?.end),
        firstEvent: after(pf.events[0]?.at),
        firstStep: after(firstStep?.at),
        imageEvent: after(saved?.at),
        imageInDom: after(pf.inserted.find((x) => x.src === image.src)?.at),
        imageRequested: after(image.requested),
        imageFirstByte: after(image.firstByte),
        load: image.at - pf.click,
        finishedEvent: end.at - pf.click,
        finishedToImage: image.at - end.at,
      });
    }
    return rows;
  } finally {
    await context.close();
  }
}

/** The click → image rows: the total against compute, and the median time of every hop after the click. */
export function reportClicks(clicks: ClickHops[]): void {
  const col = (k: keyof ClickHops) => clicks.map((c) => c[k]);
  const extra = clicks.map((c) => c.total - c.compute);
  const stepMs = median(col("stepMs"));
  const hops: [keyof ClickHops, string][] = [
    ["enqueueSent", "enqueue sent"],
    ["queued", "Run row queued (server)"],
    ["enqueued", "enqueue answered"],
    ["subscribed", "subscription opened"],
    ["subscriptionOpen", "subscription answered (EventSource open)"],
    ["taken", "worker took the run (server)"],
    ["executorStarted", "executor started (runner)"],
    ["firstStored", "first event stored (server)"],
    ["firstEvent", "first event in the page"],
    ["firstStep", "first U-Net progress in the page"],
    ["imageEvent", "Save Image's node.finished in the page"],
    ["imageInDom", "new <img> in the DOM"],
    ["imageRequested", "image requested"],
    ["imageFirstByte", "image first byte"],
    ["finishedEvent", "run.finished in the page"],
    ["load", "image load"],
  ];
  report(`Click → image in the editor (demo txt2img, seed-only rerun, ${clicks.length} clicks)`, [
    { name: "Run click → new image's load event", value: spread(col("total"), " ms") },
    { name: "the run's compute (executor, run.finished ms)", value: spread(col("compute"), " ms") },
    {
      name: "click → image minus compute",
      value: spread(extra, " ms"),
      goal: "≤ 100 ms",
      ok: median(extra) <= 100,
    },
    ...hops.map(([k, name]) => {
      // An image that came inline with its event is never requested: no request hops.
      const xs = col(k).filter(Number.isFinite);
      return { name: `  ${xs.length ? `+${median(xs).toFixed(1)} ms` : "—"}  ${name}`, value: "" };
    }),
    { name: "run.finished arrives → image load", value: spread(col("finishedToImage"), " ms") },
    {
      name: "click → first event (run.started) / first U-Net progress, in U-Net steps",
      value: `${(median(col("firstEvent")) / stepMs).toFixed(1)} / ${(median(col("firstStep")) / stepMs).toFixed(1)} (step ${stepMs.toFixed(1)} ms)`,
      goal: "≤ 1 step",
      ok: median(col("firstEvent")) <= stepMs,
    },
  ]);
}

// ---- the benchmark ------------------------------------------------------------------------------

export async function editor(opts: { server?: BenchServer; loads?: number; rounds?: number } = {}) {
  const loads = opts.loads ?? Number(process.env.BENCH_EDITOR_LOADS ?? 3);
  const rounds = opts.rounds ?? Number(process.env.BENCH_EDITOR_ROUNDS ?? 2);
  const budgetMs = Number(process.env.BENCH_EDITOR_BUDGET_S ?? 900) * 1000;
  const { modelsDir, model } = benchModel();
  const load0 = loadavg();
  const server = opts.server ?? (await startServer({ modelsDir }));
  let browser: Browser | undefined;
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    void browser?.close();
  }, budgetMs);
  watchdog.unref();
  try {
    const client = benchClient(server.url, "bench-editor");
    // 20 and 500 nodes (the goals), and 2,000 (does it open and pan usably: figures only).
    const sizes = [20, 500, HUGE] as const;
    const graphs = new Map<number, string>();
    const docs = new Map<number, GraphDocument>();
    for (const n of sizes) {
      const doc = generatedDocument(n, model);
      const { graph, problems } = await client.graphs.create.mutate({ name: doc.name, document: doc });
      if (problems.length)
        throw new Error(`the ${n}-node graph has problems: ${JSON.stringify(problems.slice(0, 3))}`);
      graphs.set(n, graph.id);
      docs.set(n, doc);
    }
    const edgesOf = (n: number) => (n / SUBGRAPH.length) * LINKS.length;
    browser = await chromium.launch(chromiumLaunchOptions); // as the e2e tests launch it
    // The editor opens at a readable zoom (all of a small graph, the start of a large one) and builds
    // only the nodes on screen: a load ends when the rendered nodes stop changing, all drawn in full.
    const open = (n: number) => openGraph(browser!, `${server.url}/graphs/${graphs.get(n)}`, -1);
    const views = new Map<number, EditorView>();

    // Warm-up (the server's route and data paths, the browser's first process), not counted; it also
    // reads the editor's view of each graph, which LiteGraph is then given (same area, same view).
    await (await open(20)).context.close();
    for (const n of sizes) {
      const first = await open(n);
      views.set(n, await editorView(first.page));
      await first.context.close();
    }
    const openLg = (n: number) => openLiteGraph(browser!, docs.get(n)!, VIEWPORT, views.get(n));
    await (await openLg(20)).context.close();
    const perSize = () => new Map<number, number[]>(sizes.map((n) => [n, []]));
    const loadMs = perSize();
    const lgLoadMs = perSize();
    for (let i = 0; i < loads; i++)
      for (const n of sizes) {
        const { context, ms } = await open(n);
        loadMs.get(n)!.push(ms);
        await context.close();
        const lg = await openLg(n);
        lgLoadMs.get(n)!.push(lg.ms);
        await lg.context.close();
      }

    // Frames: per round p50 and p95 (min/median/max over rounds), and all rounds' frames pooled.
    const frames = perSize();
    const lgFrames = perSize();
    const p50s = perSize();
    const p95s = perSize();
    const lgP50s = perSize();
    const lgP95s = perSize();
    const seconds = perSize();
    const probed = new Map<number, number>();
    for (let r = 0; r < rounds; r++)
      for (const n of sizes) {
        const { context, page } = await open(n);
        await page.waitForTimeout(700); // the editor's first effects settle
        const res = await panZoom(page);
        frames.get(n)!.push(...res.frames);
        p50s.get(n)!.push(percentile(res.frames, 50));
        p95s.get(n)!.push(percentile(res.frames, 95));
        probed.set(n, (probed.get(n) ?? 0) + res.probed);
        seconds.get(n)!.push(res.seconds);
        await context.close();
        const lg = await openLg(n);
        await lg.page.waitForTimeout(700);
        const lgRes = await panZoom(lg.page, 20, liteGraphEmptyPoint);
        lgFrames.get(n)!.push(...lgRes.frames);
        lgP50s.get(n)!.push(percentile(lgRes.frames, 50));
        lgP95s.get(n)!.push(percentile(lgRes.frames, 95));
        await lg.context.close();
      }

    const clicks = await clickToImage(browser, server, model, Number(process.env.BENCH_CLICKS ?? 6));

    const [small, large] = sizes;
    const loadS = median(loadMs.get(small)!);
    const loadL = median(loadMs.get(large)!);
    const p95 = (n: number) => percentile(frames.get(n)!, 95);
    const lgP95 = (n: number) => percentile(lgFrames.get(n)!, 95);
    const long = (n: number) => frames.get(n)!.filter((d) => d > 50).length;
    const lgLoad = (n: number) => median(lgLoadMs.get(n)!);
    // Frames come at the display's interval (16.7 ms): p95s 16.8 and 16.7 are the same frame, a
    // difference of requestAnimationFrame's timer jitter, not a slower editor.
    const sameOrFaster = (a: number, b: number) => a <= b + 0.5;
    const load1 = loadavg();
    report(
      `Editor vs LiteGraph (headless Chromium ${VIEWPORT.width}×${VIEWPORT.height}; ${loads} loads and ${rounds} pan/zoom rounds per graph, interleaved; median (min, max))`,
      [
        ...sizes.flatMap((n) => [
          {
            name: `${n} nodes (${edgesOf(n)} links): load, Petalflow / LiteGraph`,
            value: `${spread(loadMs.get(n)!, " ms")} / ${spread(lgLoadMs.get(n)!, " ms")}; ratio ${(median(loadMs.get(n)!) / lgLoad(n)).toFixed(2)}×`,
            ...(n === large ? { goal: "≤ 1.5×", ok: loadL / lgLoad(n) <= 1.5 } : {}),
          },
          {
            name: `${n} nodes: frame p50 per round, Petalflow / LiteGraph`,
            value: `${spread(p50s.get(n)!, " ms")} / ${spread(lgP50s.get(n)!, " ms")}`,
          },
          {
            name: `${n} nodes: frame p95 per round, Petalflow / LiteGraph`,
            value: `${spread(p95s.get(n)!, " ms")} / ${spread(lgP95s.get(n)!, " ms")}; pooled ${p95(n).toFixed(1)} / ${lgP95(n).toFixed(1)} ms = ${(p95(n) / lgP95(n)).toFixed(2)}×`,
            ...(n === large ? { goal: "≤ 1×", ok: sameOrFaster(p95(n), lgP95(n)) } : {}),
          },
          {
            name: `${n} nodes: Petalflow frames`,
            value: `${frames.get(n)!.length} in ${seconds
              .get(n)!
              .map((x) => x.toFixed(1))
              .join(
                ", ",
              )} s; ${long(n)} over 50 ms; ${probed.get(n) ?? 0} left out (the bench's point search)`,
          },
        ]),
        {
          name: `load time ${large} ÷ ${small} nodes, Petalflow`,
          value: `${(loadL / loadS).toFixed(2)}×`,
        },
        {
          name: "machine load (1-min average, before / after)",
          value: `${load0[0].toFixed(2)} / ${load1[0].toFixed(2)}`,
        },
      ],
    );
    reportClicks(clicks);
    return {
      loadMs: { small: loadS, large: loadL },
      loadRatio: loadL / lgLoad(large),
      p95Ratio: p95(large) / lgP95(large),
      clicks,
    };
  } catch (e) {
    if (timedOut) throw new Error(`the editor benchmark ran past its ${budgetMs / 1000} s budget`);
    throw e;
  } finally {
    clearTimeout(watchdog);
    await browser?.close().catch(() => undefined);
    if (!opts.server) await server.stop();
  }
}

/** Click → image alone, on its own server: `npx tsx bench/editor.ts click`. */
async function clicksOnly() {
  const { modelsDir, model } = benchModel();
  const server = await startServer({ modelsDir });
  const browser = await chromium.launch(chromiumLaunchOptions);
  try {
    const load0 = loadavg()[0];
    reportClicks(await clickToImage(browser, server, model, Number(process.env.BENCH_CLICKS ?? 6)));
    console.log(
      `machine load (1-min average, before / after): ${load0.toFixed(2)} / ${loadavg()[0].toFixed(2)}`,
    );
  } finally {
    await browser.close();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  await (process.argv[2] === "click" ? clicksOnly() : editor());
