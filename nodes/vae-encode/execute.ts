import { implement } from "../../core/node/implement";
import { encodeImages } from "../../server/diffusion/vae-encode";
import type { RuntimeServices } from "../../server/runtime/services";
import { vaeEncode } from "./definition";

export const vaeEncodeImpl = implement<typeof vaeEncode, RuntimeServices>(vaeEncode, {
  async execute(ctx, { vae, image }, _p) {
    return {
      outputs: { latent: { samples: await encodeImages(ctx.services, vae, image.tensor), sigma: 0 } },
    };
  },
});
