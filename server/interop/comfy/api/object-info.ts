/**
 * GET /object_info: the ComfyUI core nodes Petalflow imports, in ComfyUI's schema (nodes.py
 * INPUT_TYPES: `{required: {name: [type | options[], {default, min, max, step…}]}}`). Limits are
 * Petalflow's own (steps ≤ 1000, cfg ≤ 30, sizes 8…2048, batch ≤ 16), so a client that reads them
 * builds prompts that run here; sampler and scheduler lists hold only the names that map.
 */
import { COMFY_SAMPLERS, COMFY_SCHEDULES } from "../sampler-names";

type InputSpec = [string | string[]] | [string | string[], Record<string, unknown>];

interface NodeInfo {
  required: Record<string, InputSpec>;
  optional?: Record<string, InputSpec>;
  output: string[];
  output_name?: string[];
  display_name: string;
  category: string;
  description?: string;
  output_node?: boolean;
}

const SEED: InputSpec = [
  "INT",
  { default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, control_after_generate: true },
];
const STEPS: InputSpec = ["INT", { default: 20, min: 1, max: 1000 }];
const CFG: InputSpec = ["FLOAT", { default: 8.0, min: 0.0, max: 30.0, step: 0.1, round: 0.01 }];
const SIZE = (def: number): InputSpec => ["INT", { default: def, min: 8, max: 2048, step: 8 }];
const UPSCALE_METHODS = ["nearest-exact", "bilinear"];
const SDXL_SIZE: InputSpec = ["INT", { default: 1024, min: 0, max: 8192 }];

export function objectInfo(opts: { models: readonly string[]; uploads: readonly string[] }) {
  const samplers = Object.keys(COMFY_SAMPLERS);
  const schedulers = [...COMFY_SCHEDULES];
  const sampling = {
    positive: ["CONDITIONING"],
    negative: ["CONDITIONING"],
    latent_image: ["LATENT"],
  } satisfies Record<string, InputSpec>;
  const nodes: Record<string, NodeInfo> = {
    CheckpointLoaderSimple: {
      required: { ckpt_name: [[...opts.models]] },
      output: ["MODEL", "CLIP", "VAE"],
      display_name: "Load Checkpoint",
      category: "loaders",
    },
    CLIPTextEncode: {
      required: { text: ["STRING", { multiline: true, dynamicPrompts: true }], clip: ["CLIP"] },
      output: ["CONDITIONING"],
      display_name: "CLIP Text Encode (Prompt)",
      category: "conditioning",
    },
    CLIPSetLastLayer: {
      // → the CLIP skip of the Text Encoders it feeds (Petalflow's goes to 12).
      required: { clip: ["CLIP"], stop_at_clip_layer: ["INT", { default: -1, min: -13, max: -1, step: 1 }] },
      output: ["CLIP"],
      display_name: "CLIP Set Last Layer",
      category: "conditioning",
    },
    // comfy_extras/nodes_clip_sdxl.py (sizes within Petalflow's Text Encoder (SDXL), ascore ≤ 10).
    CLIPTextEncodeSDXL: {
      required: {
        clip: ["CLIP"],
        width: SDXL_SIZE,
        height: SDXL_SIZE,
        crop_w: ["INT", { default: 0, min: 0, max: 8192 }],
        crop_h: ["INT", { default: 0, min: 0, max: 8192 }],
        target_width: SDXL_SIZE,
        target_height: SDXL_SIZE,
        text_g: ["STRING", { multiline: true, dynamicPrompts: true }],
        text_l: ["STRING", { multiline: true, dynamicPrompts: true }],
      },
      output: ["CONDITIONING"],
      display_name: "CLIPTextEncodeSDXL",
      category: "advanced/conditioning",
    },
    CLIPTextEncodeSDXLRefiner: {
      required: {
        ascore: ["FLOAT", { default: 6.0, min: 0.0, max: 10.0, step: 0.01 }],
        width: SDXL_SIZE,
        height: SDXL_SIZE,
        text: ["STRING", { multiline: true, dynamicPrompts: true }],
        clip: ["CLIP"],
      },
      output: ["CONDITIONING"],
      display_name: "CLIPTextEncodeSDXLRefiner",
      category: "advanced/conditioning",
    },
    KSampler: {
      required: {
        model: ["MODEL"],
        seed: SEED,
        steps: STEPS,
        cfg: CFG,
        sampler_name: [samplers],
        scheduler: [schedulers],
        ...sampling,
        denoise: ["FLOAT", { default: 1.0, min: 0.0, max: 1.0, step: 0.01 }],
      },
      output: ["LATENT"],
      display_name: "KSampler",
      category: "sampling",
    },
    KSamplerAdvanced: {
      required: {
        model: ["MODEL"],
        add_noise: [["enable", "disable"]],
        noise_seed: SEED,
        steps: STEPS,
        cfg: CFG,
        sampler_name: [samplers],
        scheduler: [schedulers],
        ...sampling,
        start_at_step: ["INT", { default: 0, min: 0, max: 10000 }],
        end_at_step: ["INT", { default: 10000, min: 0, max: 10000 }],
        return_with_leftover_noise: [["disable", "enable"]],
      },
      output: ["LATENT"],
      display_name: "KSampler (Advanced)",
      category: "sampling",
    },
    EmptyLatentImage: {
      required: { width: SIZE(512), height: SIZE(512), batch_size: ["INT", { default: 1, min: 1, max: 16 }] },
      output: ["LATENT"],
      display_name: "Empty Latent Image",
      category: "latent",
    },
    VAEDecode: {
      required: { samples: ["LATENT"], vae: ["VAE"] },
      output: ["IMAGE"],
      display_name: "VAE Decode",
      category: "latent",
    },
    VAEEncode: {
      required: { pixels: ["IMAGE"], vae: ["VAE"] },
      output: ["LATENT"],
      display_name: "VAE Encode",
      category: "latent",
    },
    LatentUpscale: {
      required: {
        samples: ["LATENT"],
        upscale_method: [UPSCALE_METHODS],
        width: SIZE(512),
        height: SIZE(512),
        crop: [["disabled"]],
      },
      output: ["LATENT"],
      display_name: "Upscale Latent",
      category: "latent",
    },
    LatentUpscaleBy: {
      required: {
        samples: ["LATENT"],
        upscale_method: [UPSCALE_METHODS],
        scale_by: ["FLOAT", { default: 1.5, min: 0.01, max: 8.0, step: 0.01 }],
      },
      output: ["LATENT"],
      display_name: "Upscale Latent By",
      category: "latent",
    },
    ConditioningCombine: {
      required: { conditioning_1: ["CONDITIONING"], conditioning_2: ["CONDITIONING"] },
      output: ["CONDITIONING"],
      display_name: "Conditioning (Combine)",
      category: "conditioning",
    },
    LoadImage: {
      required: { image: [[...opts.uploads], { image_upload: true }] },
      output: ["IMAGE", "MASK"],
      display_name: "Load Image",
      category: "image",
    },
    LoadImageMask: {
      required: {
        image: [[...opts.uploads], { image_upload: true }],
        channel: [["alpha", "red", "green", "blue"]],
      },
      output: ["MASK"],
      display_name: "Load Image (as Mask)",
      category: "mask",
    },
    SetLatentNoiseMask: {
      required: { samples: ["LATENT"], mask: ["MASK"] },
      output: ["LATENT"],
      display_name: "Set Latent Noise Mask",
      category: "latent/inpaint",
    },
    VAEEncodeForInpaint: {
      required: {
        pixels: ["IMAGE"],
        vae: ["VAE"],
        mask: ["MASK"],
        grow_mask_by: ["INT", { default: 6, min: 0, max: 64, step: 1 }],
      },
      output: ["LATENT"],
      display_name: "VAE Encode (for Inpainting)",
      category: "latent/inpaint",
    },
    InpaintModelConditioning: {
      required: {
        positive: ["CONDITIONING"],
        negative: ["CONDITIONING"],
        vae: ["VAE"],
        pixels: ["IMAGE"],
        mask: ["MASK"],
        noise_mask: ["BOOLEAN", { default: true }],
      },
      output: ["CONDITIONING", "CONDITIONING", "LATENT"],
      output_name: ["positive", "negative", "latent"],
      display_name: "InpaintModelConditioning",
      category: "conditioning/inpaint",
    },
    SaveImage: {
      required: { images: ["IMAGE"], filename_prefix: ["STRING", { default: "ComfyUI" }] },
      output: [],
      display_name: "Save Image",
      category: "image",
      output_node: true,
    },
    PreviewImage: {
      required: { images: ["IMAGE"] },
      output: [],
      display_name: "Preview Image",
      category: "image",
      output_node: true,
    },
  };
  return Object.fromEntries(
    Object.entries(nodes).map(([name, n]) => [
      name,
      {
        input: { required: n.required, ...(n.optional ? { optional: n.optional } : {}) },
        input_order: { required: Object.keys(n.required) },
        output: n.output,
        output_is_list: n.output.map(() => false),
        output_name: n.output_name ?? n.output,
        name,
        display_name: n.display_name,
        description: n.description ?? "",
        python_module: "nodes",
        category: n.category,
        output_node: n.output_node ?? false,
      },
    ]),
  );
}
