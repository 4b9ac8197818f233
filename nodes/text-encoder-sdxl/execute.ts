import { implement } from "../../core/node/implement";
import { encodePrompt } from "../../server/diffusion/text-encode";
import type { RuntimeServices } from "../../server/runtime/services";
import { textEncoderSdxl } from "./definition";

export const textEncoderSdxlImpl = implement<typeof textEncoderSdxl, RuntimeServices>(textEncoderSdxl, {
  async execute(ctx, { textEncoder: handle }, p) {
    const family = handle.model?.family;
    if (family !== "sdxl" && family !== "sdxl-refiner")
      throw new Error(
        `model "${handle.modelId}" is ${family ?? "sd1"}, not SDXL: use the Text Encoder node (it has no text_encoder_2 or size conditioning)`,
      );
    const { embeds, pooled } = await encodePrompt(ctx.services, handle.modelId, {
      text: p.text,
      text2: p.text2,
      clipSkip: p.clipSkip,
      warn: (m) => ctx.warn(m),
    });
    return {
      outputs: {
        conditioning: [
          {
            embeds,
            pooled,
            weight: 1,
            text: p.text,
            ...(p.text2.trim() ? { text2: p.text2 } : {}),
            modelId: handle.modelId,
            sizeCond: {
              originalSize: [p.originalHeight, p.originalWidth],
              cropTopLeft: [p.cropTop, p.cropLeft],
              targetSize: [p.targetHeight, p.targetWidth],
              aestheticScore: p.aestheticScore,
            },
          },
        ],
      },
    };
  },
});
