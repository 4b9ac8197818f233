import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import { countNonFinite } from "../../server/diffusion/finite";
import { throwIfAborted } from "../../server/engine/executor";
import type { RuntimeServices } from "../../server/runtime/services";
import { vaeDecode } from "./definition";

export const vaeDecodeImpl = implement<typeof vaeDecode, RuntimeServices>(vaeDecode, {
  async execute(ctx, { vae, latent }, _p) {
    const decoder = await ctx.services.session(vae.modelId, "vae_decoder");
    const [B, C, h, w] = latent.samples.dims;
    if (C !== vae.latentChannels)
      throw new Error(`the latent has ${C} channels; this VAE decodes ${vae.latentChannels}`);
    // A noisy latent x0 + σε is shown as the model sees it: sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·ε = (x0 + σε)/sqrt(1+σ²).
    const scale = 1 / (vae.scalingFactor * Math.sqrt(1 + latent.sigma * latent.sigma));
    const inputName = decoder.inputs[0]?.name ?? "latent_sample";
    const fp16 = decoder.inputs[0]?.dtype === "float16";
    const per = C * h * w;
    const images: Tensor[] = [];
    // One item at a time: bounded memory, and works with exports whose batch is fixed at 1.
    for (let b = 0; b < B; b++) {
      throwIfAborted(ctx.signal);
      const z = new Float32Array(per);
      const src = latent.samples.data;
      for (let i = 0; i < per; i++) z[i] = src[b * per + i] * scale;
      const out = await decoder.run({ [inputName]: { dims: [1, C, h, w], data: z } });
      const img = out.sample ?? out[decoder.outputNames[0]];
      if (img?.dims.length !== 4 || img.dims[1] !== 3)
        throw new Error(`${vae.modelId}/vae_decoder returned [${img?.dims.join(",")}], expected [1,3,H,W]`);
      // NaN would be clamped to nothing and saved as a black image: fail instead, naming the cause.
      const badIn = countNonFinite(z);
      const badOut = countNonFinite(img.data);
      if (badIn > 0 || badOut > 0)
        throw new Error(
          badIn > 0
            ? `the latent for image ${b + 1} of ${B} holds NaN/Inf (${badIn} of ${z.length} values) before VAE decode (model "${vae.modelId}")`
            : `VAE decoder of model "${vae.modelId}" returned NaN/Inf (${badOut} of ${img.data.length} values) for image ${b + 1} of ${B}` +
                (fp16
                  ? ": it runs in float16, which overflows past 65504 — the known SDXL VAE problem (diffusers upcasts that VAE to float32, force_upcast);" +
                    " this folder has no float32 vae_decoder to retry with: export vae_decoder in float32, or use an fp16-fixed SDXL VAE (sdxl-vae-fp16-fix)"
                  : ""),
        );
      // [-1, 1] → [0, 1]
      const px = new Float32Array(img.data.length);
      for (let i = 0; i < px.length; i++) px[i] = Math.min(1, Math.max(0, (img.data[i] + 1) / 2));
      images.push(new Tensor(img.dims, px));
      ctx.progress(b + 1, B);
    }
    return { outputs: { image: { tensor: Tensor.concat(images), seeds: latent.seeds } } };
  },
});
