"use client";
/** The host: CPU, memory, GPUs, disk, execution provider, caches, with warnings — refreshed while open. */
import { useMutation, useQuery } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const size = (b: number) => (b >= GiB ? `${(b / GiB).toFixed(1)} GiB` : `${(b / MiB).toFixed(0)} MiB`);

export function SystemPanel({ notify }: { notify(message: string, kind?: "info" | "error"): void }) {
  const trpc = useTRPC();
  const stats = useQuery({ ...trpc.system.stats.queryOptions(), refetchInterval: 2000 });
  const free = useMutation(
    trpc.system.freeModelCache.mutationOptions({
      onSuccess: (r) => {
        notify(`Freed ${size(r.freedSessionBytes)} of loaded models`);
        void stats.refetch();
      },
      onError: (e) => notify(errorMessage(e), "error"),
    }),
  );
  const s = stats.data;
  if (!s) return <p className="pf-muted">{stats.error ? errorMessage(stats.error) : "Loading…"}</p>;
  return (
    <div data-testid="system-panel">
      {s.warnings.length > 0 && (
        <ul>
          {s.warnings.map((w) => (
            <li key={w} className="pf-warn" role="alert">
              ⚠ {w}
            </li>
          ))}
        </ul>
      )}
      <h3>Host</h3>
      <div className="pf-stat">
        <span className="pf-muted">CPU</span>
        <span>
          {s.cpu.model} — {s.cpu.cores} cores / {s.cpu.threads} threads
          {s.cpu.clockMHz ? ` @ ${s.cpu.clockMHz} MHz` : ""}
        </span>
        <span className="pf-muted">Load</span>
        <span>{s.cpu.loadAverage.map((l) => l.toFixed(2)).join(" · ")}</span>
        <span className="pf-muted">Memory</span>
        <span>
          {size(s.memory.freeBytes)} free of {size(s.memory.totalBytes)}
        </span>
        <span className="pf-muted">GPUs</span>
        <span>
          {s.gpus.length === 0
            ? "none found"
            : s.gpus
                .map((g) => `${g.name}: ${size(g.memoryFreeBytes)} free of ${size(g.memoryTotalBytes)}`)
                .join("; ")}
        </span>
        <span className="pf-muted">Disk</span>
        <span>{s.disk ? `${size(s.disk.freeBytes)} free of ${size(s.disk.totalBytes)}` : "unknown"}</span>
        <span className="pf-muted">Provider</span>
        <span data-testid="provider">{s.provider}</span>
        <ProviderAttempts report={s.providerReport} />
        <span className="pf-muted">Platform</span>
        <span>
          {s.platform.os}, Node {s.platform.node}, v{s.version}
        </span>
      </div>
      <h3>Models loaded</h3>
      <SessionList cache={s.sessionCache} />
      <div className="pf-row__actions">
        <button
          type="button"
          className="pf-button pf-button--small"
          disabled={free.isPending}
          onClick={() => free.mutate({ outputs: false })}
        >
          Free model cache
        </button>
      </div>
      <h3>Queue</h3>
      <p>
        {s.queue.running} running, {s.queue.length} waiting{s.queue.paused ? " (paused)" : ""}
      </p>
      <Workers />
    </div>
  );
}

/** The worker pool (PETALFLOW_REDIS_URL): one row per worker; one that stopped heartbeating is "gone". */
function Workers() {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.system.workers.queryOptions(), refetchInterval: 2000 });
  if (!q.data?.pool) return null;
  return (
    <>
      <h3>Workers</h3>
      {q.data.workers.length === 0 && <p className="pf-warn">No worker has connected: runs wait.</p>}
      <ul data-testid="pool-workers" style={{ paddingLeft: 0, listStyle: "none", overflowWrap: "anywhere" }}>
        {q.data.workers.map((w) => (
          <li key={w.id} className={w.alive ? undefined : "pf-muted"}>
            <strong>{w.host}</strong> ({w.id}) — {w.alive ? w.provider : "gone"}, {size(w.memory.rss)} of{" "}
            {size(w.memory.total)}; models: {w.models.map((m) => m.id).join(", ") || "none"};{" "}
            {w.currentRun ? `running ${w.currentRun}` : "idle"}; {w.runsDone} runs done; last heartbeat{" "}
            {new Date(w.lastHeartbeat).toLocaleTimeString()}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Why not a faster provider: each one tried before the one in use, with onnxruntime's reason. */
function ProviderAttempts({
  report,
}: {
  report: {
    requested: string;
    attempts: { provider: string; ok: boolean; error?: string }[];
    error?: string;
  };
}) {
  const failed = report.attempts.filter((a) => !a.ok);
  if (failed.length === 0 && !report.error) return null;
  return (
    <>
      <span className="pf-muted">Not used</span>
      {/* onnxruntime's messages hold long unbroken names: let them wrap inside the narrow panel. */}
      <ul
        data-testid="provider-attempts"
        style={{ margin: 0, paddingLeft: 0, listStyle: "none", overflowWrap: "anywhere" }}
      >
        {report.error && (
          <li className="pf-warn" role="alert">
            {report.error}
          </li>
        )}
        {!report.error &&
          failed.map((a) => (
            <li key={a.provider}>
              {a.provider}: {a.error}
            </li>
          ))}
      </ul>
    </>
  );
}

function SessionList({
  cache,
}: {
  cache: { bytes: number; budgetBytes: number; loaded: { modelId: string; part: string; bytes: number }[] };
}) {
  if (cache.loaded.length === 0) return <p className="pf-muted">No model is loaded.</p>;
  return (
    <>
      <ul>
        {cache.loaded.map((l) => (
          <li key={`${l.modelId}/${l.part}`}>
            {l.modelId} / {l.part} ({size(l.bytes)})
          </li>
        ))}
      </ul>
      <p className="pf-muted">
        {size(cache.bytes)} of a {size(cache.budgetBytes)} budget
      </p>
    </>
  );
}
