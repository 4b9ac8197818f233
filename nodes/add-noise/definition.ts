import { defineNode } from "../../core/node/define";

export const addNoise = defineNode({
  id: "add-noise",
  version: 1,
  title: "Add Noise",
  category: "latent",
  aliases: ["forward process", "noisy latent"],
  description: "The forward process in one jump: x_t = sqrt(ᾱ_t)·x_0 + sqrt(1−ᾱ_t)·ε at training timestep t.",
  inputs: { latent: { type: "LATENT" }, noise: { type: "NOISE" }, schedule: { type: "SCHEDULE" } },
  widgets: {
    timestep: {
      kind: "int",
      default: 500,
      min: 0,
      max: 9999,
      label: "t",
      description: "Training timestep t (0 … T−1).",
      linkable: true,
    },
  },
  ui: { extras: ["forward-coefficients"] },
  outputs: { latent: { type: "LATENT" } },
});
