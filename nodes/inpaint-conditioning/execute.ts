import { implement } from "../../core/node/implement";
import { type Conditioning, Tensor } from "../../core/node/values";
import { latentMask, resizePlane } from "../../server/diffusion/masks";
import { encodeImages } from "../../server/diffusion/vae-encode";
import type { RuntimeServices } from "../../server/runtime/services";
import { inpaintConditioning } from "./definition";

export const inpaintConditioningImpl = implement<typeof inpaintConditioning, RuntimeServices>(
  inpaintConditioning,
  {
    async execute(ctx, { positive, negative, vae, image, mask }, p) {
      const [B, , H, W] = image.tensor.dims;
      const [MB, MC, MH, MW] = mask.tensor.dims;
      if (MC !== 1 || mask.tensor.dims.length !== 4)
        throw new Error(`the mask is [${mask.tensor.dims.join(",")}]; expected [1, 1, H, W]`);
      if (B !== 1 || MB !== 1) throw new Error("Inpaint Conditioning takes one image and one mask");
      // A mask of another size is resized to the image (bilinear, as ComfyUI's InpaintModelConditioning).
      const m =
        MH === H && MW === W ? mask.tensor.data : resizePlane(mask.tensor.data, MH, MW, H, W, "bilinear");
      const fullMask = new Tensor([1, 1, H, W], m);
      // diffusers: mask binarised at 0.5; masked image = image · (mask < 0.5) in [−1, 1] (0.5 grey in [0, 1]).
      const plane = H * W;
      const blanked = new Float32Array(image.tensor.data.length);
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < plane; i++)
          blanked[c * plane + i] = m[i] >= 0.5 ? 0.5 : image.tensor.data[c * plane + i];
      const maskedLatent = await encodeImages(ctx.services, vae, new Tensor(image.tensor.dims, blanked));
      const [, C, h, w] = maskedLatent.dims;
      const small = latentMask(fullMask, h, w); // nearest, as diffusers' F.interpolate
      // The U-Net's extra input channels: mask (1) ‖ masked-image latent (C), after the latent itself.
      const concat = new Float32Array((1 + C) * h * w);
      concat.set(small.data, 0);
      concat.set(maskedLatent.data, h * w);
      const extra = new Tensor([1, 1 + C, h, w], concat);
      const withConcat = (c: Conditioning): Conditioning => c.map((e) => ({ ...e, concat: extra }));
      const latent = await encodeImages(ctx.services, vae, image.tensor);
      return {
        outputs: {
          positive: withConcat(positive),
          // Unlinked: the U-Net step's own empty prompt gets the same concat (it reads it from the positive).
          negative: negative ? withConcat(negative) : [],
          latent: { samples: latent, sigma: 0, ...(p.noiseMask ? { noiseMask: fullMask } : {}) },
        },
      };
    },
  },
);
