import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import type { RuntimeServices } from "../../server/runtime/services";
import { addNoise } from "./definition";

export const addNoiseImpl = implement<typeof addNoise, RuntimeServices>(addNoise, {
  execute(_ctx, { latent, noise, schedule }, p) {
    const T = schedule.config.numTrainTimesteps;
    if (p.timestep >= T) throw new Error(`t = ${p.timestep} is outside the schedule's 0 … ${T - 1}`);
    if (latent.sigma > 0)
      throw new Error("the latent already carries noise; Add Noise expects a clean x0 (σ = 0)");
    if (noise.tensor.dims.join(",") !== latent.samples.dims.join(","))
      throw new Error(
        `noise shape [${noise.tensor.dims.join(",")}] does not match the latent's [${latent.samples.dims.join(",")}]`,
      );
    // x_t = sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε, kept in the ve form x0 + σ_t·ε with σ_t = sqrt((1−ᾱ_t)/ᾱ_t):
    // the same point up to the factor sqrt(ᾱ_t), which VAE Decode and the U-Net step undo exactly.
    const alphaBar = schedule.series.alphaBar[p.timestep];
    const sigma = Math.sqrt((1 - alphaBar) / alphaBar);
    const x0 = latent.samples.data;
    const eps = noise.tensor.data;
    const out = new Float32Array(x0.length);
    for (let i = 0; i < out.length; i++) out[i] = x0[i] + sigma * eps[i];
    return {
      outputs: { latent: { samples: new Tensor(latent.samples.dims, out), sigma, seeds: noise.seeds } },
    };
  },
});
