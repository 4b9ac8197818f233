/**
 * Small helpers for benchmarks: medians over repeated runs, and ratio reporting against a baseline
 * measured in the same process (this machine is shared and noisy; absolute times vary, ratios less so).
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type GraphDocument, graphDocumentSchema } from "../core/graph/document";
import { applyOverrides } from "../core/graph/overrides";
import { registry } from "../nodes/registry";
import { createRuntime } from "../server/runtime/create";
import { DirectoryArtifacts } from "../server/runtime/directory-artifacts";
import { runtimeOptions } from "../server/runtime/options";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** "median (min–max)" of `xs`, three decimals for ratios, one for milliseconds. */
export function spread(xs: number[], unit = ""): string {
  const d = unit ? 1 : 3;
  const f = (x: number) => x.toFixed(d);
  return `${f(median(xs))}${unit} (min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))})`;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function timeIt(
  fn: () => Promise<unknown> | unknown,
  repeats: number,
  warmup = 1,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export interface BenchRow {
  name: string;
  value: string;
  goal?: string;
  ok?: boolean;
}

export function report(title: string, rows: BenchRow[]): void {
  console.log(`\n## ${title}`);
  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const verdict = r.ok === undefined ? "" : r.ok ? "  ✓" : "  ✗";
    console.log(`  ${r.name.padEnd(w)}  ${r.value}${r.goal ? `   (goal ${r.goal})` : ""}${verdict}`);
  }
}

/** The demo model when it is there, else the tiny fixture (whose ONNX calls cost almost nothing). */
export function benchModel(): { modelsDir: string; model: string } {
  if (process.env.BENCH_MODEL)
    return { modelsDir: process.env.BENCH_MODELS_DIR ?? "models", model: process.env.BENCH_MODEL };
  if (existsSync("models/petalflow-shapes/unet/model.onnx"))
    return { modelsDir: "models", model: "petalflow-shapes" };
  return { modelsDir: "tests/fixtures/models", model: "tiny-sd" };
}

export function benchRuntime(modelsDir: string) {
  const out = mkdtempSync(path.join(tmpdir(), "pf-bench-"));
  return createRuntime({
    ...runtimeOptions({ ...process.env, PETALFLOW_MODELS_DIR: modelsDir }),
    artifacts: new DirectoryArtifacts(out, process.cwd()),
    log: () => {},
  });
}

export function exampleDoc(name: string, model: string, seed = 42n): GraphDocument {
  const doc = graphDocumentSchema.parse(JSON.parse(readFileSync(`examples/${name}.json`, "utf8")));
  return applyOverrides(doc, registry, { seed, set: [{ nodeId: "model", param: "model", value: model }] });
}
