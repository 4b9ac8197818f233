import { defineNode } from "../../core/node/define";

export const inpaintConditioning = defineNode({
  id: "inpaint-conditioning",
  version: 1,
  title: "Inpaint Conditioning",
  category: "conditioning",
  aliases: ["InpaintModelConditioning", "inpaint"],
  description:
    "For inpainting models (U-Nets with 9 input channels): adds the mask and the latent of the image with " +
    "the masked part blanked to the conditioning, as diffusers' inpaint pipeline and ComfyUI's " +
    "InpaintModelConditioning do. Also outputs the image's latent, carrying the mask as a noise mask when asked.",
  inputs: {
    positive: { type: "CONDITIONING" },
    negative: { type: "CONDITIONING", optional: true },
    vae: { type: "VAE" },
    image: { type: "IMAGE" },
    mask: { type: "MASK", description: "1 (white, or transparent in Load Image) = repaint." },
  },
  widgets: {
    noiseMask: {
      kind: "boolean",
      default: true,
      label: "noise mask",
      description: "Also keep the unmasked part of the latent output at every step (ComfyUI's default).",
    },
  },
  outputs: {
    positive: { type: "CONDITIONING" },
    negative: { type: "CONDITIONING" },
    latent: { type: "LATENT" },
  },
});
