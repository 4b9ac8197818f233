import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { documentToFlow, flowToDocument } from "../../../app/_lib/document-flow";
import {
  newDocument,
  offeredTemplates,
  TEMPLATES,
  templateNotice,
  templateOf,
} from "../../../app/_lib/templates";
import { validateDocument } from "../../../core/graph/validate";
import { registry } from "../../../nodes/registry";

describe("templates (New ▾, the first visit, the empty canvas's picker)", () => {
  it("each one is a valid graph whose Load Image images are bundled in examples/assets (no upload needed)", () => {
    const bundled = new Set(readdirSync("examples/assets"));
    for (const t of TEMPLATES) {
      expect(validateDocument(t.document, registry).errors, t.id).toEqual([]);
      for (const n of t.document.nodes.filter((x) => x.type === "load-image"))
        expect(bundled, `${t.id}/${n.id}`).toContain(n.params.image);
    }
    // Four of them use an image at all (else the check above would prove nothing).
    expect(TEMPLATES.filter((t) => t.document.nodes.some((n) => n.type === "load-image"))).toHaveLength(4);
    for (const t of TEMPLATES)
      for (const n of t.document.nodes.filter((x) => x.type === "load-mask"))
        expect(bundled, `${t.id}/${n.id}`).toContain(n.params.image);
  });

  it("offers the SDXL, Turbo and inpainting-model templates only once such a model is installed", () => {
    const ids = (labels?: string[]) => offeredTemplates(labels).map((t) => t.id);
    const always = ["txt2img", "img2img", "two-stage", "forward-process", "inpaint-noise-mask"];
    expect(ids(undefined)).toEqual(always);
    expect(ids(["sd1"])).toEqual(always);
    expect(ids(["sdxl"])).toEqual([...always, "sdxl-txt2img"]);
    expect(ids(["sdxl", "sdxl-refiner", "sdxl · turbo", "sd1 · inpaint"])).toEqual(
      TEMPLATES.map((t) => t.id),
    );
  });

  it("newDocument gives a copy: editing it leaves the template as it was", () => {
    const doc = newDocument("txt2img");
    doc.nodes[0].params.changed = true;
    doc.name = "mine";
    expect(TEMPLATES[0].document.name).toBe("Text to image");
    expect(TEMPLATES[0].document.nodes[0].params).not.toHaveProperty("changed");
    expect(newDocument(null).nodes).toEqual([]);
    expect(newDocument("no-such-template").nodes).toEqual([]);
  });

  it("recognises an unedited template after the editor's round trip, and nothing else", () => {
    for (const t of TEMPLATES) {
      const flow = documentToFlow(newDocument(t.id));
      const back = flowToDocument(flow.nodes, flow.edges, flow.meta);
      expect(templateOf(back)?.id).toBe(t.id);
      expect(templateNotice(back)).toContain("ready to run");
    }
    const edited = newDocument("txt2img");
    edited.nodes[0].position = { x: edited.nodes[0].position.x + 1, y: edited.nodes[0].position.y };
    expect(templateOf(edited)).toBeNull();
    expect(templateNotice(newDocument(null))).toBeNull();
  });
});
