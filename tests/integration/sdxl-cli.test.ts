/**
 * The SDXL template through the CLI (`npm run graph -- run`) on the tiny SDXL fixture: the same seed gives
 * the same pixels on every run, and the same pixels as the in-process executor the server uses.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { graphDocumentSchema } from "../../core/graph/document";
import { applyOverrides, parseSetArgument } from "../../core/graph/overrides";
import type { ImageValue } from "../../core/node/values";
import { registry } from "../../nodes/registry";
import { decodeImage } from "../../server/media/png";
import { cpuRuntime } from "./helpers/runtime";

const SETS = [
  "model.model=tiny-sdxl",
  "latent.width=64",
  "latent.height=64",
  "noise.width=64",
  "noise.height=64",
  "schedule.steps=3",
];

describe("SDXL through the CLI", () => {
  const cli = promisify(execFile);
  const run = async (out: string) => {
    const args = ["tsx", "scripts/graph.ts", "run", "examples/sdxl-txt2img.json", "--seed", "42"];
    for (const s of SETS) args.push("--set", s);
    await cli("npx", [...args, "--models", "tests/fixtures/models", "--out", out], { encoding: "utf8" });
    const png = readdirSync(out).find((f) => f.endsWith(".png"))!;
    return decodeImage(readFileSync(path.join(out, png)), { maxPixels: 1 << 20, maxBytes: 1 << 24 }).data;
  };

  it("same seed → same pixels, run after run, and the same as the executor in process", async () => {
    const a = await run(mkdtempSync(path.join(tmpdir(), "pf-sdxl-cli-")));
    const b = await run(mkdtempSync(path.join(tmpdir(), "pf-sdxl-cli-")));
    expect(b).toEqual(a);
    const doc = applyOverrides(
      graphDocumentSchema.parse(JSON.parse(readFileSync("examples/sdxl-txt2img.json", "utf8"))),
      registry,
      { seed: 42n, set: SETS.map((s) => parseSetArgument(s)) },
    );
    const r = await cpuRuntime("tests/fixtures/models").executor.run(doc);
    expect(r.status, JSON.stringify(r.error)).toBe("succeeded");
    const img = (r.outputs.get("decode")!.image as ImageValue).tensor.data;
    // RGBA8 from the CLI's PNG vs the float image: within one 8-bit step.
    let worst = 0;
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 64 * 64; p++)
        worst = Math.max(worst, Math.abs(a[p * 4 + c] / 255 - img[c * 4096 + p]));
    expect(worst).toBeLessThanOrEqual(1 / 255 + 1e-6);
  }, 180_000);
});
