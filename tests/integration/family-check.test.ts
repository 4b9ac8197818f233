/**
 * Model-aware validation (server/diffusion/family-check.ts, runs.validate): a U-Net step fed from text
 * encoders its U-Net cannot read is reported before any run, on the step's input, naming both models.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type GraphDocument, graphDocumentSchema } from "../../core/graph/document";
import { validateDocument } from "../../core/graph/validate";
import { registry } from "../../nodes/registry";
import { modelPairingProblems } from "../../server/diffusion/family-check";
import { ModelLibrary } from "../../server/diffusion/models";
import { MODELS_DIR, makeTestApp } from "./helpers/app";

const models = new ModelLibrary(MODELS_DIR);

/** The SDXL template on tiny-sdxl, its negative prompt's encoder from another model when asked. */
function sdxlDoc(negativeModel?: string, unetModel = "tiny-sdxl"): GraphDocument {
  const doc = graphDocumentSchema.parse(JSON.parse(readFileSync("examples/sdxl-txt2img.json", "utf8")));
  doc.nodes.find((n) => n.id === "model")!.params.model = unetModel;
  if (negativeModel) {
    const loader = structuredClone(doc.nodes.find((n) => n.id === "model")!);
    loader.id = "other";
    loader.params.model = negativeModel;
    doc.nodes.push(loader);
    doc.nodes.find((n) => n.id === "negative")!.type = "text-encoder";
    doc.edges.find((e) => e.to.node === "negative")!.from.node = "other";
  }
  return validateDocument(doc, registry).document!;
}

describe("model pairing", () => {
  it("accepts SDXL conditioning for an SDXL U-Net, also from another SDXL folder (Turbo)", async () => {
    expect(await modelPairingProblems(sdxlDoc(), models)).toEqual([]);
    expect(await modelPairingProblems(sdxlDoc("tiny-sdxl-turbo"), models)).toEqual([]);
  });

  it("refuses an SD 1.x encoder for an SDXL U-Net, and SDXL base conditioning for a refiner", async () => {
    const [p] = await modelPairingProblems(sdxlDoc("tiny-sd"), models);
    expect(p).toMatchObject({ code: "type_mismatch", nodeId: "sampler", field: "negative" });
    expect(p.message).toContain('the U-Net of model "tiny-sdxl" (sdxl) reads both SDXL text encoders');
    expect(p.message).toContain('model "tiny-sd" (sd1), which gives 32-wide embeddings');
    expect(p.message).toContain("it has no text_encoder_2, so no text_embeds");
    const refiner = await modelPairingProblems(sdxlDoc("tiny-sdxl", "tiny-sdxl-refiner"), models);
    // The positive comes from the refiner's own encoder (fine), the negative from the base's.
    expect(refiner.map((x) => x.field)).toEqual(["negative"]);
    expect(refiner[0].message).toContain('"tiny-sdxl-refiner" (sdxl-refiner) reads text_encoder_2');
  });

  it("runs.validate reports it on the U-Net step", async () => {
    const t = await makeTestApp({ startWorker: false });
    afterAll(() => t.close());
    const v = await t.caller.runs.validate({ document: sdxlDoc("tiny-sd") });
    expect(v.ok).toBe(false);
    expect(v.byNode.sampler?.[0].message).toMatch(/tiny-sdxl.*tiny-sd/);
    expect((await t.caller.runs.validate({ document: sdxlDoc() })).ok).toBe(true);
  });
});
