/**
 * The SDXL, Turbo and inpainting templates (examples/*.json) validate and run through the real executor:
 * on the tiny fixture folders in place of the real models they name (sizes shrunk to 64², steps cut),
 * and the ordinary-model inpaint template as it is, on the bundled demo model.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type GraphDocument, graphDocumentSchema } from "../../core/graph/document";
import { validateDocument } from "../../core/graph/validate";
import type { Latent } from "../../core/node/values";
import { registry } from "../../nodes/registry";
import { cpuRuntime } from "./helpers/runtime";

const TINY: Record<string, string> = {
  "stable-diffusion-xl-base-1.0": "tiny-sdxl",
  "stable-diffusion-xl-refiner-1.0": "tiny-sdxl-refiner",
  "sdxl-turbo": "tiny-sdxl-turbo",
  "stable-diffusion-inpainting": "tiny-sd-inpaint",
};

function template(name: string): GraphDocument {
  const doc = graphDocumentSchema.parse(JSON.parse(readFileSync(`examples/${name}.json`, "utf8")));
  expect(validateDocument(doc, registry).errors, name).toEqual([]);
  return doc;
}

/** The template on the tiny fixtures: model names mapped, images 64², at most 4 steps (ranges scaled). */
function onFixtures(doc: GraphDocument): GraphDocument {
  for (const n of doc.nodes) {
    const p = n.params as Record<string, unknown>;
    if (n.type === "model-loader") p.model = TINY[p.model as string] ?? p.model;
    if (n.type === "empty-latent" || n.type === "noise") Object.assign(p, { width: 64, height: 64 });
    if (n.type === "load-image" && p.width) Object.assign(p, { width: 64, height: 64 });
    if (n.type === "scheduler") p.steps = Math.min(p.steps as number, 5);
    if (n.type === "unet-step") {
      if (p.endStep === 32) p.endStep = 4;
      if (p.startStep === 32) p.startStep = 4;
    }
  }
  return doc;
}

describe("family templates", () => {
  for (const name of ["sdxl-txt2img", "sdxl-base-refiner", "sdxl-turbo", "inpaint-model"]) {
    it(`${name} runs on the tiny fixtures`, async () => {
      const rt = cpuRuntime("tests/fixtures/models");
      const r = await rt.executor.run(onFixtures(template(name)));
      expect(r.status, JSON.stringify(r.error)).toBe("succeeded");
      expect(r.files).toHaveLength(1);
    });
  }

  it("the base + refiner template hands over a noisy latent at step 4 of 5", async () => {
    const rt = cpuRuntime("tests/fixtures/models");
    const r = await rt.executor.run(onFixtures(template("sdxl-base-refiner")));
    const handed = r.outputs.get("base")!.latent as Latent;
    expect(handed.sigma).toBeGreaterThan(0);
    expect((r.outputs.get("refiner")!.latent as Latent).sigma).toBe(0);
  });

  it("inpaint-noise-mask runs as shipped on the demo model and keeps the image outside the mask", async () => {
    const rt = cpuRuntime("models", { sessionMiB: 256 });
    const doc = template("inpaint-noise-mask");
    const r = await rt.executor.run(doc);
    expect(r.status, JSON.stringify(r.error)).toBe("succeeded");
    const before = (r.outputs.get("encode")!.latent as Latent).samples.data;
    const after = (r.outputs.get("sampler")!.latent as Latent).samples.data;
    // The mask's white square is pixels 16…47: latent cells 2…5 repaint, the border ring is kept.
    let kept = 0;
    for (let c = 0; c < 4; c++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          const i = c * 64 + y * 8 + x;
          if (y < 2 || y > 5 || x < 2 || x > 5) {
            expect(Math.abs(after[i] - before[i])).toBeLessThan(1e-6);
            kept++;
          }
        }
    expect(kept).toBe(4 * 48);
  }, 120_000);
});
