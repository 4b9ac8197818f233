/**
 * A run on the GPU gives the same latent as on the CPU, within GPU_LATENT_TOLERANCE (latents, not PNG
 * bytes): the demo model's txt2img, 64², 25 DDIM steps, seed 42, through the real executor. Runs for
 * each GPU provider that starts on this host; skipped, with the provider's reason, where none does
 * (as on CI). scripts/device-check.sh makes the same comparison on a GPU host without node_modules.
 */
import { describe, expect, it } from "vitest";
import { GPU_LATENT_TOLERANCE, latentDifference } from "../../server/diffusion/latent-compare";
import { type ProviderName, tryProvider } from "../../server/diffusion/providers";
import { DEMO_MODEL, providerRuntime, txt2imgLatent } from "../../server/runtime/device-runs";

const gpuProviders: ProviderName[] = ["cuda", "webgpu"];
const attempts = await Promise.all(gpuProviders.map((p) => tryProvider(p)));
const opts = { size: 64, steps: 25, seed: 42 };

describe("GPU against CPU", () => {
  for (const a of attempts) {
    const title = a.ok
      ? `${a.provider}: the txt2img latent equals the CPU's (max |Δ| ≤ ${GPU_LATENT_TOLERANCE.maxAbs}, relative L2 ≤ ${GPU_LATENT_TOLERANCE.relL2})`
      : `${a.provider}: skipped, the provider does not start here: ${a.error}`;
    it.skipIf(!a.ok)(
      title,
      async () => {
        const cpu = await txt2imgLatent(providerRuntime("cpu", "models"), opts);
        const rt = providerRuntime(a.provider, "models");
        const gpu = await txt2imgLatent(rt, opts);
        const d = latentDifference(gpu.latent, cpu.latent);
        console.info(`${a.provider} vs cpu: ${JSON.stringify(d)}`);
        expect(d.maxAbs).toBeLessThanOrEqual(GPU_LATENT_TOLERANCE.maxAbs);
        expect(d.relL2).toBeLessThanOrEqual(GPU_LATENT_TOLERANCE.relL2);
        const unet = await rt.services.session(DEMO_MODEL, "unet");
        expect(unet.provider).toBe(a.provider);
        // WebGPU: the text embeddings went to the GPU once and stayed there for the 25 steps.
        if (a.provider === "webgpu") {
          expect(unet.residencyProblem).toBeNull();
          expect(unet.residency).toMatchObject({ uploads: 1, reuses: 24 });
        }
      },
      120_000,
    );
  }
});
