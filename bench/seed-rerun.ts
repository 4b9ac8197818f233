/**
 * Benchmark 2 — seed-only rerun: rerun time ÷ (U-Net step + VAE Decode + Save Image time), and the number
 * of text-encoder executions and model loads on the rerun (goals: ratio close to 1; 0 and 0).
 */

import { applyOverrides } from "../core/graph/overrides";
import { registry } from "../nodes/registry";
import { benchModel, benchRuntime, exampleDoc, median, report } from "./lib";

export async function seedRerun(repeats = Number(process.env.BENCH_REPEATS ?? 10)) {
  const { modelsDir, model } = benchModel();
  const rt = benchRuntime(modelsDir);
  const doc = exampleDoc("txt2img", model, 1n);
  await rt.executor.run(doc, { previews: false });
  const ratios: number[] = [];
  let textEncoderRuns = 0;
  let loads = 0;
  for (let i = 0; i < repeats; i++) {
    const before = rt.services.sessions.stats().loads;
    const t0 = performance.now();
    const r = await rt.executor.run(applyOverrides(doc, registry, { seed: BigInt(100 + i) }), {
      previews: false,
    });
    const total = performance.now() - t0;
    if (r.status !== "succeeded") throw new Error(r.error?.message);
    const work = r.results.sampler.ms + r.results.decode.ms + r.results.save.ms;
    ratios.push(total / work);
    textEncoderRuns += ["positive", "negative"].filter((id) => r.results[id].status === "ran").length;
    loads += rt.services.sessions.stats().loads - before;
  }
  const ratio = median(ratios);
  report(`Seed-only rerun (${model}, median of ${repeats})`, [
    {
      name: "rerun ÷ (U-Net step + VAE Decode + Save)",
      value: ratio.toFixed(3),
      goal: "≈ 1",
      ok: ratio <= 1.1,
    },
    {
      name: "text-encoder executions on reruns",
      value: String(textEncoderRuns),
      goal: "0",
      ok: textEncoderRuns === 0,
    },
    { name: "model loads on reruns", value: String(loads), goal: "0", ok: loads === 0 },
  ]);
  return { ratio, textEncoderRuns, loads };
}

if (import.meta.url === `file://${process.argv[1]}`) await seedRerun();
