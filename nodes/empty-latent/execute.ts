import { implement } from "../../server/engine/node-impl";
import type { RuntimeServices } from "../../server/runtime/services";
import { Tensor } from "../values";
import { emptyLatent } from "./definition";

export const emptyLatentImpl = implement<typeof emptyLatent, RuntimeServices>(emptyLatent, {
  execute(ctx, _inputs, p) {
    for (const side of ["width", "height"] as const)
      if (p[side] % 8 !== 0)
        throw new Error(`${side} ${p[side]} is not a multiple of 8 (latents are 1/8 of the image size)`);
    if (p.width * p.height > ctx.services.limits.maxPixels)
      throw new Error(
        `${p.width}×${p.height} is over this server's limit of ${ctx.services.limits.maxPixels} pixels`,
      );
    return {
      outputs: { latent: { samples: Tensor.zeros([p.batch, 4, p.height / 8, p.width / 8]), sigma: 0 } },
    };
  },
});
