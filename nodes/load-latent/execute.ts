import { createHash } from "node:crypto";
import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import { readLatentFile } from "../../server/media/safetensors";
import type { RuntimeServices } from "../../server/runtime/services";
import { loadLatent } from "./definition";

export const loadLatentImpl = implement<typeof loadLatent, RuntimeServices>(loadLatent, {
  async execute(ctx, _inputs, p) {
    if (!p.file) throw new Error("no latent file chosen");
    const file = readLatentFile(await ctx.services.artifacts.readLatent(p.file));
    const sigma = Number(file.metadata.petalflow_sigma ?? 0);
    let seeds: string[] | undefined;
    try {
      seeds = JSON.parse(file.metadata.petalflow_seeds ?? "null") ?? undefined;
    } catch {
      seeds = undefined;
    }
    return {
      outputs: {
        latent: {
          samples: new Tensor(file.samples.dims, file.samples.data),
          sigma: Number.isFinite(sigma) ? sigma : 0,
          seeds,
        },
      },
    };
  },
  async fingerprint(p, ctx) {
    if (!p.file) return "";
    return createHash("sha256")
      .update(await ctx.services.artifacts.readLatent(p.file))
      .digest("hex");
  },
});
