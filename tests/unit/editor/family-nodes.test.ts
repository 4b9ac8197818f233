import { describe, expect, it } from "vitest";
import { byFit, familyNodeFits, pickedFamilies } from "../../../app/_lib/family-nodes";
import { registry } from "../../../nodes/registry";

const fitOf = (labels: string[], type: string) => familyNodeFits(labels).get(type)?.fit;

describe("palette marks for the graph's model family", () => {
  it("looks up the families of the models the Model Loaders pick, skipping unknown ones", () => {
    const models = [
      { id: "petalflow-shapes", family: "sd1" },
      { id: "tiny-sdxl", family: "sdxl" },
      { id: "broken" }, // unusable: no family
    ];
    expect(pickedFamilies(["tiny-sdxl", "gone", "broken", "petalflow-shapes"], models)).toEqual([
      "sdxl",
      "sd1",
    ]);
    expect(pickedFamilies(["tiny-sdxl"], undefined)).toEqual([]);
  });

  it("suggests Text Encoder (SDXL) for SDXL base, refiner and Turbo; mutes it for SD 1/2 with the reason", () => {
    for (const l of ["sdxl", "sdxl-refiner", "sdxl · turbo"])
      expect(fitOf([l], "text-encoder-sdxl"), l).toBe("suggested");
    for (const l of ["sd1", "sd2-v", "sd1 · inpaint"])
      expect(fitOf([l], "text-encoder-sdxl"), l).toBe("unfit");
    expect(familyNodeFits(["sd2-v"]).get("text-encoder-sdxl")?.reason).toMatch(/needs an SDXL model.*sd2-v/);
    // A base + refiner graph with an SD1 loader beside: SDXL is there, so it is offered.
    expect(fitOf(["sd1", "sdxl"], "text-encoder-sdxl")).toBe("suggested");
  });

  it("suggests Inpaint Conditioning only with an inpainting model, else points to Set Latent Noise Mask", () => {
    expect(fitOf(["sd1 · inpaint"], "inpaint-conditioning")).toBe("suggested");
    expect(fitOf(["sdxl"], "inpaint-conditioning")).toBe("unfit");
    expect(familyNodeFits(["sd1"]).get("inpaint-conditioning")?.reason).toMatch(/Set Latent Noise Mask/);
  });

  it("says nothing while no model is picked, and names only node types that exist", () => {
    expect(familyNodeFits([]).size).toBe(0);
    for (const type of familyNodeFits(["sd1 · inpaint"]).keys())
      expect(registry.get(type), type).toBeDefined();
  });

  it("orders search results: the family's nodes first, the unfit last, the rest as found", () => {
    const found = ["text-encoder", "text-encoder-sdxl", "conditioning-combine", "inpaint-conditioning"].map(
      (id) => ({ id }),
    );
    const ids = (labels: string[]) => byFit(found, familyNodeFits(labels)).map((d) => d.id);
    expect(ids(["sdxl"])).toEqual([
      "text-encoder-sdxl",
      "text-encoder",
      "conditioning-combine",
      "inpaint-conditioning",
    ]);
    expect(ids(["sd1"])).toEqual([
      "text-encoder",
      "conditioning-combine",
      "text-encoder-sdxl",
      "inpaint-conditioning",
    ]);
    expect(ids([])).toEqual(found.map((d) => d.id));
  });
});
