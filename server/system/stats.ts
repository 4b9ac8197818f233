/**
 * The host as someone choosing or checking a GPU server sees it: CPU, memory, GPUs (nvidia-smi when
 * present), disk under the data directory, the execution provider, caches and queue, with warnings.
 */
import { execFile } from "node:child_process";
import { readFile, statfs } from "node:fs/promises";
import os from "node:os";
import type { App } from "../app";

export interface GpuInfo {
  name: string;
  memoryTotalBytes: number;
  memoryFreeBytes: number;
}

const MiB = 1024 * 1024;

/** GPUs from `nvidia-smi` (memory in MiB in its CSV); [] when it is absent, fails or hangs. */
export function queryNvidiaGpus(timeoutMs = 3000): Promise<GpuInfo[]> {
  return new Promise((resolve) => {
    execFile(
      "nvidia-smi",
      ["--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
      { timeout: timeoutMs, maxBuffer: 64 * 1024, windowsHide: true },
      (err, stdout) => resolve(err ? [] : parseNvidiaSmi(stdout)),
    );
  });
}

export function parseNvidiaSmi(csv: string): GpuInfo[] {
  const out: GpuInfo[] = [];
  for (const line of csv.split("\n")) {
    const cols = line.split(",").map((c) => c.trim());
    if (cols.length < 3) continue;
    const total = Number(cols[cols.length - 2]);
    const free = Number(cols[cols.length - 1]);
    if (!Number.isFinite(total) || !Number.isFinite(free)) continue;
    out.push({
      name: cols.slice(0, -2).join(", "),
      memoryTotalBytes: total * MiB,
      memoryFreeBytes: free * MiB,
    });
  }
  return out;
}

/** Physical cores from /proc/cpuinfo (Linux); the thread count elsewhere. */
async function physicalCores(threads: number): Promise<number> {
  try {
    const text = await readFile("/proc/cpuinfo", "utf8");
    const cores = new Set<string>();
    let phys = "0";
    for (const line of text.split("\n")) {
      const [k, v] = line.split(":").map((s) => s?.trim());
      if (k === "physical id") phys = v;
      else if (k === "core id") cores.add(`${phys}:${v}`);
    }
    return cores.size || threads;
  } catch {
    return threads;
  }
}

let gpuCache: { at: number; gpus: Promise<GpuInfo[]> } | null = null;

function gpus(): Promise<GpuInfo[]> {
  // nvidia-smi takes ~50–300 ms: reuse an answer for a few seconds.
  if (!gpuCache || Date.now() - gpuCache.at > 5000) gpuCache = { at: Date.now(), gpus: queryNvidiaGpus() };
  return gpuCache.gpus;
}

export async function systemStats(app: App) {
  const cpus = os.cpus();
  const { models } = app.runtime.services;
  // Sessions and node outputs live where runs execute (the runner process, by default).
  const [run, gpuList, cores, disk, scan, queued] = await Promise.all([
    app.runner.stats(),
    gpus(),
    physicalCores(cpus.length),
    statfs(app.dataDir).catch(() => null),
    models.list(),
    app.queue.length(),
  ]);
  const provider = run.provider;
  const ram = { totalBytes: os.totalmem(), freeBytes: os.freemem() };
  // The device that will hold the weights: the first GPU for cuda/webgpu, else main memory.
  const onGpu = (provider === "cuda" || provider === "webgpu") && gpuList.length > 0;
  const deviceFree = onGpu ? gpuList[0].memoryFreeBytes : ram.freeBytes;
  const deviceName = onGpu ? `${gpuList[0].name} (${provider})` : "main memory (cpu)";
  const loaded = new Set(run.sessionCache.loaded.map((l) => l.modelId));
  const warnings: string[] = [];
  if (run.providerReport.error) warnings.push(run.providerReport.error);
  for (const m of scan.models) {
    // A loaded model already counts in the free figure.
    if (!loaded.has(m.id) && m.totalBytes > deviceFree)
      warnings.push(
        `model "${m.id}" has ${(m.totalBytes / MiB).toFixed(0)} MiB of weights but ${deviceName} has only ${(deviceFree / MiB).toFixed(0)} MiB free`,
      );
  }
  return {
    cpu: {
      model: cpus[0]?.model.trim() ?? "unknown",
      cores,
      threads: cpus.length,
      clockMHz: cpus[0]?.speed ?? 0,
      loadAverage: os.loadavg(),
    },
    memory: ram,
    gpus: gpuList,
    disk: disk
      ? { path: app.dataDir, freeBytes: disk.bavail * disk.bsize, totalBytes: disk.blocks * disk.bsize }
      : null,
    provider,
    providerReport: run.providerReport,
    sessionCache: run.sessionCache,
    outputCache: run.outputCache,
    runner: run.runner,
    queue: { length: queued, running: app.worker.running.length, paused: app.queue.paused },
    platform: {
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      uptimeSeconds: Math.round(process.uptime()),
    },
    version: app.version,
    warnings,
  };
}
