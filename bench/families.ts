/**
 * U-Net calls per step and their batch size, per model family and CFG setting, on the tiny fixture
 * folders (tests/fixtures/models): classifier-free guidance doubles the batch only when CFG > 1, an LCM
 * U-Net embeds the scale instead, and an inpainting U-Net's batch carries 9 channels. Counts, not times.
 * Standalone: `npx tsx bench/families.ts`.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type GraphDocument, graphDocumentSchema } from "../core/graph/document";
import { validateDocument } from "../core/graph/validate";
import { registry } from "../nodes/registry";
import { createRuntime, DEFAULT_LIMITS } from "../server/runtime/create";
import { DirectoryArtifacts } from "../server/runtime/directory-artifacts";

const MODELS = "tests/fixtures/models";
const CASES: { family: string; template: string; model: string }[] = [
  { family: "sd1", template: "txt2img", model: "tiny-sd" },
  { family: "sd2-v", template: "txt2img", model: "tiny-sd-int64" },
  { family: "sdxl", template: "sdxl-txt2img", model: "tiny-sdxl" },
  { family: "sdxl · turbo", template: "sdxl-turbo", model: "tiny-sdxl-turbo" },
  { family: "sd1 · inpaint", template: "inpaint-model", model: "tiny-sd-inpaint" },
];

function doc(template: string, model: string, cfg: number, steps: number): GraphDocument {
  const d = graphDocumentSchema.parse(JSON.parse(readFileSync(`examples/${template}.json`, "utf8")));
  for (const n of d.nodes) {
    const p = n.params as Record<string, unknown>;
    if (n.type === "model-loader") p.model = model;
    if (n.type === "empty-latent" || n.type === "noise") Object.assign(p, { width: 64, height: 64 });
    if (n.type === "load-image" && p.width) Object.assign(p, { width: 64, height: 64 });
    if (n.type === "scheduler") p.steps = steps;
    if (n.type === "unet-step") p.cfg = cfg;
  }
  const v = validateDocument(d, registry);
  if (!v.ok) throw new Error(`${template}: ${v.errors.map((e) => e.message).join("; ")}`);
  return d;
}

export async function families(steps = 4) {
  console.log("\nU-Net calls per step × batch (tiny fixtures, batch 1 image, %d steps)", steps);
  console.log("family           cfg 1                   cfg 5");
  for (const c of CASES) {
    const row: string[] = [];
    for (const cfg of [1, 5]) {
      const rt = createRuntime({
        modelsDir: MODELS,
        provider: "cpu",
        sessionBudgetBytes: 64 << 20,
        outputCacheBytes: 64 << 20,
        artifacts: new DirectoryArtifacts(mkdtempSync(path.join(tmpdir(), "pf-bench-")), process.cwd()),
        limits: DEFAULT_LIMITS,
        log: () => {},
      });
      const unet = await rt.services.session(c.model, "unet");
      const calls: string[] = [];
      const run = unet.run.bind(unet);
      unet.run = (feeds, opts) => {
        calls.push(`${feeds.sample.dims[0]}×${feeds.sample.dims[1]}ch`);
        return run(feeds, opts);
      };
      const r = await rt.executor.run(doc(c.template, c.model, cfg, steps), { previews: false });
      if (r.status !== "succeeded") throw new Error(`${c.family}: ${r.error?.message}`);
      const kinds = [...new Set(calls)].join(",");
      row.push(`${(calls.length / steps).toFixed(0)}/step, batch ${kinds}`.padEnd(24));
    }
    console.log(`${c.family.padEnd(16)} ${row.join("")}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await families();
