import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { documentToFlow, flowToDocument } from "../../../app/_lib/document-flow";
import { canonicalJson, graphDocumentSchema } from "../../../core/graph/document";

const load = (name: string) =>
  graphDocumentSchema.parse(JSON.parse(readFileSync(`examples/${name}.json`, "utf8")));

describe("document ↔ canvas round trip", () => {
  for (const name of ["txt2img", "img2img", "two-stage", "forward-process"])
    it(`${name}: everything the document holds survives`, () => {
      const doc = load(name);
      const { nodes, edges, meta } = documentToFlow(doc);
      const back = graphDocumentSchema.parse(flowToDocument(nodes, edges, meta));
      expect(canonicalJson(back)).toBe(canonicalJson(doc));
    });

  it("keeps groups, notes, titles, colours, sizes, pins and modes; canvas-only state stays out", () => {
    const doc = load("txt2img");
    doc.nodes[0] = {
      ...doc.nodes[0],
      title: "Decoder",
      color: "#aa3355",
      size: { width: 300, height: 200 },
      pinned: true,
      mode: "bypass",
    };
    doc.groups = [{ id: "g1", title: "Prompt", bounds: { x: 1, y: 2, width: 300, height: 200 } }];
    doc.notes = [{ id: "n1", text: "hello", position: { x: 5, y: 6 } }];
    const flow = documentToFlow(doc);
    // What the canvas adds while editing: selection, measurements, dragging.
    const touched = flow.nodes.map((n) => ({
      ...n,
      selected: true,
      dragging: false,
      measured: { width: 999, height: 999 },
    }));
    const back = flowToDocument(touched, flow.edges, flow.meta);
    expect(canonicalJson(graphDocumentSchema.parse(back))).toBe(canonicalJson(doc));
    expect(JSON.stringify(back)).not.toMatch(/selected|measured|dragging/);
    expect(flow.nodes[0]).toMatchObject({ type: "frame", zIndex: -1 }); // groups are drawn behind
  });

  it("rounds positions to a tenth of a pixel, and colours links by the socket they carry", () => {
    const doc = load("txt2img");
    const flow = documentToFlow(doc);
    const moved = flow.nodes.map((n) => (n.id === "save" ? { ...n, position: { x: 10.04, y: -3.16 } } : n));
    const back = flowToDocument(moved, flow.edges, flow.meta);
    expect(back.nodes.find((n) => n.id === "save")?.position).toEqual({ x: 10, y: -3.2 });
    const unet = flow.edges.find((e) => e.source === "model" && e.sourceHandle === "unet");
    expect(unet?.data?.socket).toBe("UNET");
  });
});
