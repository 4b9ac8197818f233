import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import { batchNoise, batchNoiseOneDraw } from "../../server/diffusion/noise";
import type { RuntimeServices } from "../../server/runtime/services";
import { noise } from "./definition";

/** Latent channels when no latent is linked: every SD 1.x/2.x model uses 4. */
const DEFAULT_LATENT_CHANNELS = 4;

export const noiseImpl = implement<typeof noise, RuntimeServices>(noise, {
  execute(ctx, { latent }, p) {
    let batch: number;
    let item: number[];
    if (latent) {
      [batch, ...item] = latent.samples.dims;
    } else {
      if (p.width * p.height > ctx.services.limits.maxPixels)
        throw new Error(
          `${p.width}×${p.height} is over this server's limit of ${ctx.services.limits.maxPixels} pixels`,
        );
      batch = p.batch;
      item = [DEFAULT_LATENT_CHANNELS, p.height / 8, p.width / 8];
    }
    const draw = p.batchNoise === "one draw" ? batchNoiseOneDraw : batchNoise;
    const { data, seeds } = draw(p.seed, batch, item);
    return { outputs: { noise: { tensor: new Tensor([batch, ...item], data), seeds } }, seeds };
  },
});
