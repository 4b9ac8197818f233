import { defineNode } from "../../core/node/define";
import { CLIP_SKIP } from "../text-encoder/definition";

const size = (label: string, description: string) =>
  ({ kind: "int", default: 0, min: 0, max: 8192, step: 8, label, description }) as const;

export const textEncoderSdxl = defineNode({
  id: "text-encoder-sdxl",
  version: 1,
  title: "Text Encoder (SDXL)",
  category: "conditioning",
  aliases: ["CLIPTextEncodeSDXL", "CLIPTextEncodeSDXLRefiner", "CLIP Text Encode SDXL", "SDXL prompt"],
  description:
    "SDXL conditioning: both text encoders' penultimate layers joined, the pooled embedding, and the size " +
    "micro-conditioning the U-Net gets as time_ids (original size, crop top-left, target size; a refiner: " +
    "aesthetic score). Sizes at 0 mean the image's size.",
  inputs: { textEncoder: { type: "TEXT_ENCODER" } },
  widgets: {
    text: {
      kind: "text",
      default: "",
      maxLength: 4000,
      description: "The prompt (text_encoder, CLIP-L; and text_encoder_2 when prompt 2 is empty).",
      linkable: true,
    },
    text2: {
      kind: "text",
      default: "",
      maxLength: 4000,
      label: "prompt 2",
      description: "Optional prompt for text_encoder_2 (CLIP-G, ComfyUI's text_g); empty = the prompt.",
      linkable: true,
    },
    originalWidth: size(
      "original width",
      "Original size the U-Net is told the image had; 0 = the image's width.",
    ),
    originalHeight: size("original height", "0 = the image's height."),
    cropLeft: {
      kind: "int",
      default: 0,
      min: 0,
      max: 8192,
      label: "crop left",
      description: "Crop offset (x).",
    },
    cropTop: {
      kind: "int",
      default: 0,
      min: 0,
      max: 8192,
      label: "crop top",
      description: "Crop offset (y).",
    },
    targetWidth: size("target width", "0 = the image's width."),
    targetHeight: size("target height", "0 = the image's height."),
    clipSkip: CLIP_SKIP,
    aestheticScore: {
      kind: "float",
      default: 6,
      min: 0,
      max: 10,
      step: 0.5,
      precision: 1,
      label: "aesthetic score",
      description: "Refiner models only (diffusers: 6 for the prompt, 2.5 for the negative).",
    },
  },
  outputs: { conditioning: { type: "CONDITIONING" } },
});
