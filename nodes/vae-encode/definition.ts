import { defineNode } from "../../core/node/define";

export const vaeEncode = defineNode({
  id: "vae-encode",
  version: 1,
  title: "VAE Encode",
  category: "latent",
  aliases: ["VAE Encode", "VAEEncode"],
  description:
    "Encodes an image into latents (the mean of the VAE's distribution, times the scaling factor).",
  inputs: { vae: { type: "VAE" }, image: { type: "IMAGE" } },
  widgets: {},
  outputs: { latent: { type: "LATENT" } },
});
