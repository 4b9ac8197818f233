import { implement } from "../../core/node/implement";
import { writeLatentFile } from "../../server/media/safetensors";
import type { RuntimeServices } from "../../server/runtime/services";
import { saveLatent } from "./definition";

export const saveLatentImpl = implement<typeof saveLatent, RuntimeServices>(saveLatent, {
  async execute(ctx, { latent }, p) {
    const bytes = writeLatentFile(latent.samples, {
      petalflow_sigma: String(latent.sigma),
      petalflow_seeds: JSON.stringify(latent.seeds ?? []),
    });
    const file = await ctx.services.artifacts.saveLatent({
      runId: ctx.runId,
      nodeId: ctx.nodeId,
      bytes,
      prefix: p.prefix,
    });
    return { outputs: {}, files: [file] };
  },
});
