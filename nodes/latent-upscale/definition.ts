import { defineNode } from "../define";

export const latentUpscale = defineNode({
  id: "latent-upscale",
  version: 1,
  title: "Latent Upscale",
  category: "latent",
  aliases: ["Upscale Latent", "LatentUpscale"],
  description: "Resizes latents (for a second, refining U-Net pass at a larger size).",
  inputs: { latent: { type: "LATENT" } },
  widgets: {
    width: {
      kind: "int",
      default: 128,
      min: 8,
      max: 2048,
      step: 8,
      multipleOf: 8,
      description: "Target image width in pixels.",
    },
    height: {
      kind: "int",
      default: 128,
      min: 8,
      max: 2048,
      step: 8,
      multipleOf: 8,
      description: "Target image height in pixels.",
    },
    method: {
      kind: "enum",
      default: "bilinear",
      options: ["nearest", "bilinear"],
      description: "Interpolation.",
    },
  },
  outputs: { latent: { type: "LATENT" } },
});
