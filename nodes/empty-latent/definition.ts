import { defineNode } from "../define";

export const emptyLatent = defineNode({
  id: "empty-latent",
  version: 1,
  title: "Empty Latent",
  category: "latent",
  aliases: ["Empty Latent Image", "EmptyLatentImage"],
  description: "A blank latent (zeros) of the given image size: the starting point of text-to-image.",
  inputs: {},
  widgets: {
    width: {
      kind: "int",
      default: 64,
      min: 8,
      max: 2048,
      step: 8,
      multipleOf: 8,
      description: "Image width in pixels.",
    },
    height: {
      kind: "int",
      default: 64,
      min: 8,
      max: 2048,
      step: 8,
      multipleOf: 8,
      description: "Image height in pixels.",
    },
    batch: { kind: "int", default: 1, min: 1, max: 16, description: "Images per run." },
  },
  outputs: { latent: { type: "LATENT" } },
});
