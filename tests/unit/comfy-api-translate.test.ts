/**
 * Petalflow run events → ComfyUI websocket messages (server/interop/comfy/api/ws.ts) and the node id
 * mapping behind them, on hand-written event sequences: ComfyUI's order (execution.py / main.py) and
 * the KSampler's three Petalflow nodes reported as one ComfyUI node.
 */
import { describe, expect, it } from "vitest";
import type { ServerRunEvent } from "../../server/events/run-events";
import { comfyIdMap, dependentOutputs, petalIdOf } from "../../server/interop/comfy/api/ids";
import { previewFrame, RunTranslator } from "../../server/interop/comfy/api/ws";

const ids = ["3", "4", "8", "9", "5:3"];
const run = "run1";
const results = {};

async function translate(events: ServerRunEvent[]) {
  const t = new RunTranslator(run, comfyIdMap(ids));
  const out: unknown[] = [];
  for (const e of events) out.push(...(await t.translate(e)));
  return out.map((m) => {
    if (Buffer.isBuffer(m)) return "binary";
    const { timestamp: _t, ...data } = (m as { data: Record<string, unknown> }).data;
    return [(m as { type: string }).type, data];
  });
}

const started = (nodeId: string): ServerRunEvent => ({
  type: "node.started",
  runId: run,
  nodeId,
  nodeType: "x",
});

describe("ComfyUI node ids", () => {
  it("maps the importer's Petalflow ids (and a KSampler's parts) back to the prompt's ids", () => {
    const to = comfyIdMap(ids);
    expect(to("c3")).toBe("3");
    expect(to("c3.noise")).toBe("3");
    expect(to("c3.schedule")).toBe("3");
    expect(petalIdOf("5:3")).toBe("c5:3");
    expect(to("c5:3")).toBe("5:3");
    expect(petalIdOf("a b")).toBe("ca_b");
  });

  it("finds the output nodes each node feeds", () => {
    const d = dependentOutputs({
      "1": { class_type: "A", inputs: {} },
      "2": { class_type: "B", inputs: { x: ["1", 0] } },
      "3": { class_type: "SaveImage", inputs: { images: ["2", 0] } },
      "4": { class_type: "PreviewImage", inputs: { images: ["1", 0] } },
    });
    expect(d.outputs).toEqual(["3", "4"]);
    expect(d.of("1").sort()).toEqual(["3", "4"]);
    expect(d.of("2")).toEqual(["3"]);
  });
});

describe("run events → ComfyUI messages", () => {
  it("a successful run: start, cached, executing once per ComfyUI node, progress on the KSampler, success, executing null", async () => {
    const out = await translate([
      { type: "run.started", runId: run, at: 0, plan: ["c4", "c3.noise", "c3.schedule", "c3", "c8", "c9"] },
      { type: "node.cached", runId: run, nodeId: "c4", nodeType: "model-loader" },
      { type: "node.cached", runId: run, nodeId: "c3.schedule", nodeType: "scheduler" },
      started("c3.noise"),
      started("c3"),
      {
        type: "node.progress",
        runId: run,
        nodeId: "c3",
        nodeType: "unet-step",
        step: 1,
        total: 2,
        preview: { width: 1, height: 1, dataUrl: "data:image/png;base64,iVBORw0K" },
      },
      started("c8"),
      { type: "run.finished", runId: run, ms: 1, results },
    ]);
    expect(out).toEqual([
      ["execution_start", { prompt_id: run }],
      ["execution_cached", { nodes: ["4"], prompt_id: run }],
      ["executing", { node: "3", display_node: "3", prompt_id: run }],
      ["progress", { value: 1, max: 2, node: "3", prompt_id: run }],
      "binary",
      ["executing", { node: "8", display_node: "8", prompt_id: run }],
      ["execution_success", { prompt_id: run }],
      ["executing", { node: null, display_node: null, prompt_id: run }],
    ]);
  });

  it("a failed run: execution_error on the ComfyUI node, with the nodes executed before it", async () => {
    const out = await translate([
      { type: "run.started", runId: run, at: 0, plan: ["c4", "c3.noise", "c3"] },
      started("c4"),
      started("c3.noise"),
      {
        type: "run.failed",
        runId: run,
        ms: 1,
        results,
        error: { message: "out of range", nodeId: "c3.noise", nodeType: "noise", code: "NODE_FAILED" },
      },
    ]);
    expect(out.slice(-2)).toEqual([
      [
        "execution_error",
        {
          prompt_id: run,
          node_id: "3",
          node_type: "noise",
          executed: ["4"],
          exception_message: "out of range",
          exception_type: "NODE_FAILED",
          traceback: [],
          current_inputs: {},
          current_outputs: {},
        },
      ],
      ["executing", { node: null, display_node: null, prompt_id: run }],
    ]);
  });

  it("a cancelled run: execution_interrupted, then executing null", async () => {
    const out = await translate([
      { type: "run.started", runId: run, at: 0, plan: ["c4", "c3"] },
      started("c4"),
      started("c3"),
      { type: "run.cancelled", runId: run, ms: 1, results },
    ]);
    expect(out.slice(-2)).toEqual([
      ["execution_interrupted", { prompt_id: run, node_id: "3", node_type: null, executed: ["4"] }],
      ["executing", { node: null, display_node: null, prompt_id: run }],
    ]);
  });

  it("binary preview frames use ComfyUI's header: type 1 (preview), format 2 (PNG)", () => {
    const f = previewFrame("data:image/png;base64,iVBORw0K");
    expect(f && [...f.subarray(0, 8)]).toEqual([0, 0, 0, 1, 0, 0, 0, 2]);
    expect(f?.subarray(8, 12).toString("latin1")).toBe("\x89PNG");
    expect(previewFrame("data:image/jpeg;base64,AAAA")).toBeNull();
  });
});
