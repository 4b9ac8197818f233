import { defineNode } from "../../core/node/define";

export const loadImage = defineNode({
  id: "load-image",
  version: 1,
  title: "Load Image",
  category: "image",
  aliases: ["Load Image", "LoadImage"],
  description: "An uploaded PNG or JPEG image, and its alpha channel as a mask.",
  inputs: {},
  widgets: {
    image: { kind: "image", default: "", description: "An uploaded image." },
    width: {
      kind: "int",
      default: 0,
      min: 0,
      max: 2048,
      step: 8,
      description: "Resize to this width (0 keeps the image's own).",
    },
    height: {
      kind: "int",
      default: 0,
      min: 0,
      max: 2048,
      step: 8,
      description: "Resize to this height (0 keeps the image's own).",
    },
  },
  outputs: { image: { type: "IMAGE" }, mask: { type: "MASK" } },
});
