/**
 * Benchmark 4 — memory: RSS and heap after 10 and after 100 consecutive runs with new seeds (goal: the
 * 100-run figures ≤ 1.1 × the 10-run ones), with the output cache's and the model cache's bytes.
 * Run with --expose-gc for steadier heap figures (`node --expose-gc --import tsx bench/memory.ts`).
 */

import { applyOverrides } from "../core/graph/overrides";
import { registry } from "../nodes/registry";
import { benchModel, benchRuntime, exampleDoc, report } from "./lib";

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

export async function memory(runs = Number(process.env.BENCH_MEMORY_RUNS ?? 100)) {
  const { modelsDir, model } = benchModel();
  const rt = benchRuntime(modelsDir);
  const doc = exampleDoc("txt2img", model);
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = () => {
    gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed };
  };
  let at10 = sample();
  for (let i = 1; i <= runs; i++) {
    const r = await rt.executor.run(applyOverrides(doc, registry, { seed: BigInt(i) }), { previews: true });
    if (r.status !== "succeeded") throw new Error(r.error?.message);
    if (i === 10) at10 = sample();
  }
  const atEnd = sample();
  const rssRatio = atEnd.rss / at10.rss;
  const heapRatio = atEnd.heap / at10.heap;
  report(`Memory over ${runs} runs (${model}${gc ? ", with gc" : ", no --expose-gc"})`, [
    { name: "RSS after 10 runs", value: mib(at10.rss) },
    { name: `RSS after ${runs} runs`, value: mib(atEnd.rss) },
    { name: "RSS ratio", value: rssRatio.toFixed(3), goal: "≤ 1.1", ok: rssRatio <= 1.1 },
    { name: "heap after 10 runs", value: mib(at10.heap) },
    { name: `heap after ${runs} runs`, value: mib(atEnd.heap) },
    { name: "heap ratio", value: heapRatio.toFixed(3), goal: "≤ 1.1", ok: heapRatio <= 1.1 },
    {
      name: "output cache",
      value: `${mib(rt.executor.cache.stats().bytes)} in ${rt.executor.cache.stats().entries} entries`,
    },
    { name: "model cache", value: mib(rt.services.sessions.stats().bytes) },
  ]);
  return { rssRatio, heapRatio };
}

if (import.meta.url === `file://${process.argv[1]}`) await memory();
