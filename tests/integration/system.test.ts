/** The catalog, models and host statistics the editor shows. */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_DEFINITIONS } from "../../nodes/registry";
import { type ArtifactMeta, ContentArtifacts } from "../../server/artifacts/content";
import { recordArtifacts } from "../../server/artifacts/record";
import { prunePreviews } from "../../server/artifacts/store";
import { cudaProviderAvailable } from "../../server/diffusion/providers";
import { encodePng } from "../../server/media/png";
import { parseNvidiaSmi } from "../../server/system/stats";
import { makeTestApp, type TestApp, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp();
});

afterAll(async () => {
  await t?.close();
});

describe("catalog and models", () => {
  it("serialises every node declaration without functions, with sockets and samplers", async () => {
    const c = await t.caller.nodes.catalog();
    expect(c.nodes.map((n) => n.id)).toEqual(NODE_DEFINITIONS.map((d) => d.id));
    expect(JSON.parse(JSON.stringify(c))).toEqual(c); // plain JSON all the way down
    expect(c.nodes.every((n) => !("migrations" in n))).toBe(true);
    expect(c.sockets.find((s) => s.type === "LATENT")?.color).toMatch(/^#[0-9a-f]{6}$/);
    expect(c.schedulers).toContain("euler");
  });

  it("lists usable models and the reasons others are unusable", async () => {
    const m = await t.caller.models.list({ refresh: true });
    expect(m.models.map((x) => x.id)).toContain("tiny-sd");
    // The model's own scheduler config travels with it, for the Scheduler node's plot.
    expect(m.models.find((x) => x.id === "tiny-sd-int64")?.schedulerConfig).toMatchObject({
      prediction_type: "v_prediction",
    });
    expect(m.problems.find((p) => p.id === "missing-unet")?.reason).toMatch(/unet/);
    expect(JSON.stringify(m)).not.toContain(t.dir); // no host paths
  });
});

describe("system", () => {
  it("reports the host, caches, queue and provider", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img() });
    await waitForRun(t.app, runs[0].id);
    const s = await t.caller.system.stats();
    expect(s.cpu.threads).toBeGreaterThan(0);
    expect(s.cpu.cores).toBeGreaterThan(0);
    expect(s.memory.totalBytes).toBeGreaterThan(s.memory.freeBytes);
    expect(s.disk?.freeBytes).toBeGreaterThan(0);
    expect(s.provider).toBe("cpu");
    expect(Array.isArray(s.gpus)).toBe(true);
    expect(s.sessionCache.loaded.map((l) => l.modelId)).toContain("tiny-sd");
    expect(s.queue).toEqual({ length: 0, running: 0, paused: false });

    const freed = await t.caller.system.freeModelCache({ outputs: true });
    expect(freed.freedSessionBytes).toBeGreaterThan(0);
    expect((await t.caller.system.stats()).sessionCache.loaded).toEqual([]);
  });

  it("with PETALFLOW_PROVIDER=auto, says which provider it found and why the ones before it failed", async () => {
    const auto = await makeTestApp({ startWorker: false, env: { PETALFLOW_PROVIDER: "auto" } });
    try {
      const s = await auto.caller.system.stats();
      expect(s.providerReport.requested).toBe("auto");
      expect(s.provider).toBe(s.providerReport.attempts.at(-1)!.provider);
      expect(s.providerReport.attempts.map((a) => a.provider)).toEqual(
        ["cuda", "webgpu", "cpu"].slice(0, s.providerReport.attempts.length),
      );
      for (const a of s.providerReport.attempts.slice(0, -1)) expect(a.error).toBeTruthy();
      expect(s.warnings).toEqual([]);
    } finally {
      await auto.close();
    }
  });

  it.skipIf(cudaProviderAvailable())(
    "with PETALFLOW_PROVIDER=cuda and no CUDA, warns and fails the run with the reason instead of using the CPU",
    async () => {
      const cuda = await makeTestApp({ env: { PETALFLOW_PROVIDER: "cuda" } });
      try {
        const s = await cuda.caller.system.stats();
        expect(s.provider).toBe("none");
        expect(s.warnings.join("\n")).toMatch(/the cuda execution provider was requested .* cannot start/);
        const { runs } = await cuda.caller.runs.enqueue({ document: txt2img() });
        expect(await waitForRun(cuda.app, runs[0].id)).toBe("failed");
        const run = await cuda.caller.runs.get({ id: runs[0].id });
        expect(JSON.stringify(run)).toMatch(/the cuda execution provider was requested/);
      } finally {
        await cuda.close();
      }
    },
  );

  it("warns when a model's weights exceed the free memory of the device", async () => {
    const big = await makeTestApp({ startWorker: false });
    try {
      const scan = await big.app.runtime.services.models.list();
      // Pretend the fixture model is huge.
      for (const m of scan.models) m.totalBytes = Number.MAX_SAFE_INTEGER;
      const s = await big.caller.system.stats();
      expect(s.warnings.some((w) => w.includes('"tiny-sd"') && w.includes("main memory"))).toBe(true);
    } finally {
      await big.close();
    }
  });

  it("prunes Preview Image outputs after a day, keeping files other artifacts share", async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 31 }) });
    await waitForRun(t.app, runs[0].id);
    const saved = (await t.caller.runs.get({ id: runs[0].id })).images[0];
    const savedRow = await t.app.db.artifact.findUniqueOrThrow({ where: { id: saved.id } });
    const bytes = fs.readFileSync(path.join(t.app.dataDir, savedRow.path));
    const base = {
      runId: runs[0].id,
      nodeId: "preview",
      index: 0,
      width: 16,
      height: 16,
      prefix: "p",
      temporary: true,
    };
    // Two Preview Image files as a run writes them, their rows inserted as the queue does.
    const metas: ArtifactMeta[] = [];
    const sink = new ContentArtifacts(t.app.dataDir, {
      onArtifact: (m) => metas.push(m),
      findLatent: async () => null,
    });
    const shared = await sink.saveImage({ ...base, png: bytes });
    const own = await sink.saveImage({
      ...base,
      png: encodePng({ width: 1, height: 1, channels: 3, data: new Uint8Array(3) }),
    });
    expect(await recordArtifacts(t.app.db, runs[0].id, metas)).toBe(2);
    const ownPath = (await t.app.db.artifact.findUniqueOrThrow({ where: { id: own.artifactId! } })).path;
    await t.app.db.artifact.updateMany({
      where: { kind: "preview" },
      data: { createdAt: new Date(Date.now() - 2 * 86_400_000) },
    });
    expect(await prunePreviews(t.app.db, t.app.dataDir, 86_400_000)).toBe(2);
    expect(
      await t.app.db.artifact.count({ where: { id: { in: [shared.artifactId!, own.artifactId!] } } }),
    ).toBe(0);
    expect(fs.existsSync(path.join(t.app.dataDir, savedRow.path))).toBe(true);
    expect(fs.existsSync(path.join(t.app.dataDir, ownPath))).toBe(false);
  });

  it("parses nvidia-smi's CSV (memory in MiB)", () => {
    expect(parseNvidiaSmi("NVIDIA H100 80GB HBM3, 81559, 80910\nNVIDIA A10, 23028, 100\n\n")).toEqual([
      { name: "NVIDIA H100 80GB HBM3", memoryTotalBytes: 81559 * 2 ** 20, memoryFreeBytes: 80910 * 2 ** 20 },
      { name: "NVIDIA A10", memoryTotalBytes: 23028 * 2 ** 20, memoryFreeBytes: 100 * 2 ** 20 },
    ]);
    expect(parseNvidiaSmi("NVIDIA-SMI has failed\n")).toEqual([]);
  });
});
