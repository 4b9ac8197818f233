import { defineNode } from "../../core/node/define";

export const saveLatent = defineNode({
  id: "save-latent",
  version: 1,
  title: "Save Latent",
  category: "latent",
  aliases: ["Save Latent", "SaveLatent"],
  description:
    "Saves latents as a .latent safetensors file (ComfyUI-compatible) to reuse in another graph or run.",
  inputs: { latent: { type: "LATENT" } },
  widgets: {
    prefix: {
      kind: "string",
      default: "latent",
      maxLength: 64,
      label: "file prefix",
      description: "Start of the file name.",
    },
  },
  outputs: {},
  isOutput: true,
});
