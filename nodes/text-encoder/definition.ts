import { defineNode } from "../../core/node/define";

export const textEncoder = defineNode({
  id: "text-encoder",
  version: 1,
  title: "Text Encoder",
  category: "conditioning",
  aliases: ["CLIP Text Encode", "CLIPTextEncode", "prompt"],
  description: "Turns a prompt into conditioning. Supports (word:1.3) weighting as ComfyUI/A1111 write it.",
  inputs: { textEncoder: { type: "TEXT_ENCODER" } },
  widgets: {
    text: { kind: "text", default: "", maxLength: 4000, description: "The prompt.", linkable: true },
  },
  outputs: { conditioning: { type: "CONDITIONING" } },
});
