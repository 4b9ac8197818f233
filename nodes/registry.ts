/** Every node type, in palette order. Explicit, so adding one is one line here (see README). */

import { createRegistry } from "../core/node/registry-core";
import { addNoise } from "./add-noise/definition";
import { conditioningCombine } from "./conditioning-combine/definition";
import { emptyLatent } from "./empty-latent/definition";
import { inpaintConditioning } from "./inpaint-conditioning/definition";
import { latentUpscale } from "./latent-upscale/definition";
import { loadImage } from "./load-image/definition";
import { loadLatent } from "./load-latent/definition";
import { loadMask } from "./load-mask/definition";
import { modelLoader } from "./model-loader/definition";
import { noise } from "./noise/definition";
import { previewImage } from "./preview-image/definition";
import { primitiveFloat } from "./primitive-float/definition";
import { primitiveInt } from "./primitive-int/definition";
import { primitiveText } from "./primitive-text/definition";
import { saveImage } from "./save-image/definition";
import { saveLatent } from "./save-latent/definition";
import { scheduler } from "./scheduler/definition";
import { setLatentNoiseMask } from "./set-latent-noise-mask/definition";
import { textEncoder } from "./text-encoder/definition";
import { textEncoderSdxl } from "./text-encoder-sdxl/definition";
import { unetStep } from "./unet-step/definition";
import { vaeDecode } from "./vae-decode/definition";
import { vaeEncode } from "./vae-encode/definition";
import { vaeEncodeInpaint } from "./vae-encode-inpaint/definition";

export const NODE_DEFINITIONS = [
  modelLoader,
  textEncoder,
  textEncoderSdxl,
  noise,
  emptyLatent,
  scheduler,
  unetStep,
  addNoise,
  vaeDecode,
  vaeEncode,
  loadImage,
  loadMask,
  setLatentNoiseMask,
  vaeEncodeInpaint,
  inpaintConditioning,
  saveImage,
  previewImage,
  latentUpscale,
  conditioningCombine,
  saveLatent,
  loadLatent,
  primitiveInt,
  primitiveFloat,
  primitiveText,
] as const;

export const registry = createRegistry(NODE_DEFINITIONS);
