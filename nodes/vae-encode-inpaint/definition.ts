import { defineNode } from "../../core/node/define";

export const vaeEncodeInpaint = defineNode({
  id: "vae-encode-inpaint",
  version: 1,
  title: "VAE Encode (for Inpainting)",
  category: "latent",
  aliases: ["VAEEncodeForInpaint", "VAE Encode (for Inpainting)"],
  description:
    "As ComfyUI's VAEEncodeForInpaint: the masked pixels (mask rounded at 0.5) are painted grey before " +
    "encoding, and the latent carries the rounded mask, grown by a few pixels, as its noise mask. For " +
    "denoise 1 with an ordinary model; an inpainting model takes Inpaint Conditioning.",
  inputs: {
    vae: { type: "VAE" },
    image: { type: "IMAGE" },
    mask: { type: "MASK", description: "1 (white, or transparent in Load Image) = repaint." },
  },
  widgets: {
    growMaskBy: {
      kind: "int",
      default: 6,
      min: 0,
      max: 64,
      label: "grow mask by",
      description: "Grows the noise mask by this many pixels (a square box), so the seam is repainted too.",
    },
  },
  outputs: { latent: { type: "LATENT" } },
});
