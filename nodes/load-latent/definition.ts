import { defineNode } from "../../core/node/define";

export const loadLatent = defineNode({
  id: "load-latent",
  version: 1,
  title: "Load Latent",
  category: "latent",
  aliases: ["Load Latent", "LoadLatent"],
  description: "Loads a .latent safetensors file saved by Save Latent (or ComfyUI).",
  inputs: {},
  widgets: {
    file: { kind: "string", default: "", maxLength: 255, description: "A saved latent's file name." },
  },
  outputs: { latent: { type: "LATENT" } },
});
