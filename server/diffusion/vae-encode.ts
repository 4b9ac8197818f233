/** Images [B,3,H,W] in [0,1] → scaled latents [B,C,H/8,W/8] through a model's vae_encoder (the mean of its distribution). */
import { Tensor, type VaeHandle } from "../../core/node/values";
import type { RuntimeServices } from "../runtime/services";

export async function encodeImages(
  services: RuntimeServices,
  vae: VaeHandle,
  images: Tensor,
): Promise<Tensor> {
  if (!vae.hasEncoder) throw new Error(`model "${vae.modelId}" has no vae_encoder: it cannot encode images`);
  const encoder = await services.session(vae.modelId, "vae_encoder");
  const [B, , H, W] = images.dims;
  if (H % 8 !== 0 || W % 8 !== 0)
    throw new Error(`the image is ${W}×${H}; VAE Encode needs sides that are multiples of 8`);
  const inputName = encoder.inputs[0]?.name ?? "sample";
  const per = 3 * H * W;
  const items: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const x = new Float32Array(per);
    for (let i = 0; i < per; i++) x[i] = images.data[b * per + i] * 2 - 1; // [0,1] → [-1,1]
    const out = await encoder.run({ [inputName]: { dims: [1, 3, H, W], data: x } });
    // Current Optimum exports give mean ‖ log-variance; older ones give the latent directly.
    const params = out.latent_parameters;
    const raw = params ?? out.latent_sample ?? out[encoder.outputNames[0]];
    const channels = params ? raw.dims[1] / 2 : raw.dims[1];
    if (channels !== vae.latentChannels)
      throw new Error(
        `${vae.modelId}/vae_encoder gave ${channels} latent channels, expected ${vae.latentChannels}`,
      );
    const [h, w] = raw.dims.slice(2);
    const mean = raw.data.subarray(0, channels * h * w);
    const z = new Float32Array(mean.length);
    for (let i = 0; i < z.length; i++) z[i] = mean[i] * vae.scalingFactor;
    items.push(new Tensor([1, channels, h, w], z));
  }
  return Tensor.concat(items);
}
