/** Server-side implementations by node type id. Adding a node type: one line here and one in nodes/registry.ts. */

import type { NodeImpl } from "../../core/node/implement";
import { addNoiseImpl } from "../../nodes/add-noise/execute";
import { conditioningCombineImpl } from "../../nodes/conditioning-combine/execute";
import { emptyLatentImpl } from "../../nodes/empty-latent/execute";
import { inpaintConditioningImpl } from "../../nodes/inpaint-conditioning/execute";
import { latentUpscaleImpl } from "../../nodes/latent-upscale/execute";
import { loadImageImpl } from "../../nodes/load-image/execute";
import { loadLatentImpl } from "../../nodes/load-latent/execute";
import { loadMaskImpl } from "../../nodes/load-mask/execute";
import { modelLoaderImpl } from "../../nodes/model-loader/execute";
import { noiseImpl } from "../../nodes/noise/execute";
import { previewImageImpl } from "../../nodes/preview-image/execute";
import { primitiveFloatImpl } from "../../nodes/primitive-float/execute";
import { primitiveIntImpl } from "../../nodes/primitive-int/execute";
import { primitiveTextImpl } from "../../nodes/primitive-text/execute";
import { registry } from "../../nodes/registry";
import { saveImageImpl } from "../../nodes/save-image/execute";
import { saveLatentImpl } from "../../nodes/save-latent/execute";
import { schedulerImpl } from "../../nodes/scheduler/execute";
import { setLatentNoiseMaskImpl } from "../../nodes/set-latent-noise-mask/execute";
import { textEncoderImpl } from "../../nodes/text-encoder/execute";
import { textEncoderSdxlImpl } from "../../nodes/text-encoder-sdxl/execute";
import { unetStepImpl } from "../../nodes/unet-step/execute";
import { vaeDecodeImpl } from "../../nodes/vae-decode/execute";
import { vaeEncodeImpl } from "../../nodes/vae-encode/execute";
import { vaeEncodeInpaintImpl } from "../../nodes/vae-encode-inpaint/execute";
import type { RuntimeServices } from "./services";

const impls = [
  modelLoaderImpl,
  textEncoderImpl,
  textEncoderSdxlImpl,
  noiseImpl,
  emptyLatentImpl,
  schedulerImpl,
  unetStepImpl,
  addNoiseImpl,
  vaeDecodeImpl,
  vaeEncodeImpl,
  loadImageImpl,
  loadMaskImpl,
  setLatentNoiseMaskImpl,
  vaeEncodeInpaintImpl,
  inpaintConditioningImpl,
  saveImageImpl,
  previewImageImpl,
  latentUpscaleImpl,
  conditioningCombineImpl,
  saveLatentImpl,
  loadLatentImpl,
  primitiveIntImpl,
  primitiveFloatImpl,
  primitiveTextImpl,
] as (NodeImpl<RuntimeServices> & { id: string })[];

export const NODE_IMPLS: ReadonlyMap<string, NodeImpl<RuntimeServices>> = new Map(
  impls.map((i) => [i.id, i]),
);

// Every declared node type has an implementation, and nothing else: checked once at load.
const missing = registry.list().filter((d) => !NODE_IMPLS.has(d.id));
if (missing.length)
  throw new Error(`node types without an implementation: ${missing.map((d) => d.id).join(", ")}`);
