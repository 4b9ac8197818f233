import { defineNode } from "../../core/node/define";
import { imageSideWidget } from "../image-side";

export const latentUpscale = defineNode({
  id: "latent-upscale",
  version: 1,
  title: "Latent Upscale",
  category: "latent",
  aliases: ["Upscale Latent", "LatentUpscale"],
  description: "Resizes latents (for a second, refining U-Net pass at a larger size).",
  inputs: { latent: { type: "LATENT" } },
  widgets: {
    width: imageSideWidget("Target image width in pixels.", 128),
    height: imageSideWidget("Target image height in pixels.", 128),
    method: {
      kind: "enum",
      default: "bilinear",
      options: ["nearest", "bilinear"],
      description: "Interpolation.",
    },
  },
  outputs: { latent: { type: "LATENT" } },
});
