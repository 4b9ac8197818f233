/**
 * Where a pool run's fixed cost goes (not in `npm run bench`; `node --import tsx bench/pool-profile.ts`):
 * CPU ms per run of each process (this one is the server; the worker; redis-server), Redis commands per
 * run by name, and one run's path as Redis sees it (MONITOR, ms from the first command).
 * MODE=embedded measures the embedded queue instead (server + runner child). PROF=1 starts the worker
 * with --cpu-prof (profiles in /tmp/pf-prof; run this process with --cpu-prof too, and read the window
 * printed, in monotonic µs, to look at the measured runs only). N sets the runs (12); PX the image size (the
 * demo graph's own when unset).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { Redis } from "ioredis";
import { applyOverrides } from "../core/graph/overrides";
import { registry } from "../nodes/registry";
import { makeTestApp, type TestApp } from "../tests/integration/helpers/app";
import { serveWorkerRoutes, startRedis, startWorker, WORKER_TOKEN } from "../tests/integration/pool/harness";
import { benchModel, exampleDoc } from "./lib";
import { procCpuMs, runnerChildPid } from "./pool";

async function redisCpu(r: Redis): Promise<{ cpu: number; cmds: Map<string, number> }> {
  const cpu = await r.info("cpu");
  const u = Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1]);
  const s = Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1]);
  const stats = await r.info("commandstats");
  const cmds = new Map<string, number>();
  for (const m of stats.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) cmds.set(m[1], Number(m[2]));
  return { cpu: (u + s) * 1000, cmds };
}

async function profiledWorker(redisUrl: string, serverUrl: string, modelsDir: string) {
  const proc = spawn(
    process.execPath,
    ["--cpu-prof", "--cpu-prof-dir", "/tmp/pf-prof", "scripts/worker.mjs"],
    {
      env: {
        NODE_ENV: "test",
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PETALFLOW_SERVER_URL: serverUrl,
        PETALFLOW_WORKER_TOKEN: WORKER_TOKEN,
        PETALFLOW_REDIS_URL: redisUrl,
        PETALFLOW_MODELS_DIR: modelsDir,
        PETALFLOW_PROVIDER: "cpu",
        PETALFLOW_ORT_THREADS: "1",
        PETALFLOW_WORKER_ID: "p1",
        PETALFLOW_WORKER_HEARTBEAT_MS: "500",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((r) => proc.stdout?.on("data", (d) => /ready/.test(String(d)) && r()));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  return {
    proc,
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

const { modelsDir, model } = benchModel();
const PX = Number(process.env.PX ?? 0);
const doc = PX
  ? applyOverrides(exampleDoc("txt2img", model, 1n), registry, {
      set: ["latent", "noise"].flatMap((nodeId) =>
        ["width", "height"].map((param) => ({ nodeId, param, value: PX })),
      ),
    })
  : exampleDoc("txt2img", model, 1n);
const N = Number(process.env.N ?? 12);
const redis = await startRedis();
const EMBEDDED = process.env.MODE === "embedded";
const t: TestApp = EMBEDDED
  ? await makeTestApp({
      pollMs: 1000,
      runner: "process",
      env: { PETALFLOW_MODELS_DIR: modelsDir, PETALFLOW_ORT_THREADS: 1 },
    })
  : await makeTestApp({
      pollMs: 1000,
      env: {
        PETALFLOW_MODELS_DIR: modelsDir,
        PETALFLOW_REDIS_URL: redis.url,
        PETALFLOW_WORKER_TOKEN: WORKER_TOKEN,
      },
    });
const routes = await serveWorkerRoutes(t.app);
const child = () => ({ proc: { pid: runnerChildPid() }, stop: async () => undefined });
const w0w = EMBEDDED
  ? null
  : process.env.PROF
    ? await profiledWorker(redis.url, routes.url, modelsDir)
    : await startWorker({ id: "p1", redisUrl: redis.url, serverUrl: routes.url, modelsDir });
const admin = new Redis(redis.url);
const done = new Map<string, () => void>();
t.app.bus.onQueue((c) => {
  if (c.type === "finished") done.get(c.runId)?.();
});
const one = async (seed: number) => {
  const d = applyOverrides(doc, registry, { seed: BigInt(seed) });
  const t0 = performance.now();
  const id = (await t.caller.runs.enqueue({ document: d })).runs[0].id;
  await new Promise<void>((r) => done.set(id, r));
  return { id, ms: performance.now() - t0, t0 };
};
try {
  for (const s of [1, 2]) await one(s);
  const w = (EMBEDDED ? child() : w0w) as { proc: { pid?: number } };
  if (EMBEDDED) console.log(`runner child: ${fs.readFileSync(`/proc/${w.proc.pid}/cmdline`, "utf8")}`);
  const m0 = process.hrtime.bigint() / 1000n;
  const c0 = process.cpuUsage();
  const w0 = procCpuMs(w.proc.pid);
  const r0 = await redisCpu(admin);
  const ms: number[] = [];
  for (let i = 0; i < N; i++) ms.push((await one(100 + i)).ms);
  const c1 = process.cpuUsage(c0);
  console.log(`window (monotonic µs): ${m0} ${process.hrtime.bigint() / 1000n}`);
  const w1 = procCpuMs(w.proc.pid);
  const r1 = await redisCpu(admin);
  const srv = (c1.user + c1.system) / 1000 / N;
  console.log(`wall per run: ${ms.map((x) => x.toFixed(0)).join(" ")}`);
  console.log(
    `CPU ms per run: server ${srv.toFixed(1)}, worker ${((w1 - w0) / N).toFixed(1)}, redis ${((r1.cpu - r0.cpu) / N).toFixed(1)}`,
  );
  const deltas = [...r1.cmds]
    .map(([k, v]) => [k, (v - (r0.cmds.get(k) ?? 0)) / N] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  console.log(
    `redis commands per run (+2 INFO): ${deltas.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}; total ${deltas.reduce((a, [, v]) => a + v, 0).toFixed(1)}`,
  );
  // one run's path: Redis commands (MONITOR) merged with what this process saw (enqueue, the queue's
  // notices, events stored and published, upload requests reaching the worker routes), ms from enqueue
  const mon = await admin.monitor();
  const lines: [number, string][] = [];
  mon.on("monitor", (time: string, args: string[], source: string) => {
    if (source !== "lua")
      lines.push([Number(time) * 1000, `redis ${source} ${args.slice(0, 3).join(" ").slice(0, 100)}`]);
  });
  const seen = (what: string) => lines.push([Date.now(), `app   ${what}`]);
  const publishRun = t.app.bus.publishRun.bind(t.app.bus);
  t.app.bus.publishRun = (runId, e) => {
    seen(`stored + published ${e.event.type}`);
    publishRun(runId, e);
  };
  const offQueue = t.app.bus.onQueue((c) => seen(`queue ${c.type}`));
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, ev: string, ...a: unknown[]) {
    if (ev === "request")
      seen(`HTTP ${(a[0] as http.IncomingMessage).method} ${(a[0] as http.IncomingMessage).url}`);
    return (emit as (...x: unknown[]) => boolean).call(this, ev, ...a);
  } as typeof emit;
  await new Promise((r) => setTimeout(r, 200));
  lines.length = 0;
  seen("enqueue");
  const r = await one(999);
  http.Server.prototype.emit = emit;
  offQueue();
  mon.disconnect();
  const start = lines[0][0];
  console.log(`one run (${r.ms.toFixed(0)} ms):`);
  for (const [at, what] of lines.sort((a, b) => a[0] - b[0]))
    console.log(`  +${(at - start).toFixed(1).padStart(7)} ${what}`);
  const events = await t.app.db.runEvent.findMany({ where: { runId: r.id }, orderBy: { seq: "asc" } });
  console.log(`stored events: ${events.length} (${events.map((e) => e.type).join(",")})`);
  console.log(`uploads seen by the worker routes: ${routes.requests}`);
} finally {
  admin.disconnect();
  await w0w?.stop().catch(() => undefined);
  await t.close();
  await routes.close();
  await redis.stop();
}
