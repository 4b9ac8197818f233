/**
 * Benchmark 7 — micro-benchmarks on a 1×4×128×128 latent: torch-exact noise generation and one
 * scheduler step per algorithm, per second, with Math.random-based Box–Muller as the baseline.
 */

import { DEFAULT_SCHEDULER_CONFIG } from "../core/schedulers/config";
import { createScheduler, SCHEDULER_NAMES } from "../core/schedulers/index";
import { TorchGenerator } from "../server/diffusion/noise";
import { median, report, timeIt } from "./lib";

export async function noiseScheduler(repeats = Number(process.env.BENCH_REPEATS ?? 20)) {
  const size = 4 * 128 * 128;
  const baseline = () => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i += 2) {
      const u = 1 - Math.random();
      const r = Math.sqrt(-2 * Math.log(u));
      out[i] = r * Math.cos(2 * Math.PI * Math.random());
      out[i + 1] = r;
    }
    return out;
  };
  const base = median(await timeIt(baseline, repeats, 2));
  const torch = median(await timeIt(() => new TorchGenerator(42n).randn(size), repeats, 2));
  const rows = [
    { name: "Math.random Box–Muller (baseline)", value: `${(1000 / base).toFixed(0)}/s` },
    {
      name: "torch-exact randn",
      value: `${(1000 / torch).toFixed(0)}/s  (${(torch / base).toFixed(2)}× baseline time)`,
    },
  ];
  const sample = new TorchGenerator(1n).randn(size);
  const eps = new TorchGenerator(2n).randn(size);
  for (const name of SCHEDULER_NAMES) {
    const s = createScheduler(name, DEFAULT_SCHEDULER_CONFIG);
    s.setTimesteps(25);
    const rng = new TorchGenerator(3n);
    const t = median(
      await timeIt(
        () => {
          s.setTimesteps(25);
          s.step(eps, 0, s.scaleModelInput(sample, 0), rng);
        },
        repeats,
        2,
      ),
    );
    rows.push({
      name: `${name} step`,
      value: `${(1000 / t).toFixed(0)}/s  (${(t / base).toFixed(2)}× baseline time)`,
    });
  }
  report("Noise and scheduler steps on 1×4×128×128", rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await noiseScheduler();
