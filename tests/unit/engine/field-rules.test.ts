import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateDocument, withArticle } from "../../../core/graph/validate";
import { registry } from "../../../nodes/registry";

const txt2img = () => JSON.parse(readFileSync("examples/txt2img.json", "utf8"));

describe("field rules reported before a run, with the other field errors", () => {
  it("a width of 63 is refused on Empty Latent's width field (multiple of 8)", () => {
    const doc = txt2img();
    doc.nodes.find((n: { id: string }) => n.id === "latent").params.width = 63;
    const r = validateDocument(doc, registry);
    expect(r.ok).toBe(false);
    expect(r.errors).toContainEqual(
      expect.objectContaining({
        nodeId: "latent",
        field: "width",
        message: "width must be a multiple of 8, got 63 (try 64)",
      }),
    );
  });

  it("a missing link is named with the right article", () => {
    const doc = txt2img();
    doc.edges = doc.edges.filter((e: { to: { node: string } }) => e.to.node !== "decode");
    const msgs = validateDocument(doc, registry).errors.map((e) => e.message);
    expect(msgs.some((m) => /needs a LATENT link into "latent"/.test(m))).toBe(true);
    expect(withArticle("IMAGE")).toBe("an IMAGE");
    expect(withArticle("INT")).toBe("an INT");
    expect(withArticle("UNET")).toBe("a UNET");
    expect(withArticle("VAE")).toBe("a VAE");
  });
});
