import { implement } from "../../core/node/implement";
import type { RuntimeServices } from "../../server/runtime/services";
import { setLatentNoiseMask } from "./definition";

export const setLatentNoiseMaskImpl = implement<typeof setLatentNoiseMask, RuntimeServices>(
  setLatentNoiseMask,
  {
    execute(_ctx, { latent, mask }) {
      const [MB, MC] = mask.tensor.dims;
      const B = latent.samples.dims[0];
      if (mask.tensor.dims.length !== 4 || MC !== 1)
        throw new Error(`the mask must be [B, 1, H, W]; got [${mask.tensor.dims.join(",")}]`);
      if (MB !== 1 && MB !== B) throw new Error(`the mask has ${MB} items but the latent has ${B}`);
      // Any resolution: the U-Net step resizes it to the latent (bilinear, as ComfyUI's prepare_mask).
      return { outputs: { latent: { ...latent, noiseMask: mask.tensor } } };
    },
  },
);
