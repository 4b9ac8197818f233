"use client";
/** The node's run state (queued / running with a step bar / cached / done / failed), from its own slice of the run store. */
import { useNodeRun } from "@/app/_lib/editor-context";

const LABELS = {
  queued: "queued",
  running: "running",
  cached: "cached",
  done: "done",
  failed: "failed",
  skipped: "skipped",
} as const;

export function NodeRunBadge({ nodeId }: { nodeId: string }) {
  const run = useNodeRun(nodeId);
  if (!run) return null;
  return (
    <span className={`pf-badge pf-badge--${run.status}`} data-testid="node-status" data-status={run.status}>
      {LABELS[run.status]}
      {run.status === "done" && run.ms !== undefined ? ` ${formatMs(run.ms)}` : ""}
    </span>
  );
}

export function NodeRunProgress({ nodeId }: { nodeId: string }) {
  const run = useNodeRun(nodeId);
  if (run?.status !== "running" || !run.total) return null;
  const pct = Math.round(((run.step ?? 0) / run.total) * 100);
  return (
    <div
      className="pf-progress"
      role="progressbar"
      aria-label="Step progress"
      aria-valuemin={0}
      aria-valuemax={run.total}
      aria-valuenow={run.step ?? 0}
      data-testid="node-progress"
    >
      <div className="pf-progress__bar" style={{ width: `${pct}%` }} />
      <span className="pf-progress__text">
        step {run.step ?? 0}/{run.total}
      </span>
    </div>
  );
}

export function NodeRunError({ nodeId }: { nodeId: string }) {
  const run = useNodeRun(nodeId);
  if (!run?.error || (run.status !== "failed" && run.status !== "skipped")) return null;
  return (
    <p
      className={run.status === "failed" ? "pf-node__error" : "pf-muted pf-node__note"}
      role={run.status === "failed" ? "alert" : undefined}
    >
      {run.error}
    </p>
  );
}

/** The node's warnings from the last run (e.g. a prompt cut at 77 tokens): a small row per message. */
export function NodeRunWarnings({ nodeId }: { nodeId: string }) {
  const run = useNodeRun(nodeId);
  if (!run?.warnings?.length) return null;
  return (
    <ul className="pf-node__warnings" data-testid="node-warnings" aria-label="Warnings">
      {run.warnings.map((w) => (
        <li key={w} data-testid="node-warning">
          <span aria-hidden="true">⚠ </span>
          {w}
        </li>
      ))}
    </ul>
  );
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
