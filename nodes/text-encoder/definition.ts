import { defineNode } from "../../core/node/define";

/** Which hidden state the text encoder hands on (shared with Text Encoder (SDXL)). */
export const CLIP_SKIP = {
  kind: "int",
  default: 1,
  min: 1,
  max: 12,
  label: "CLIP skip",
  description:
    "1 = the text encoder's last layer; 2 = the one before (A1111's CLIP skip 2, ComfyUI's CLIP Set Last Layer −2), … Needs an export with hidden_states outputs.",
} as const;

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
    clipSkip: CLIP_SKIP,
  },
  outputs: { conditioning: { type: "CONDITIONING" } },
});
