/** Model family detection from folder files and configs (server/diffusion/family.ts), with the published configs' values. */
import { describe, expect, it } from "vitest";
import { detectFamily, type FamilyInput, familyLabel } from "../../server/diffusion/family";
import { scanModels } from "../../server/diffusion/models";

const base: FamilyInput = {
  id: "m",
  hasTextEncoder: true,
  hasTextEncoder2: false,
  textHiddenSize: 768,
  padToken: "<|endoftext|>",
  predictionType: "epsilon",
  schedulerClass: "PNDMScheduler",
  schedulerConfig: {},
  index: {},
  unet: { in_channels: 4, out_channels: 4, sample_size: 64 },
};

describe("detectFamily", () => {
  it("SD 1.5, its inpainting model (9 input channels) and an LCM distillation", () => {
    expect(detectFamily(base)).toMatchObject({
      family: "sd1",
      inpaint: false,
      fewStep: null,
      defaultImageSize: 512,
    });
    expect(detectFamily({ ...base, unet: { ...base.unet, in_channels: 9 } })).toMatchObject({
      inpaint: true,
    });
    expect(detectFamily({ ...base, unet: { ...base.unet, time_cond_proj_dim: 256 } }).fewStep).toBe("lcm");
    expect(detectFamily({ ...base, schedulerClass: "LCMScheduler" }).fewStep).toBe("lcm");
  });

  it("SD 2.1 (OpenCLIP, 1024 wide, pads with '!'): sd2-v at 768² with v_prediction; SD-Turbo by its name", () => {
    const sd2 = { ...base, textHiddenSize: 1024, padToken: "!" };
    expect(
      detectFamily({ ...sd2, predictionType: "v_prediction", unet: { ...base.unet, sample_size: 96 } }),
    ).toMatchObject({
      family: "sd2-v",
      defaultImageSize: 768,
    });
    expect(detectFamily({ ...sd2, id: "sd-turbo" })).toMatchObject({ family: "sd2", fewStep: "turbo" });
  });

  it("SDXL base (text_time, 2816 = 1280 + 6·256), refiner (2560, encoder 2 only), SDXL-Turbo", () => {
    const xl = {
      ...base,
      hasTextEncoder2: true,
      index: { force_zeros_for_empty_prompt: true },
      unet: {
        ...base.unet,
        sample_size: 128,
        addition_embed_type: "text_time",
        projection_class_embeddings_input_dim: 2816,
      },
    };
    expect(detectFamily(xl)).toMatchObject({
      family: "sdxl",
      forceZerosForEmptyPrompt: true,
      defaultImageSize: 1024,
    });
    expect(
      detectFamily({
        ...xl,
        hasTextEncoder: false,
        index: { force_zeros_for_empty_prompt: false, requires_aesthetics_score: true },
        unet: { ...xl.unet, projection_class_embeddings_input_dim: 2560 },
      }),
    ).toMatchObject({ family: "sdxl-refiner", forceZerosForEmptyPrompt: false });
    // Without model_index.json flags: diffusers' SDXL default (zeros) and the refiner's (no zeros).
    expect(detectFamily({ ...xl, index: {} }).forceZerosForEmptyPrompt).toBe(true);
    expect(detectFamily({ ...xl, index: {}, hasTextEncoder: false }).forceZerosForEmptyPrompt).toBe(false);
    expect(familyLabel(detectFamily({ ...xl, id: "sdxl-turbo" }))).toBe("sdxl · turbo");
  });

  it("reports the fixtures' families", async () => {
    const { models } = await scanModels("tests/fixtures/models");
    const got = Object.fromEntries(models.map((m) => [m.id, familyLabel(m)]));
    expect(got).toMatchObject({
      "tiny-sd": "sd1",
      "tiny-sd-int64": "sd2-v",
      "tiny-sdxl": "sdxl",
      "tiny-sdxl-refiner": "sdxl-refiner",
      "tiny-sdxl-turbo": "sdxl · turbo",
    });
    const refiner = models.find((m) => m.id === "tiny-sdxl-refiner")!;
    expect(refiner.parts.text_encoder).toBeUndefined();
    expect(refiner.tokenizer2?.dir).toMatch(/tokenizer_2$/);
  });
});
