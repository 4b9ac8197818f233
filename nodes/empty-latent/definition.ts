import { defineNode } from "../../core/node/define";
import { imageSideWidget } from "../image-side";

export const emptyLatent = defineNode({
  id: "empty-latent",
  version: 1,
  title: "Empty Latent",
  category: "latent",
  aliases: ["Empty Latent Image", "EmptyLatentImage"],
  description: "A blank latent (zeros) of the given image size: the starting point of text-to-image.",
  inputs: {},
  widgets: {
    width: imageSideWidget("Image width in pixels."),
    height: imageSideWidget("Image height in pixels."),
    batch: { kind: "int", default: 1, min: 1, max: 16, description: "Images per run." },
  },
  outputs: { latent: { type: "LATENT" } },
});
