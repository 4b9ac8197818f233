import { defineNode } from "../define";

export const SEED_CONTROLS = ["fixed", "increment", "decrement", "randomize"] as const;

export const noise = defineNode({
  id: "noise",
  version: 1,
  title: "Noise",
  category: "sampling",
  description:
    "Starting noise ε ~ N(0, I), identical bit for bit to torch.manual_seed(seed); torch.randn(shape) on the CPU. Batch item i uses seed + i.",
  inputs: {
    latent: {
      type: "LATENT",
      optional: true,
      description: "When linked, the noise takes this latent's shape.",
    },
  },
  widgets: {
    seed: { kind: "seed", default: 0, description: "The seed (0 … 2^64−1).", linkable: true },
    control: {
      kind: "enum",
      default: "randomize",
      options: SEED_CONTROLS,
      label: "control after run",
      description:
        "How the editor moves the seed on once a run is queued: the run always uses the seed shown. It cannot change the image, so changing it re-runs nothing.",
      editorOnly: true,
    },
    width: { kind: "int", default: 64, min: 8, max: 2048, step: 8, description: "Image width in pixels." },
    height: { kind: "int", default: 64, min: 8, max: 2048, step: 8, description: "Image height in pixels." },
    batch: { kind: "int", default: 1, min: 1, max: 16, description: "Images per run." },
  },
  outputs: { noise: { type: "NOISE" } },
});
