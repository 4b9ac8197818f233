/**
 * Issue 11, item 4: the same weights, seed and settings give the same final latent as a diffusers-style
 * loop. The engine runs examples/txt2img.json on the bundled demo model; scripts/reference/diffusers-loop.ts
 * runs diffusers' algorithm over the raw ONNX U-Net (onnxruntime-node directly) with its own scheduler
 * code. Shared inputs (not checked here): text embeddings, the torch-exact starting noise, and for Euler
 * ancestral the step-noise generator (seed + 1, Petalflow's rule). Before the fix the engine started from
 * σ_0·ε instead of ε·init_noise_sigma and differed by up to 0.08.
 */
import { describe, expect, it } from "vitest";
import { compareDemoModel, DEMO_ALGORITHMS } from "../../scripts/reference/compare-demo";

describe("demo model txt2img vs a diffusers-style reference loop", () => {
  it("final latents agree within 1e-4 for DDIM, Euler, Euler ancestral and DPM++ 2M", async () => {
    const rows = await compareDemoModel(DEMO_ALGORITHMS, { steps: 10, seed: 42n, cfg: 7.5 });
    expect(rows.map((r) => r.algorithm)).toEqual(DEMO_ALGORITHMS);
    for (const r of rows) {
      expect(r.maxAbs, `${r.algorithm}: a real latent, not zeros`).toBeGreaterThan(0.5);
      expect(r.maxDiff, r.algorithm).toBeLessThan(1e-4);
    }
  }, 300_000);
});
