/**
 * Page objects for the editor, injected as Playwright fixtures: the canvas (nodes, handles, links),
 * the node search box, the side panels and the status line. Specs read as a user's steps.
 */
import { test as base, expect, type Locator, type Page } from "@playwright/test";
import { clickAsPerson } from "./pointer";

/** The model the e2e server uses: the bundled demo model (64×64 images). */
export const MODEL = process.env.PETALFLOW_E2E_MODEL ?? "petalflow-shapes";
export const IMAGE_SIZE = Number(process.env.PETALFLOW_E2E_IMAGE_SIZE ?? 64);
/** Sampler steps; a tiny test model needs many to run long enough for progress to be seen. */
export const STEPS = process.env.PETALFLOW_E2E_STEPS ?? "25";

export class GraphNode {
  constructor(
    readonly page: Page,
    readonly root: Locator,
  ) {}
  output(port: string): Locator {
    return this.root.getByTestId(`handle-out-${port}`);
  }
  input(port: string): Locator {
    return this.root.getByTestId(`handle-in-${port}`);
  }
  widget(name: string): Locator {
    return this.root.getByTestId(`widget-${name}`);
  }
  /** The text, number or seed field of a widget. */
  field(name: string): Locator {
    return this.widget(name).locator("input:not([type=file]), textarea, select").first();
  }
  async setField(name: string, value: string) {
    const f = this.field(name);
    await f.fill(value);
    await f.press("Tab");
  }
  status(): Locator {
    return this.root.getByTestId("node-status");
  }
  async id(): Promise<string> {
    return (await this.root.getAttribute("data-node-id")) ?? "";
  }
}

export class Canvas {
  readonly root: Locator;
  readonly pane: Locator;
  constructor(readonly page: Page) {
    this.root = page.getByTestId("canvas");
    this.pane = page.locator(".react-flow__pane");
  }
  nodes(type?: string): Locator {
    return this.root.locator(
      type ? `[data-testid="node"][data-node-type="${type}"]` : '[data-testid="node"]',
    );
  }
  node(type: string, nth = 0): GraphNode {
    return new GraphNode(this.page, this.nodes(type).nth(nth));
  }
  edges(): Locator {
    return this.root.locator(".react-flow__edge");
  }
  /** A point on the canvas, relative to its top-left corner, in screen pixels. */
  async point(x: number, y: number): Promise<{ x: number; y: number }> {
    const box = (await this.root.boundingBox())!;
    return { x: box.x + x, y: box.y + y };
  }
  async zoomOut(times: number) {
    for (let i = 0; i < times; i++) await this.page.locator(".react-flow__controls-zoomout").click();
  }
  async zoomIn(times: number) {
    for (let i = 0; i < times; i++) await this.page.locator(".react-flow__controls-zoomin").click();
  }
  /** The "fit view" control, as a person clicks it: a graph opens at a readable zoom, showing its start. */
  async fitView() {
    await clickAsPerson(this.page, this.page.locator(".react-flow__controls-fitview"));
  }
  /** Presses the mouse on `from` and releases it on `to` (a locator's centre or a point), in small moves as a hand would. */
  async drag(from: Locator, to: Locator | { x: number; y: number }) {
    const a = (await from.boundingBox())!;
    const b = "boundingBox" in to ? (await to.boundingBox())! : { ...to, width: 0, height: 0 };
    await this.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await this.page.mouse.up();
  }
  async link(from: GraphNode, output: string, to: GraphNode, input: string) {
    await this.drag(from.output(output), to.input(input));
  }
}

export class NodeSearch {
  readonly dialog: Locator;
  readonly input: Locator;
  constructor(readonly page: Page) {
    this.dialog = page.getByTestId("node-search");
    this.input = this.dialog.getByRole("combobox", { name: "Search nodes" });
  }
  result(type: string): Locator {
    return this.dialog.getByTestId(`search-result-${type}`);
  }
  results(): Locator {
    return this.dialog.getByRole("option");
  }
  /** Types a (fuzzy) query and picks the node type from the results. */
  async pick(query: string, type: string) {
    await expect(this.dialog).toBeVisible();
    await this.input.fill(query);
    await this.result(type).click();
    await expect(this.dialog).toBeHidden();
  }
}

export class Editor {
  readonly canvas: Canvas;
  readonly search: NodeSearch;
  readonly status: Locator;
  readonly saveState: Locator;
  constructor(readonly page: Page) {
    this.canvas = new Canvas(page);
    this.search = new NodeSearch(page);
    this.status = page.getByTestId("status-line");
    this.saveState = page.getByTestId("save-state");
  }
  /** Double-clicks the empty canvas at (x, y) and adds a node through the search box. */
  async addNode(x: number, y: number, query: string, type: string): Promise<GraphNode> {
    const before = await this.canvas.nodes(type).count();
    const p = await this.canvas.point(x, y);
    await this.page.mouse.dblclick(p.x, p.y);
    await this.search.pick(query, type);
    await expect(this.canvas.nodes(type)).toHaveCount(before + 1);
    return this.canvas.node(type, before);
  }
  async run() {
    await this.page.getByTestId("run-button").click();
  }
  async tab(name: "Queue" | "History" | "Results" | "Share" | "System") {
    await this.page.getByRole("tab", { name }).click();
  }
  async rename(name: string) {
    await this.page.getByRole("textbox", { name: "Graph name" }).fill(name);
  }
  async save() {
    await this.page.keyboard.press("Control+s");
    await expect(this.saveState).toHaveAttribute("data-state", "saved");
  }
}

/** Saves a screenshot of a main screen as a test artifact (test-results/…/<name>.png, and in the report). */
export async function screenshot(page: Page, name: string) {
  const path = base.info().outputPath(`${name}.png`);
  await page.screenshot({ path });
  await base.info().attach(name, { path, contentType: "image/png" });
}

export const test = base.extend<{ editor: Editor }>({
  editor: async ({ page }, use) => {
    await use(new Editor(page));
  },
});

export { expect };
