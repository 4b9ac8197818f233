import { defineNode } from "../../core/node/define";

export const loadMask = defineNode({
  id: "load-mask",
  version: 1,
  title: "Load Mask",
  category: "image",
  aliases: ["LoadImageMask", "Load Image (as Mask)", "mask"],
  description:
    "A mask from one channel of an uploaded image: alpha (transparent = 1, repaint) or red/green/blue " +
    "(white = 1), as ComfyUI's LoadImageMask.",
  inputs: {},
  widgets: {
    image: { kind: "image", default: "", description: "An uploaded image." },
    channel: {
      kind: "enum",
      default: "alpha",
      options: ["alpha", "red", "green", "blue"],
      description: "Which channel is the mask.",
    },
  },
  outputs: { mask: { type: "MASK" } },
  ui: { extras: ["mask-brush"] },
});
