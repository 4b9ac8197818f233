import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import { greyMasked, growMask } from "../../server/diffusion/inpaint-fill";
import { resizePlane } from "../../server/diffusion/masks";
import { encodeImages } from "../../server/diffusion/vae-encode";
import type { RuntimeServices } from "../../server/runtime/services";
import { vaeEncodeInpaint } from "./definition";

export const vaeEncodeInpaintImpl = implement<typeof vaeEncodeInpaint, RuntimeServices>(vaeEncodeInpaint, {
  async execute(ctx, { vae, image, mask }, p) {
    const [B, C, H, W] = image.tensor.dims;
    const [MB, MC, MH, MW] = mask.tensor.dims;
    if (mask.tensor.dims.length !== 4 || MC !== 1)
      throw new Error(`the mask is [${mask.tensor.dims.join(",")}]; expected [1, 1, H, W]`);
    if (B !== 1 || MB !== 1) throw new Error("VAE Encode (for Inpainting) takes one image and one mask");
    // The mask is brought to the image's size bilinearly, as ComfyUI does.
    const m =
      MH === H && MW === W ? mask.tensor.data : resizePlane(mask.tensor.data, MH, MW, H, W, "bilinear");
    // ComfyUI crops the image (and mask) to multiples of 8, centred.
    const h8 = Math.floor(H / 8) * 8;
    const w8 = Math.floor(W / 8) * 8;
    if (h8 === 0 || w8 === 0) throw new Error(`the image is ${W}×${H}; it needs at least 8×8 pixels`);
    const oy = Math.floor((H % 8) / 2);
    const ox = Math.floor((W % 8) / 2);
    const crop = (src: Float32Array, channels: number) => {
      if (h8 === H && w8 === W) return src;
      const out = new Float32Array(channels * h8 * w8);
      for (let c = 0; c < channels; c++)
        for (let y = 0; y < h8; y++)
          out.set(
            src.subarray(c * H * W + (y + oy) * W + ox, c * H * W + (y + oy) * W + ox + w8),
            c * h8 * w8 + y * w8,
          );
      return out;
    };
    const pixels = crop(image.tensor.data, C);
    const plane = crop(m, 1);
    const filled = greyMasked(pixels, plane, h8 * w8);
    const samples = await encodeImages(ctx.services, vae, new Tensor([1, C, h8, w8], filled));
    const noiseMask = new Tensor([1, 1, h8, w8], growMask(plane, h8, w8, p.growMaskBy));
    return { outputs: { latent: { samples, sigma: 0, noiseMask } } };
  },
});
