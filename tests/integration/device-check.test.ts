/**
 * scripts/device-check.sh --cpu-only, as CI runs it: the same script a GPU host runs, CPU alone at
 * small sizes. Checks the JSON it writes, not its timings.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  GPU_LATENT_TOLERANCE,
  latentDifference,
  withinTolerance,
} from "../../server/diffusion/latent-compare";

describe("latent comparison", () => {
  it("measures max |Δ| and the L2 error relative to the reference", () => {
    const d = latentDifference([1, 2, 2.5], [1, 2, 2]);
    expect(d.maxAbs).toBeCloseTo(0.5, 12);
    expect(d.relL2).toBeCloseTo(0.5 / 3, 12); // ‖(0,0,0.5)‖ / ‖(1,2,2)‖
    expect(d.refMaxAbs).toBe(2);
    expect(withinTolerance(d)).toBe(false);
    expect(withinTolerance(latentDifference([1, 2, 2.001], [1, 2, 2]))).toBe(true);
  });

  it("fails on NaN and on different sizes", () => {
    expect(withinTolerance(latentDifference([Number.NaN, 0], [0, 0]))).toBe(false);
    expect(() => latentDifference([1], [1, 2])).toThrow(/differ in size/);
  });
});

describe("scripts/device-check.sh --cpu-only", () => {
  it("reports the providers, a zero CPU-against-CPU latent difference and CPU timings in $OUT/device-check.json", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pf-device-check-"));
    try {
      const r = await promisify(execFile)("bash", ["scripts/device-check.sh", "--cpu-only"], {
        env: { ...process.env, OUT: out },
        encoding: "utf8",
        timeout: 240_000,
      });
      expect(r.stdout).toMatch(/^provider cpu: starts/m);
      const report = JSON.parse(fs.readFileSync(path.join(out, "device-check.json"), "utf8"));
      expect(report.mode).toBe("cpu-only");
      expect(report.errors).toEqual([]);
      expect(report.providers.map((p: { provider: string }) => p.provider)).toEqual([
        "cpu",
        "cuda",
        "webgpu",
      ]);
      expect(report.providers[0].ok).toBe(true);
      for (const p of report.providers) if (!p.ok) expect(p.error).toBeTruthy();
      expect(report.txt2img).toMatchObject({
        model: "petalflow-shapes",
        size: 64,
        steps: 25,
        tolerance: GPU_LATENT_TOLERANCE,
      });
      // Two CPU runtimes on the same seed must agree exactly; the latent is not empty.
      expect(report.txt2img.comparisons).toEqual([
        expect.objectContaining({ provider: "cpu (fresh runtime)", maxAbs: 0, relL2: 0, pass: true }),
      ]);
      expect(report.txt2img.comparisons[0].refMaxAbs).toBeGreaterThan(0.1);
      expect(report.unetCall.map((u: { size: number }) => u.size)).toEqual([64, 128]);
      for (const u of report.unetCall) expect(u.medianMs.cpu).toBeGreaterThan(0);
      expect(report.run).toMatchObject({ size: 64, steps: 25 });
      expect(report.run.ms.cpu).toBeGreaterThan(0);
      // 25 U-Net calls, one text-embedding conversion: the 24 others reuse it.
      expect(report.run.textEmbeddings.cpu).toEqual({
        conversions: 1,
        uploads: 0,
        reuses: 24,
        problem: null,
      });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
