import { defineNode } from "../../core/node/define";

export const previewImage = defineNode({
  id: "preview-image",
  version: 1,
  title: "Preview Image",
  category: "image",
  aliases: ["Preview Image", "PreviewImage"],
  description: "Shows images on the canvas without keeping them in the library.",
  inputs: { image: { type: "IMAGE" } },
  widgets: {},
  ui: { extras: ["images"] },
  outputs: {},
  isOutput: true,
});
