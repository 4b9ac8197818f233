/**
 * What Petalflow knows of ComfyUI's core nodes (ComfyUI's nodes.py INPUT_TYPES / RETURN_TYPES): the
 * order of each node's widgets in a UI workflow's `widgets_values` (the frontend appends a
 * "control_after_generate" value after every seed widget) and the types of its outputs, by slot.
 */

export interface ComfyNodeSpec {
  /** Widget names in `widgets_values` order. */
  widgets: readonly string[];
  /** Output socket types by slot. */
  outputs: readonly string[];
  /** Socket (non-widget) inputs in INPUT_TYPES order, with their types: a UI workflow's `inputs` slots. */
  inputs?: readonly (readonly [string, string])[];
}

/** The values of the "control_after_generate" widget the frontend stores after a seed widget. */
export const CONTROL_VALUES = ["fixed", "increment", "decrement", "randomize"] as const;

const SAMPLER_INPUTS = [
  ["model", "MODEL"],
  ["positive", "CONDITIONING"],
  ["negative", "CONDITIONING"],
  ["latent_image", "LATENT"],
] as const;

export const COMFY_NODES: Readonly<Record<string, ComfyNodeSpec>> = {
  CheckpointLoaderSimple: { widgets: ["ckpt_name"], outputs: ["MODEL", "CLIP", "VAE"] },
  CLIPTextEncode: { widgets: ["text"], outputs: ["CONDITIONING"], inputs: [["clip", "CLIP"]] },
  CLIPSetLastLayer: { widgets: ["stop_at_clip_layer"], outputs: ["CLIP"], inputs: [["clip", "CLIP"]] },
  KSampler: {
    widgets: ["seed", "control_after_generate", "steps", "cfg", "sampler_name", "scheduler", "denoise"],
    outputs: ["LATENT"],
    inputs: SAMPLER_INPUTS,
  },
  KSamplerAdvanced: {
    widgets: [
      "add_noise",
      "noise_seed",
      "control_after_generate",
      "steps",
      "cfg",
      "sampler_name",
      "scheduler",
      "start_at_step",
      "end_at_step",
      "return_with_leftover_noise",
    ],
    outputs: ["LATENT"],
    inputs: SAMPLER_INPUTS,
  },
  EmptyLatentImage: { widgets: ["width", "height", "batch_size"], outputs: ["LATENT"] },
  VAEDecode: {
    widgets: [],
    outputs: ["IMAGE"],
    inputs: [
      ["samples", "LATENT"],
      ["vae", "VAE"],
    ],
  },
  VAEEncode: {
    widgets: [],
    outputs: ["LATENT"],
    inputs: [
      ["pixels", "IMAGE"],
      ["vae", "VAE"],
    ],
  },
  LatentUpscale: {
    widgets: ["upscale_method", "width", "height", "crop"],
    outputs: ["LATENT"],
    inputs: [["samples", "LATENT"]],
  },
  LatentUpscaleBy: {
    widgets: ["upscale_method", "scale_by"],
    outputs: ["LATENT"],
    inputs: [["samples", "LATENT"]],
  },
  ConditioningCombine: {
    widgets: [],
    outputs: ["CONDITIONING"],
    inputs: [
      ["conditioning_1", "CONDITIONING"],
      ["conditioning_2", "CONDITIONING"],
    ],
  },
  LoadImage: { widgets: ["image", "upload"], outputs: ["IMAGE", "MASK"] },
  // comfy_extras/nodes_clip_sdxl.py
  CLIPTextEncodeSDXL: {
    widgets: ["width", "height", "crop_w", "crop_h", "target_width", "target_height", "text_g", "text_l"],
    outputs: ["CONDITIONING"],
    inputs: [["clip", "CLIP"]],
  },
  CLIPTextEncodeSDXLRefiner: {
    widgets: ["ascore", "width", "height", "text"],
    outputs: ["CONDITIONING"],
    inputs: [["clip", "CLIP"]],
  },
  SetLatentNoiseMask: {
    widgets: [],
    outputs: ["LATENT"],
    inputs: [
      ["samples", "LATENT"],
      ["mask", "MASK"],
    ],
  },
  // The frontend adds the "upload" widget after the image list, as on LoadImage.
  LoadImageMask: { widgets: ["image", "channel", "upload"], outputs: ["MASK"] },
  VAEEncodeForInpaint: {
    widgets: ["grow_mask_by"],
    outputs: ["LATENT"],
    inputs: [
      ["pixels", "IMAGE"],
      ["vae", "VAE"],
      ["mask", "MASK"],
    ],
  },
  InpaintModelConditioning: {
    widgets: ["noise_mask"],
    outputs: ["CONDITIONING", "CONDITIONING", "LATENT"],
    inputs: [
      ["positive", "CONDITIONING"],
      ["negative", "CONDITIONING"],
      ["vae", "VAE"],
      ["pixels", "IMAGE"],
      ["mask", "MASK"],
    ],
  },
  SaveImage: { widgets: ["filename_prefix"], outputs: [], inputs: [["images", "IMAGE"]] },
  PreviewImage: { widgets: [], outputs: [], inputs: [["images", "IMAGE"]] },
};

/**
 * Assigns `widgets_values` to widget names. Tolerates a workflow saved without the
 * control_after_generate value (older frontends, or the setting turned off): when the value where
 * it should be is not a control word, that name is skipped.
 */
export function namedWidgets(spec: ComfyNodeSpec, values: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let v = 0;
  for (const name of spec.widgets) {
    if (v >= values.length) break;
    if (name === "control_after_generate" && !(CONTROL_VALUES as readonly unknown[]).includes(values[v]))
      continue;
    out[name] = values[v++];
  }
  return out;
}
