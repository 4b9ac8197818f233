import { defineNode } from "../../core/node/define";

export const saveImage = defineNode({
  id: "save-image",
  version: 1,
  title: "Save Image",
  category: "image",
  aliases: ["Save Image", "SaveImage"],
  description:
    "Saves PNGs that carry the graph document and the exact seeds in a text chunk: drop one back on the canvas to restore it.",
  inputs: { image: { type: "IMAGE" } },
  widgets: {
    prefix: {
      kind: "string",
      default: "petalflow",
      maxLength: 64,
      label: "file prefix",
      description: "Start of the file names.",
    },
  },
  ui: { extras: ["images"] },
  outputs: {},
  isOutput: true,
});
