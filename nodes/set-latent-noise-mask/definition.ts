import { defineNode } from "../../core/node/define";

export const setLatentNoiseMask = defineNode({
  id: "set-latent-noise-mask",
  version: 1,
  title: "Set Latent Noise Mask",
  category: "latent",
  aliases: ["SetLatentNoiseMask", "inpaint mask", "noise mask"],
  description:
    "Inpainting with an ordinary model: the U-Net step re-noises and denoises only where the mask is 1 " +
    "(white) and keeps the latent where it is 0, at every step, as ComfyUI's Set Latent Noise Mask.",
  inputs: { latent: { type: "LATENT" }, mask: { type: "MASK" } },
  widgets: {},
  outputs: { latent: { type: "LATENT" } },
});
