import { defineNode } from "../../core/node/define";

export const unetStep = defineNode({
  id: "unet-step",
  version: 1,
  title: "U-Net step",
  category: "sampling",
  aliases: ["KSampler", "KSampler (Advanced)", "KSamplerAdvanced", "sampler"],
  description:
    "The reverse process: the U-Net predicts the noise in x_t, the scheduler steps to x_{t−1}. Classifier-free guidance runs [negative; positive] as one batch.",
  inputs: {
    unet: { type: "UNET" },
    positive: { type: "CONDITIONING" },
    negative: { type: "CONDITIONING", optional: true, description: "Unlinked: the empty prompt." },
    latent: { type: "LATENT" },
    noise: { type: "NOISE", optional: true, description: 'Needed when "add noise" is on.' },
    schedule: { type: "SCHEDULE" },
  },
  widgets: {
    cfg: {
      kind: "float",
      default: 7.5,
      min: 0,
      max: 30,
      step: 0.5,
      precision: 1,
      label: "CFG scale",
      description: "ε = ε_uncond + s·(ε_cond − ε_uncond); 1 turns guidance off.",
      linkable: true,
    },
    denoise: {
      kind: "float",
      default: 1,
      min: 0,
      max: 1,
      step: 0.05,
      precision: 2,
      description: "Strength: the share of the steps to run (img2img); 1 = from pure noise.",
      linkable: true,
    },
    startStep: {
      kind: "int",
      default: 0,
      min: 0,
      max: 10000,
      label: "start step",
      description: "First step to run.",
    },
    endStep: {
      kind: "int",
      default: 10000,
      min: 0,
      max: 10000,
      label: "end step",
      description: "Stop before this step (10000 = to the end).",
    },
    addNoise: {
      kind: "boolean",
      default: true,
      label: "add noise",
      description: "Noise the input latent to the start step first.",
    },
    leftoverNoise: {
      kind: "boolean",
      default: false,
      label: "return with leftover noise",
      description: "Stop early without denoising the remainder (hand on to a second U-Net step).",
    },
  },
  ui: { extras: ["latent-preview"] },
  outputs: { latent: { type: "LATENT" } },
  checkParams(p) {
    const problems: { field: string; message: string }[] = [];
    if (p.denoise === 0)
      problems.push({ field: "denoise", message: "denoise 0 runs no step: use at least 0.01" });
    if (typeof p.startStep === "number" && typeof p.endStep === "number" && p.startStep >= p.endStep)
      problems.push({
        field: "endStep",
        message: `end step ${p.endStep} must be after start step ${p.startStep} (nothing would run)`,
      });
    return problems;
  },
});
