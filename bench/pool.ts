/**
 * Benchmark 8 — the worker pool (PETALFLOW_REDIS_URL), with real processes: a redis-server on a free
 * loopback port, `npm run worker` processes, and an app whose runs go to the pool. Reported:
 *  - throughput of 2 workers ÷ 1 worker (the same number of seed-varied runs queued at once), for the
 *    demo graph and for the same graph at BENCH_POOL_BIG_PX (256) px, where the model's work dominates
 *    the fixed cost per run as in real pool runs; rounds of 1 worker then 2 (BENCH_POOL_ROUNDS, 3);
 *    The embedded queue with 2 runner processes ÷ 1 on the same bursts is printed beside it: what this
 *    machine's 2 cores allow the same work without Redis, uploads or a second process's server share;
 *  - per-run latency added by the pool: median enqueue → finished, one run at a time, pool (1 worker)
 *    minus the embedded queue (runner child) on the same documents, the two taking turns run by run;
 *  - a seed-only rerun on a pool of 3: text-encoder executions and model loads (goals 0 and 0).
 * Skipped, saying so, without redis-server. BENCH_POOL_RUNS sets the demo runs per throughput phase (16),
 * BENCH_POOL_BIG_RUNS the larger ones (4).
 * Workers and the embedded runner child run onnxruntime on 1 thread each (PETALFLOW_ORT_THREADS=1), so
 * the latency difference is the pool's and not a thread count's; both apps poll their queue as the
 * server does (1 s; runs are taken on the enqueue notice). Each phase also prints the CPU time per run
 * of every process (this one is the server; workers and the runner child from /proc; redis-server from
 * INFO cpu) and Redis commands per run: on a shared 2-core machine wall times are noisy, CPU is not,
 * and 2 workers can at best reach 2 cores ÷ (CPU per run of all processes together).
 */

import fs from "node:fs";
import { Redis } from "ioredis";
import type { GraphDocument } from "../core/graph/document";
import { applyOverrides } from "../core/graph/overrides";
import { registry } from "../nodes/registry";
import { POOL } from "../server/pool/protocol";
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

/** Resolves when every run has finished (the queue's notice, not polling: no CPU taken from the runs). */
async function finished(t: TestApp, ids: string[]): Promise<number> {
  const open = new Set(ids);
  const done = new Promise<void>((resolve) => {
    const off = t.app.bus.onQueue((c) => {
      if ((c.type === "finished" || c.type === "cancelled") && open.delete(c.runId) && !open.size) {
        off();
        resolve();
      }
    });
  });
  // Those that ended before the listener was on.
  const rows = await t.app.db.run.findMany({
    where: { id: { in: ids } },
    select: { id: true, status: true },
  });
  for (const r of rows) if (r.status !== "queued" && r.status !== "running") open.delete(r.id);
  if (open.size) await done;
  const at = performance.now();
  const bad = (await t.app.db.run.findMany({ where: { id: { in: ids }, status: { not: "succeeded" } } }))
    .length;
  if (bad) throw new Error(`${bad} of ${ids.length} runs did not succeed`);
  return at;
}

/** CPU time (user + system, ms) of a process, from /proc (Linux); NaN elsewhere. */
export function procCpuMs(pid: number | undefined): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks, USER_HZ = 100
  } catch {
    return Number.NaN;
  }
}

/** The embedded queue's runner child (a child of this process running server/runner/child.ts). */
export function runnerChildPid(): number | undefined {
  try {
    const kids = fs
      .readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, "utf8")
      .trim()
      .split(/\s+/);
    return kids.map(Number).find((k) => /runner/.test(fs.readFileSync(`/proc/${k}/cmdline`, "utf8")));
  } catch {
    return undefined;
  }
}

/**
 * CPU ms of each process and Redis commands, summed over measured stretches (`await measure(fn)`), then
 * reported per run (`per(n)`).
 */
function cpuMeter(procs: () => Record<string, number | undefined>, redis?: Redis) {
  const redisNow = async () => {
    if (!redis) return { cpu: 0, calls: 0 };
    const cpu = await redis.info("cpu");
    const used = ["user", "sys"].reduce(
      (a, k) => a + Number(new RegExp(`used_cpu_${k}:([\\d.]+)`).exec(cpu)?.[1]),
      0,
    );
    const calls = [...(await redis.info("commandstats")).matchAll(/calls=(\d+)/g)].reduce(
      (a, m) => a + Number(m[1]),
      0,
    );
    return { cpu: used * 1000, calls: calls - 2 }; // less this reading's own INFO commands
  };
  const sums = new Map<string, number>();
  let calls = 0;
  const add = (k: string, v: number) => sums.set(k, (sums.get(k) ?? 0) + v);
  return {
    async measure<T>(fn: () => Promise<T>): Promise<T> {
      const pids = procs();
      const p0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid)]));
      const r0 = await redisNow();
      const s0 = process.cpuUsage();
      const out = await fn();
      const s = process.cpuUsage(s0);
      const r1 = await redisNow();
      add("server", (s.user + s.system) / 1000);
      for (const [k, pid] of Object.entries(pids)) add(k, procCpuMs(pid) - p0[k]);
      if (redis) add("redis", r1.cpu - r0.cpu);
      calls += r1.calls - r0.calls;
      return out;
    },
    per(n: number) {
      const parts = [...sums].map(([k, v]) => [k, v / n] as const);
      const total = parts.reduce((a, [, v]) => a + v, 0);
      const text = `${parts.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(" + ")} = ${total.toFixed(0)} ms CPU per run${
        redis ? `; ${(calls / n).toFixed(0)} Redis commands per run` : ""
      }`;
      // The workers' (or runner child's) share: what a run costs wherever it executes.
      const own = parts.filter(([k]) => k !== "server" && k !== "redis").reduce((a, [, v]) => a + v, 0);
      return { total, own, text };
    },
  };
}

/**
 * Workers with the production heartbeat and lock (2 s, 30 s): the tests' 500 ms heartbeat and 4 s lock
 * (a renewal every 2 s, a stalled check every 4 s) would bill their Redis scripts to the runs.
 */
const PRODUCTION = { heartbeatMs: 2000, lockMs: 30_000 };

/** The larger run size (px): the demo U-Net has dynamic axes; 256 px is ≈ 1.5 s of ONNX a run on 1 thread. */
const BIG_PX = Number(process.env.BENCH_POOL_BIG_PX ?? 256);

const stats = (ms: number[]) =>
  `median ${median(ms).toFixed(0)} (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)})`;

async function enqueue(t: TestApp, doc: GraphDocument, seed: number): Promise<string> {
  const d = applyOverrides(doc, registry, { seed: BigInt(seed) });
  return (await t.caller.runs.enqueue({ document: d })).runs[0].id;
}

async function latency(t: TestApp, doc: GraphDocument, seeds: number[]): Promise<number[]> {
  const ms: number[] = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    ms.push((await finished(t, [await enqueue(t, doc, seed)])) - t0);
  }
  return ms;
}

export async function pool() {
  if (!HAS_REDIS) {
    console.log("\n## Worker pool\n  skipped: no redis-server on PATH (apt-get install redis-server)");
    return;
  }
  const { modelsDir, model } = benchModel();
  const doc = exampleDoc("txt2img", model, 1n);
  const runs = Number(process.env.BENCH_POOL_RUNS ?? 16);
  const bigRuns = Number(process.env.BENCH_POOL_BIG_RUNS ?? 4);
  const redis = await startRedis();
  const embedded = await makeTestApp({
    runner: "process",
    pollMs: 1000,
    env: { PETALFLOW_MODELS_DIR: modelsDir, PETALFLOW_ORT_THREADS: 1 },
  });
  // The same machine's own bound for the same work: the embedded queue with 2 runner processes ÷ 1 (no
  // Redis, no uploads), the throughput phases' yardstick.
  const embedded2 = await makeTestApp({
    runner: "process",
    pollMs: 1000,
    env: { PETALFLOW_MODELS_DIR: modelsDir, PETALFLOW_ORT_THREADS: 1, PETALFLOW_CONCURRENCY: 2 },
  });
  const t = await makeTestApp({
    pollMs: 1000,
    env: {
      PETALFLOW_MODELS_DIR: modelsDir,
      PETALFLOW_REDIS_URL: redis.url,
      PETALFLOW_WORKER_TOKEN: WORKER_TOKEN,
    },
  });
  const routes = await serveWorkerRoutes(t.app);
  const workers: WorkerProcess[] = [];
  const add = async (id: string) =>
    workers.push(
      await startWorker({ id, redisUrl: redis.url, serverUrl: routes.url, modelsDir, ...PRODUCTION }),
    );
  const admin = new Redis(redis.url);
  const seeds = Array.from({ length: Number(process.env.BENCH_POOL_LATENCY_RUNS ?? 12) }, (_, i) => 11 + i);
  const cpu: string[] = [];
  try {
    // ---- latency, one run at a time, embedded and pool in turn (both see the same load); the first
    // runs of each load the models
    await add("bench-1");
    await latency(embedded, doc, [1, 2]);
    await latency(t, doc, [1, 2]);
    const workerPids = () => Object.fromEntries(workers.map((w) => [w.id, w.proc.pid]));
    const embeddedCpu = cpuMeter(() => ({ runner: runnerChildPid() }));
    const poolCpu = cpuMeter(workerPids, admin);
    const embeddedRuns: number[] = [];
    const poolRuns: number[] = [];
    for (const seed of seeds) {
      embeddedRuns.push(...(await embeddedCpu.measure(() => latency(embedded, doc, [seed]))));
      poolRuns.push(...(await poolCpu.measure(() => latency(t, doc, [seed]))));
    }
    cpu.push(`embedded, one at a time: ${embeddedCpu.per(seeds.length).text}`);
    cpu.push(`pool, 1 worker, one at a time: ${poolCpu.per(seeds.length).text}`);
    const embeddedMs = median(embeddedRuns);
    const poolMs = median(poolRuns);

    // ---- throughput, 2 workers ÷ 1, at two run sizes: the demo graph (≈ 120 ms of ONNX a run, so the
    // fixed cost per run of server, Redis and worker JS weighs a lot) and the same graph at a larger
    // image, where the model's work dominates as in a real pool run (a GPU run takes seconds). Rounds
    // alternate 1 worker and 2 (the second is started, warmed and stopped each round), so both see the
    // same load; each round gives one ratio per size.
    // Jobs put back by a worker for another one's cache (BullMQ "delayed" events of the runs' queues).
    const putBack = async () => {
      let n = 0;
      for (const key of await admin.keys(`${POOL.bullPrefix}:${POOL.queue("*")}:events`))
        for (const [, f] of await admin.xrange(key, "-", "+")) if (f[1] === "delayed") n++;
      return n;
    };
    const sizes = [
      { what: "demo graph 64×64 px", doc, runs },
      {
        what: `demo graph ${BIG_PX}×${BIG_PX} px`,
        doc: applyOverrides(doc, registry, {
          set: ["latent", "noise"].flatMap((nodeId) =>
            ["width", "height"].map((param) => ({ nodeId, param, value: BIG_PX })),
          ),
        }),
        runs: bigRuns,
      },
    ];
    type Tally = { ms: number[]; meter: ReturnType<typeof cpuMeter>; runs: number; back: number };
    const tally = new Map<string, Tally>();
    const burst = async (app: TestApp, size: (typeof sizes)[number], base: number) => {
      const start = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < size.runs; i++) ids.push(await enqueue(app, size.doc, base + i));
      return (await finished(app, ids)) - start;
    };
    const phase = async (size: (typeof sizes)[number], n: 1 | 2, base: number) => {
      const key = `${size.what}|${n}`;
      const t0 = tally.get(key) ?? { ms: [], meter: cpuMeter(workerPids, admin), runs: 0, back: 0 };
      tally.set(key, t0);
      const back0 = await putBack();
      const ms = await t0.meter.measure(() => burst(t, size, base));
      t0.ms.push(ms / size.runs);
      t0.runs += size.runs;
      t0.back += (await putBack()) - back0;
    };
    // The embedded queue's phase: the same burst on 1 runner process or 2.
    const local = new Map<string, number[]>();
    const localPhase = async (size: (typeof sizes)[number], n: 1 | 2, base: number) => {
      const key = `${size.what}|${n}`;
      local.set(key, [
        ...(local.get(key) ?? []),
        (await burst(n === 1 ? embedded : embedded2, size, base)) / size.runs,
      ]);
    };
    const rounds = Number(process.env.BENCH_POOL_ROUNDS ?? 3);
    await finished(t, [await enqueue(t, sizes[1].doc, 1)]); // the first worker's first run at the larger size
    for (const size of sizes) {
      // Warm the 2-runner app's both runner processes at both sizes.
      await finished(embedded2, [
        await enqueue(embedded2, size.doc, 2),
        await enqueue(embedded2, size.doc, 3),
      ]);
      await finished(embedded, [await enqueue(embedded, size.doc, 2)]);
    }
    for (let round = 0; round < rounds; round++) {
      for (const size of sizes) await phase(size, 1, 10_000 * round + 1000);
      for (const size of sizes) await localPhase(size, 1, 10_000 * round + 1000);
      for (const size of sizes) await localPhase(size, 2, 10_000 * round + 2000);
      const second = await startWorker({
        id: `bench-2-${round}`,
        redisUrl: redis.url,
        serverUrl: routes.url,
        modelsDir,
        ...PRODUCTION,
      });
      workers.push(second);
      // Warm the second worker at both sizes (two runs at once: the idle one takes the second).
      for (const size of sizes)
        await finished(t, [await enqueue(t, size.doc, 2), await enqueue(t, size.doc, 3)]);
      for (const size of sizes) await phase(size, 2, 10_000 * round + 2000);
      await second.stop();
      workers.splice(workers.indexOf(second), 1);
    }
    const throughput = (rounds ? sizes : []).map((size) => {
      const one = tally.get(`${size.what}|1`) as Tally;
      const two = tally.get(`${size.what}|2`) as Tally;
      const ratios = one.ms.map((ms, i) => ms / two.ms[i]);
      const l1s = local.get(`${size.what}|1`) ?? [];
      const l2s = local.get(`${size.what}|2`) ?? [];
      const localRatios = l1s.map((ms, i) => ms / l2s[i]);
      const l1 = median(one.ms);
      const cpu1 = one.meter.per(one.runs);
      const cpu2 = two.meter.per(two.runs);
      cpu.push(
        `${size.what}, 1 worker, all queued: ${stats(one.ms)} ms per run; ${cpu1.text}; jobs put back for affinity ${one.back}`,
      );
      cpu.push(
        `${size.what}, 2 workers, all queued: ${stats(two.ms)} ms per run; ${cpu2.text}; jobs put back for affinity ${two.back}`,
      );
      // With 2 workers every process shares 2 cores: at best 2 cores ÷ (CPU per run of all of them).
      cpu.push(
        `${size.what}: CPU bound on 2 workers ÷ 1: (2 cores ÷ ${cpu2.total.toFixed(0)} ms CPU per run) ÷ (1 worker's ${l1.toFixed(0)} ms per run) = ${((2 * l1) / cpu2.total).toFixed(2)}×; from CPU alone (a loaded machine stretches the wall time): 2 × 1 worker's ${cpu1.own.toFixed(0)} ms ÷ ${cpu2.total.toFixed(0)} = ${((2 * cpu1.own) / cpu2.total).toFixed(2)}×`,
      );
      return {
        size,
        ratios,
        one: l1,
        two: median(two.ms),
        localRatios,
        localOne: median(l1s),
        localTwo: median(l2s),
      };
    });
    await add("bench-2");

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

    report(
      `Worker pool (${model}; ${rounds} rounds of 1 worker then 2, ${runs} demo / ${bigRuns} ${BIG_PX} px runs a phase)`,
      [
        ...throughput.flatMap(({ size, ratios, one, two, localRatios, localOne, localTwo }) => [
          {
            name: `throughput: 2 workers ÷ 1 worker, ${size.what}`,
            value: `${median(ratios).toFixed(2)}× median (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}; ${one.toFixed(0)} → ${two.toFixed(0)} ms per run)`,
            goal: "≥ 1.8× with 1 ORT thread each",
            ok: median(ratios) >= 1.8,
          },
          {
            name: `  this machine's own bound: embedded, 2 runner processes ÷ 1, ${size.what}`,
            value: `${median(localRatios).toFixed(2)}× median (min ${Math.min(...localRatios).toFixed(2)}, max ${Math.max(...localRatios).toFixed(2)}; ${localOne.toFixed(0)} → ${localTwo.toFixed(0)} ms per run); the pool reaches ${((100 * median(ratios)) / median(localRatios)).toFixed(0)}% of it`,
          },
        ]),
        {
          name: "latency added per run: pool − embedded (median, one at a time)",
          value: `${(poolMs - embeddedMs).toFixed(0)} ms (pool ${stats(poolRuns)} vs embedded ${stats(embeddedRuns)} ms)`,
          goal: "≤ 20 ms",
          ok: poolMs - embeddedMs <= 20,
        },
        {
          name: "seed-only reruns on a pool of 3: text-encoder executions; model loads",
          value: `${textEncoderRuns}; ${rerunLoads}`,
          goal: "0; 0",
          ok: textEncoderRuns === 0 && rerunLoads === 0,
        },
      ],
    );
    for (const line of cpu) console.log(`  ${line}`);
    console.log(
      `  load average during the bench: ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
    );
  } finally {
    admin.disconnect();
    for (const w of workers) await w.stop().catch(() => undefined);
    await t.close();
    await embedded.close();
    await embedded2.close();
    await routes.close();
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await pool();
