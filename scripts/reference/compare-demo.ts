/**
 * End-to-end check on the bundled demo model: the engine's txt2img (examples/txt2img.json: Noise → U-Net
 * step → …) against scripts/reference/diffusers-loop.ts, a diffusers-style loop over the raw ONNX U-Net
 * that shares no scheduler or sampler code with the engine. Same weights, seed, prompt, steps and cfg;
 * the result is the max |difference| of the final latents.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { graphDocumentSchema } from "../../core/graph/document";
import { applyOverrides } from "../../core/graph/overrides";
import type { Conditioning, Latent, NoiseValue } from "../../core/node/values";
import { registry } from "../../nodes/registry";
import { TorchGenerator } from "../../server/diffusion/noise";
import { createRuntime, DEFAULT_LIMITS } from "../../server/runtime/create";
import { DirectoryArtifacts } from "../../server/runtime/directory-artifacts";
import { type ReferenceAlgorithm, referenceTxt2img } from "./diffusers-loop";

export interface DemoComparison {
  algorithm: ReferenceAlgorithm;
  steps: number;
  maxDiff: number;
  /** max |latent| of the engine's result, for scale. */
  maxAbs: number;
}

export const DEMO_ALGORITHMS: ReferenceAlgorithm[] = ["ddim", "euler", "euler-ancestral", "dpmpp-2m"];

export async function compareDemoModel(
  algorithms: ReferenceAlgorithm[] = DEMO_ALGORITHMS,
  opts: { steps?: number; seed?: bigint; cfg?: number; modelsDir?: string } = {},
): Promise<DemoComparison[]> {
  const modelsDir = opts.modelsDir ?? "models";
  const steps = opts.steps ?? 10;
  const seed = opts.seed ?? 42n;
  const cfg = opts.cfg ?? 7.5;
  const rt = createRuntime({
    modelsDir,
    provider: "cpu",
    sessionBudgetBytes: 256 * 1024 * 1024,
    outputCacheBytes: 64 * 1024 * 1024,
    artifacts: new DirectoryArtifacts(mkdtempSync(path.join(tmpdir(), "pf-ref-")), process.cwd()),
    limits: DEFAULT_LIMITS,
    log: () => {},
  });
  const template = graphDocumentSchema.parse(JSON.parse(readFileSync("examples/txt2img.json", "utf8")));
  const modelDir = path.join(modelsDir, "petalflow-shapes");
  const schedulerConfig = JSON.parse(
    readFileSync(path.join(modelDir, "scheduler/scheduler_config.json"), "utf8"),
  );
  const results: DemoComparison[] = [];
  for (const algorithm of algorithms) {
    const doc = applyOverrides(template, registry, {
      seed,
      set: [
        { nodeId: "schedule", param: "algorithm", value: algorithm },
        { nodeId: "schedule", param: "steps", value: steps },
        { nodeId: "noise", param: "batch", value: 1 },
        { nodeId: "sampler", param: "cfg", value: cfg },
      ],
    });
    const r = await rt.executor.run(doc, { previews: false });
    if (r.status !== "succeeded") throw new Error(`engine run failed: ${JSON.stringify(r.error)}`);
    const latent = r.outputs.get("sampler")!.latent as Latent;
    const noise = r.outputs.get("noise")!.noise as NoiseValue;
    const cond = (r.outputs.get("positive")!.conditioning as Conditioning)[0].embeds;
    const uncond = (r.outputs.get("negative")!.conditioning as Conditioning)[0].embeds;
    const ref = await referenceTxt2img({
      unetPath: path.join(modelDir, "unet/model.onnx"),
      schedulerConfig,
      algorithm,
      steps,
      cfg,
      cond: cond.data,
      uncond: uncond.data,
      contextDims: cond.dims,
      noise: noise.tensor.data,
      latentDims: noise.tensor.dims,
      stepNoise: new TorchGenerator(BigInt.asUintN(64, seed + 1n)),
    });
    let maxDiff = 0;
    let maxAbs = 0;
    for (let k = 0; k < ref.length; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(latent.samples.data[k] - ref[k]));
      maxAbs = Math.max(maxAbs, Math.abs(latent.samples.data[k]));
    }
    if (latent.samples.size !== ref.length) maxDiff = Number.POSITIVE_INFINITY;
    results.push({ algorithm, steps, maxDiff, maxAbs });
  }
  return results;
}
