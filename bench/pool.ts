/**
 * Benchmark 8 — the worker pool (PETALFLOW_REDIS_URL), with real processes: a redis-server on a free
 * loopback port, `npm run worker` processes, and an app whose runs go to the pool. Reported:
 *  - throughput of 2 workers ÷ 1 worker (the same number of seed-varied runs queued at once);
 *  - per-run latency added by the pool: median enqueue → finished, one run at a time, pool (1 worker)
 *    minus the embedded queue (runner child) on the same documents;
 *  - a seed-only rerun on a pool of 3: text-encoder executions and model loads (goals 0 and 0).
 * Skipped, saying so, without redis-server. BENCH_POOL_RUNS sets the runs per throughput phase (16).
 * Each worker's onnxruntime uses its default thread pool (there is no per-process thread setting yet):
 * on a 2-core machine two workers compete for the same cores, which bounds the throughput ratio.
 */

import type { GraphDocument } from "../core/graph/document";
import { applyOverrides } from "../core/graph/overrides";
import { registry } from "../nodes/registry";
import { makeTestApp, type TestApp } from "../tests/integration/helpers/app";
import {
  HAS_REDIS,
  serveWorkerRoutes,
  startRedis,
  startWorker,
  WORKER_TOKEN,
  type WorkerProcess,
} from "../tests/integration/pool/harness";
import { benchModel, exampleDoc, median, report } from "./lib";

async function finished(t: TestApp, ids: string[]): Promise<number> {
  for (;;) {
    const rows = await t.app.db.run.findMany({ where: { id: { in: ids } }, select: { status: true } });
    const open = rows.filter((r) => r.status === "queued" || r.status === "running").length;
    if (!open) {
      const bad = rows.filter((r) => r.status !== "succeeded").length;
      if (bad) throw new Error(`${bad} of ${ids.length} runs did not succeed`);
      return performance.now();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function enqueue(t: TestApp, doc: GraphDocument, seed: number): Promise<string> {
  const d = applyOverrides(doc, registry, { seed: BigInt(seed) });
  return (await t.caller.runs.enqueue({ document: d })).runs[0].id;
}

async function latency(t: TestApp, doc: GraphDocument, seeds: number[]): Promise<number> {
  const ms: number[] = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    ms.push((await finished(t, [await enqueue(t, doc, seed)])) - t0);
  }
  return median(ms);
}

export async function pool() {
  if (!HAS_REDIS) {
    console.log("\n## Worker pool\n  skipped: no redis-server on PATH (apt-get install redis-server)");
    return;
  }
  const { modelsDir, model } = benchModel();
  const doc = exampleDoc("txt2img", model, 1n);
  const runs = Number(process.env.BENCH_POOL_RUNS ?? 16);
  const redis = await startRedis();
  const embedded = await makeTestApp({ runner: "process", env: { PETALFLOW_MODELS_DIR: modelsDir } });
  const t = await makeTestApp({
    env: {
      PETALFLOW_MODELS_DIR: modelsDir,
      PETALFLOW_REDIS_URL: redis.url,
      PETALFLOW_WORKER_TOKEN: WORKER_TOKEN,
    },
  });
  const routes = await serveWorkerRoutes(t.app);
  const workers: WorkerProcess[] = [];
  const add = async (id: string) =>
    workers.push(await startWorker({ id, redisUrl: redis.url, serverUrl: routes.url, modelsDir }));
  try {
    // ---- latency, one run at a time (warm: the first run of each loads the model)
    await latency(embedded, doc, [1]);
    const embeddedMs = await latency(embedded, doc, [11, 12, 13, 14, 15, 16, 17, 18]);
    await add("bench-1");
    await latency(t, doc, [1]);
    const poolMs = await latency(t, doc, [11, 12, 13, 14, 15, 16, 17, 18]);

    // ---- throughput: 1 worker, then 2
    const phase = async (base: number) => {
      const t0 = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < runs; i++) ids.push(await enqueue(t, doc, base + i));
      return (await finished(t, ids)) - t0;
    };
    const one = await phase(1000);
    await add("bench-2");
    await finished(t, [await enqueue(t, doc, 2), await enqueue(t, doc, 3)]); // warm the second worker
    const two = await phase(2000);

    // ---- seed-only rerun on a pool of 3
    await add("bench-3");
    const loads = async () =>
      (await t.caller.system.workers()).workers.reduce((n, w) => n + (w.alive ? w.modelLoads : 0), 0);
    await finished(t, [await enqueue(t, doc, 3000)]);
    await new Promise((r) => setTimeout(r, 3000)); // heartbeats carry the load counters
    const loadsBefore = await loads();
    let textEncoderRuns = 0;
    for (const seed of [3001, 3002, 3003]) {
      const id = await enqueue(t, doc, seed);
      await finished(t, [id]);
      const rows = await t.app.db.runEvent.findMany({ where: { runId: id, type: "node.finished" } });
      textEncoderRuns += rows.filter((r) => /"nodeId":"(positive|negative)"/.test(r.payload)).length;
    }
    await new Promise((r) => setTimeout(r, 3000));
    const rerunLoads = (await loads()) - loadsBefore;

    const ratio = one / two;
    report(`Worker pool (${model}; ${runs} runs per throughput phase)`, [
      {
        name: "throughput: 2 workers ÷ 1 worker",
        value: `${ratio.toFixed(2)}× (${(one / 1000).toFixed(1)} s → ${(two / 1000).toFixed(1)} s)`,
        goal: "≥ 1.8× with 1 ORT thread each",
        ok: ratio >= 1.8,
      },
      {
        name: "latency added per run: pool − embedded (median, one at a time)",
        value: `${(poolMs - embeddedMs).toFixed(0)} ms (${poolMs.toFixed(0)} vs ${embeddedMs.toFixed(0)} ms)`,
        goal: "≤ 20 ms",
        ok: poolMs - embeddedMs <= 20,
      },
      {
        name: "seed-only reruns on a pool of 3: text-encoder executions; model loads",
        value: `${textEncoderRuns}; ${rerunLoads}`,
        goal: "0; 0",
        ok: textEncoderRuns === 0 && rerunLoads === 0,
      },
    ]);
  } finally {
    for (const w of workers) await w.stop().catch(() => undefined);
    await t.close();
    await embedded.close();
    await routes.close();
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await pool();
