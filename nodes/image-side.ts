import type { IntWidget } from "../core/node/define";

/**
 * An image side in pixels, as Empty Latent, Noise and Latent Upscale declare it: a multiple of 8 (the
 * VAE downsamples by 8), checked with the other field errors.
 */
export function imageSideWidget(description: string, defaultPx = 64): IntWidget {
  return { kind: "int", default: defaultPx, min: 8, max: 2048, step: 8, multipleOf: 8, description };
}
