import { implement } from "../../core/node/implement";
import { encodeConditioning } from "../../server/diffusion/text-encode";
import type { RuntimeServices } from "../../server/runtime/services";
import { textEncoderSdxl } from "./definition";

export const textEncoderSdxlImpl = implement<typeof textEncoderSdxl, RuntimeServices>(textEncoderSdxl, {
  async execute(ctx, { textEncoder: handle }, p) {
    const family = handle.model?.family;
    if (family !== "sdxl" && family !== "sdxl-refiner")
      throw new Error(
        `model "${handle.modelId}" is ${family ?? "sd1"}, not SDXL: use the Text Encoder node (it has no text_encoder_2 or size conditioning)`,
      );
    const entry = await encodeConditioning(ctx.services, handle.modelId, {
      text: p.text,
      text2: p.text2,
      clipSkip: p.clipSkip,
      warn: (m) => ctx.warn(m),
      sizeCond: {
        originalSize: [p.originalHeight, p.originalWidth],
        cropTopLeft: [p.cropTop, p.cropLeft],
        targetSize: [p.targetHeight, p.targetWidth],
        aestheticScore: p.aestheticScore,
      },
    });
    return { outputs: { conditioning: [entry] } };
  },
});
