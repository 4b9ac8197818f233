import { implement } from "../../core/node/implement";
import type { SizeConditioning } from "../../core/node/values";
import { encodeConditioning } from "../../server/diffusion/text-encode";
import type { RuntimeServices } from "../../server/runtime/services";
import { textEncoder } from "./definition";

export const textEncoderImpl = implement<typeof textEncoder, RuntimeServices>(textEncoder, {
  async execute(ctx, { textEncoder: handle }, p) {
    // SDXL models get both encoders and the default size conditioning (the image's size, crop 0,0),
    // as diffusers' pipeline does without micro-conditioning arguments.
    const xl = handle.model?.family === "sdxl" || handle.model?.family === "sdxl-refiner";
    const entry = await encodeConditioning(ctx.services, handle.modelId, {
      text: p.text,
      clipSkip: p.clipSkip,
      warn: (m) => ctx.warn(m),
      ...(xl ? { sizeCond: defaultSizeCond() } : {}),
    });
    return { outputs: { conditioning: [entry] } };
  },
});

/** SDXL's defaults: original and target size = the image's size (0 here, resolved by the U-Net step), crop (0, 0). */
export function defaultSizeCond(): SizeConditioning {
  return { originalSize: [0, 0], cropTopLeft: [0, 0], targetSize: [0, 0] };
}
