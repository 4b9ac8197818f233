import { defineNode } from "../../core/node/define";

export const vaeDecode = defineNode({
  id: "vae-decode",
  version: 1,
  title: "VAE Decode",
  category: "latent",
  aliases: ["VAE Decode", "VAEDecode"],
  description:
    "Decodes latents into an image. A latent that still carries noise is shown as x_t = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε.",
  inputs: { vae: { type: "VAE" }, latent: { type: "LATENT" } },
  widgets: {},
  outputs: { image: { type: "IMAGE" } },
});
