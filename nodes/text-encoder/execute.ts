import { implement } from "../../core/node/implement";
import { encodePrompt } from "../../server/diffusion/text-encode";
import type { RuntimeServices } from "../../server/runtime/services";
import { textEncoder } from "./definition";

export const textEncoderImpl = implement<typeof textEncoder, RuntimeServices>(textEncoder, {
  async execute(ctx, { textEncoder: handle }, p) {
    // SDXL models get both encoders and the default size conditioning (the image's size, crop 0,0),
    // as diffusers' pipeline does without micro-conditioning arguments.
    const { embeds, pooled } = await encodePrompt(ctx.services, handle.modelId, {
      text: p.text,
      clipSkip: p.clipSkip,
      warn: (m) => ctx.warn(m),
    });
    const xl = handle.model?.family === "sdxl" || handle.model?.family === "sdxl-refiner";
    return {
      outputs: {
        conditioning: [
          {
            embeds,
            pooled,
            weight: 1,
            text: p.text,
            modelId: handle.modelId,
            ...(xl ? { sizeCond: defaultSizeCond() } : {}),
          },
        ],
      },
    };
  },
});

/** SDXL's defaults: original and target size = the image's size (0 here, resolved by the U-Net step), crop (0, 0). */
export function defaultSizeCond() {
  return {
    originalSize: [0, 0] as [number, number],
    cropTopLeft: [0, 0] as [number, number],
    targetSize: [0, 0] as [number, number],
  };
}
