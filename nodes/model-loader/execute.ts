import { implement } from "../../core/node/implement";
import { SD15_LATENT_RGB_FACTORS } from "../../server/media/preview";
import type { RuntimeServices } from "../../server/runtime/services";
import { modelLoader } from "./definition";

export const modelLoaderImpl = implement<typeof modelLoader, RuntimeServices>(modelLoader, {
  async execute(ctx, _inputs, p) {
    const info = await ctx.services.models.get(p.model);
    const missing: string[] = (["unet", "vae_decoder"] as const).filter((part) => !info.parts[part]);
    if (!info.parts.text_encoder && !info.parts.text_encoder_2) missing.unshift("text_encoder");
    if (missing.length)
      throw new Error(`model "${p.model}" has no ${missing.join(", ")}: it cannot make images`);
    for (const w of info.warnings) ctx.warn(`model "${p.model}": ${w}`);
    const factors =
      info.previewFactors ??
      (info.latentChannels === 4
        ? SD15_LATENT_RGB_FACTORS.map((r) => [...r])
        : defaultFactors(info.latentChannels));
    const model = { family: info.family, inpaint: info.inpaint, fewStep: info.fewStep };
    return {
      outputs: {
        textEncoder: { kind: "text_encoder", modelId: info.id, hiddenSize: info.textHiddenSize ?? 0, model },
        unet: {
          kind: "unet",
          modelId: info.id,
          model,
          forceZerosForEmptyPrompt: info.forceZerosForEmptyPrompt,
          defaultImageSize: info.defaultImageSize,
          latentChannels: info.latentChannels,
          predictionType: info.predictionType,
          schedulerConfig: info.schedulerConfig,
          schedulerClass: info.schedulerClass,
          previewFactors: factors,
          previewBias: info.previewBias ?? [0, 0, 0],
        },
        vae: {
          kind: "vae",
          modelId: info.id,
          scalingFactor: info.vaeScalingFactor,
          latentChannels: info.latentChannels,
          hasEncoder: Boolean(info.parts.vae_encoder),
          previewFactors: factors,
          previewBias: info.previewBias ?? [0, 0, 0],
        },
      },
    };
  },
  // A model folder whose files change (retrained, replaced) must not be served from the cache.
  async fingerprint(p, ctx) {
    const info = await ctx.services.models.get(p.model);
    return `${info.dir}:${info.totalBytes}:${JSON.stringify(info.schedulerConfig)}`;
  },
});

/** Grey previews for latent spaces we know nothing about: each channel adds equally. */
function defaultFactors(channels: number): number[][] {
  return Array.from({ length: channels }, () => [1 / channels, 1 / channels, 1 / channels]);
}
