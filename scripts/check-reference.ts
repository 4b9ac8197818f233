/**
 * `npm run check:reference`: how far Petalflow's sampling is from diffusers.
 * 1. Every scheduler × config of tests/fixtures/diffusers-reference.json (numpy port of diffusers' maths,
 *    scripts/reference/diffusers_schedulers.py): max relative difference of the final sample, with the
 *    schedulers run in float64 (the maths) and in float32 (as the app runs them).
 * 2. The demo model end to end (scripts/reference/compare-demo.ts): max |Δ| of the final txt2img latent
 *    against a diffusers-style loop over the raw ONNX U-Net, seed 42, 10 steps, cfg 7.5.
 */

import { compareDemoModel } from "./reference/compare-demo";
import { compareAll } from "./reference/compare-schedulers";

const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(1) : String(v));

const f64 = compareAll("float64");
const f32 = compareAll("float32");
const worst = new Map<string, { f64: number; f32: number; ts: number }>();
f64.forEach((r, i) => {
  const key = `${r.scheduler}\t${r.config}`;
  const w = worst.get(key) ?? { f64: 0, f32: 0, ts: 0 };
  w.f64 = Math.max(w.f64, r.maxDiff);
  w.f32 = Math.max(w.f32, f32[i].maxDiff);
  w.ts = Math.max(w.ts, r.timestepDiff);
  worst.set(key, w);
});
const configs = [...new Set(f64.map((r) => r.config))];
const schedulers = [...new Set(f64.map((r) => r.scheduler))];
console.log(
  "Scheduler maths vs diffusers (numpy reference; max relative |Δ| of the final sample, float64 / float32):",
);
console.log(["scheduler".padEnd(16), ...configs.map((c) => c.padEnd(22))].join(" "));
for (const s of schedulers) {
  const cells = configs.map((c) => {
    const w = worst.get(`${s}\t${c}`);
    return (w ? `${fmt(w.f64)} / ${fmt(w.f32)}${w.ts > 1e-6 ? " t!" : ""}` : "—").padEnd(22);
  });
  console.log([s.padEnd(16), ...cells].join(" "));
}
const all64 = Math.max(...f64.map((r) => r.maxDiff));
console.log(`${f64.length} loops; worst float64 difference ${fmt(all64)}`);

console.log(
  "\nDemo model txt2img vs a diffusers-style loop over the raw ONNX U-Net (seed 42, 10 steps, cfg 7.5):",
);
for (const r of await compareDemoModel()) {
  console.log(
    `${r.algorithm.padEnd(16)} max |Δ latent| = ${fmt(r.maxDiff)}   (max |latent| ${r.maxAbs.toFixed(2)})`,
  );
}
