import { defineNode } from "../../core/node/define";

export const modelLoader = defineNode({
  id: "model-loader",
  version: 1,
  title: "Model Loader",
  category: "loaders",
  aliases: ["Load Checkpoint", "Checkpoint Loader", "CheckpointLoaderSimple"],
  description: "Opens a Stable-Diffusion-style ONNX model folder and hands out its parts.",
  inputs: {},
  widgets: {
    model: {
      kind: "model",
      default: "petalflow-shapes",
      description: "A model folder under the models directory.",
    },
  },
  outputs: {
    textEncoder: { type: "TEXT_ENCODER", description: "Tokenizer + text encoder." },
    unet: { type: "UNET", description: "The denoising U-Net; carries the model's scheduler defaults." },
    vae: { type: "VAE", description: "The VAE decoder (and encoder, when the folder has one)." },
  },
});
