/**
 * The runs that compare execution providers: the demo model's txt2img up to the U-Net step's latent
 * (through the real executor and the example graph), and single U-Net calls. Used by
 * scripts/device-check.ts and the GPU-against-CPU test.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { graphDocumentSchema } from "../../core/graph/document";
import { applyOverrides, parseSetArgument } from "../../core/graph/overrides";
import { type Latent, Tensor } from "../../core/node/values";
import { registry } from "../../nodes/registry";
import { TorchGenerator } from "../diffusion/noise";
import type { ProviderName } from "../diffusion/providers";
import { unetCaller } from "../diffusion/unet-call";
import { createRuntime, DEFAULT_LIMITS, type Runtime } from "./create";
import { DirectoryArtifacts } from "./directory-artifacts";

export const DEMO_MODEL = "petalflow-shapes";

export function providerRuntime(provider: ProviderName, modelsDir: string): Runtime {
  return createRuntime({
    modelsDir,
    provider,
    sessionBudgetBytes: 4096 * 1024 * 1024,
    outputCacheBytes: 1, // every run computes afresh: timings and comparisons must not hit the cache
    artifacts: new DirectoryArtifacts(path.join(os.tmpdir(), "petalflow-device-runs"), process.cwd()),
    limits: DEFAULT_LIMITS,
    log: () => undefined,
  });
}

export interface Txt2imgOptions {
  size: number;
  steps: number;
  seed: number;
  model?: string;
}

/** The example txt2img graph (to the saved PNG): the U-Net step's final latent and the run's wall time. */
export async function txt2imgLatent(
  rt: Runtime,
  opts: Txt2imgOptions,
): Promise<{ latent: Float32Array; dims: number[]; ms: number }> {
  const base = graphDocumentSchema.parse(JSON.parse(fs.readFileSync("examples/txt2img.json", "utf8")));
  const set = [
    `model.model=${opts.model ?? DEMO_MODEL}`,
    `latent.width=${opts.size}`,
    `latent.height=${opts.size}`,
    `noise.width=${opts.size}`,
    `noise.height=${opts.size}`,
    `schedule.steps=${opts.steps}`,
  ].map(parseSetArgument);
  const doc = applyOverrides(base, registry, { seed: BigInt(opts.seed), set });
  const t0 = performance.now();
  const summary = await rt.executor.run(doc, { previews: false });
  const ms = performance.now() - t0;
  if (summary.status !== "succeeded")
    throw new Error(`txt2img at ${opts.size}² failed: ${JSON.stringify(summary.error ?? summary.results)}`);
  const latent = summary.outputs.get("sampler")?.latent as Latent | undefined;
  if (!latent) throw new Error("the U-Net step returned no latent");
  return { latent: latent.samples.data, dims: [...latent.samples.dims], ms };
}

/**
 * Median wall time of one U-Net call on a batch of 2 (classifier-free guidance's [uncond; cond]) at
 * size² pixels, after `warmup` calls (session load, shader compilation and allocations stay out).
 */
export async function timeUnetCall(
  rt: Runtime,
  opts: { size: number; repeats: number; warmup?: number; model?: string },
): Promise<{ medianMs: number; samplesMs: number[] }> {
  const modelId = opts.model ?? DEMO_MODEL;
  const info = await rt.services.models.get(modelId);
  const unet = await rt.services.session(modelId, "unet");
  const hidden = info.textHiddenSize ?? 768;
  const h = opts.size / 8;
  const gen = new TorchGenerator(7n);
  const x = new Tensor([2, info.latentChannels, h, h], gen.randn(2 * info.latentChannels * h * h));
  const context = new Tensor([2, 77, hidden], gen.randn(2 * 77 * hidden));
  const call = unetCaller(unet, modelId, 7.5);
  for (let i = 0; i < (opts.warmup ?? 2); i++) await call(x, 500, context);
  const samplesMs: number[] = [];
  for (let i = 0; i < opts.repeats; i++) {
    const t0 = performance.now();
    await call(x, 500, context);
    samplesMs.push(performance.now() - t0);
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)], samplesMs };
}
