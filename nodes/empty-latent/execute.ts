import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import type { RuntimeServices } from "../../server/runtime/services";
import { emptyLatent } from "./definition";

export const emptyLatentImpl = implement<typeof emptyLatent, RuntimeServices>(emptyLatent, {
  execute(ctx, _inputs, p) {
    if (p.width * p.height > ctx.services.limits.maxPixels)
      throw new Error(
        `${p.width}×${p.height} is over this server's limit of ${ctx.services.limits.maxPixels} pixels`,
      );
    return {
      outputs: { latent: { samples: Tensor.zeros([p.batch, 4, p.height / 8, p.width / 8]), sigma: 0 } },
    };
  },
});
