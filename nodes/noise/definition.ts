import { defineNode, SEED_CONTROLS } from "../../core/node/define";
import { imageSideWidget } from "../image-side";

export { SEED_CONTROLS };
/** How a batch's noise is drawn: image i from seed + i (default), or one draw for all (ComfyUI / diffusers). */
export const BATCH_NOISE = ["per image", "one draw"] as const;

export const noise = defineNode({
  id: "noise",
  version: 1,
  title: "Noise",
  category: "sampling",
  aliases: ["RandomNoise", "seed"],
  description:
    "Starting noise ε ~ N(0, I), identical bit for bit to torch.manual_seed(seed); torch.randn(shape) on the CPU. Batch item i uses seed + i, or one draw for the batch as ComfyUI and diffusers do.",
  inputs: {
    latent: {
      type: "LATENT",
      optional: true,
      description: "When linked, the noise takes this latent's shape.",
    },
  },
  widgets: {
    seed: {
      kind: "seed",
      default: 0,
      description: "The seed (0 … 2^64−1).",
      linkable: true,
      controlAfterRun: "control",
    },
    control: {
      kind: "enum",
      default: "randomize",
      options: SEED_CONTROLS,
      label: "control after run",
      description:
        "How the editor moves the seed on once a run is queued: the run always uses the seed shown. It cannot change the image, so changing it re-runs nothing.",
      editorOnly: true,
    },
    width: imageSideWidget("Image width in pixels."),
    height: imageSideWidget("Image height in pixels."),
    batch: { kind: "int", default: 1, min: 1, max: 16, description: "Images per run." },
    batchNoise: {
      kind: "enum",
      default: "per image",
      options: BATCH_NOISE,
      optionLabels: {
        "per image": "seed + i per image",
        "one draw": "one draw for the batch (ComfyUI / diffusers)",
      },
      label: "batch noise",
      description:
        "per image: image i uses seed + i, so any image can be made again alone from its own seed. one draw: torch.randn([B, 4, h, w]) from the one seed, as ComfyUI and diffusers make a batch (image 0 equals the same seed alone; the others only come from the whole batch).",
    },
  },
  ui: { extras: ["seeds-used"] },
  outputs: { noise: { type: "NOISE" } },
});
