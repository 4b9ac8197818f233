"use client";
/**
 * Past runs (of this graph, or all runs for an unsaved one), newest first, with their images and seeds.
 * From any result: rerun with the same seed or a new one, sweep from it, or copy its seed back.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import type { GraphDocument } from "@/core/graph/document";

interface Props {
  graphId: string | null;
  onRerun(runId: string, seed: "same" | "random"): void;
  onSweepFrom(document: GraphDocument, label: string): void;
  onUseSeeds(seeds: Record<string, string>): void;
  onShow(runId: string): void;
  notify(message: string, kind?: "info" | "error"): void;
}

const RETRYABLE = new Set(["interrupted", "failed", "cancelled"]);

export function HistoryPanel(p: Props) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const list = useQuery({
    ...trpc.runs.list.queryOptions({ ...(p.graphId ? { graphId: p.graphId } : {}), limit: 30 }),
    refetchInterval: 5000,
  });
  const items = list.data?.items ?? [];

  const sweepFrom = async (runId: string, label: string) => {
    try {
      const run = await client.runs.get.query({ id: runId });
      p.onSweepFrom(run.document, label);
    } catch (e) {
      p.notify(errorMessage(e), "error");
    }
  };
  const retry = async (runId: string) => {
    try {
      await client.runs.retry.mutate({ runId });
      void queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
    } catch (e) {
      p.notify(errorMessage(e), "error");
    }
  };

  if (list.isLoading) return <p className="pf-muted">Loading the history…</p>;
  if (items.length === 0) return <p className="pf-muted">No runs yet. Press ▶ Run (Ctrl+Enter).</p>;
  return (
    <ul data-testid="history-panel">
      {items.map((r) => {
        const when = new Date(r.createdAt).toLocaleTimeString();
        const seeds = Object.values(r.seeds);
        return (
          <li key={r.id} className="pf-row" data-testid="history-item" data-status={r.status}>
            <div className="pf-row__head">
              <strong>{r.status}</strong>
              <span className="pf-muted">{when}</span>
              {r.versionNumber !== null && <span className="pf-muted">v{r.versionNumber}</span>}
              {r.label && <span className="pf-muted">{r.label}</span>}
            </div>
            {seeds.length > 0 && <div className="pf-muted">seed {seeds.join(", ")}</div>}
            {r.error && <div className="pf-node__error">{r.error.message}</div>}
            {r.images.length > 0 && (
              <div className="pf-grid" style={{ gridTemplateColumns: "repeat(4, 1fr)" }}>
                {r.images.slice(0, 8).map((img) => (
                  <figure key={img.id}>
                    {/* biome-ignore lint/performance/noImgElement: run artifacts served by our API */}
                    <img src={img.url} alt={`Result${img.seed ? ` seed ${img.seed}` : ""}`} />
                  </figure>
                ))}
              </div>
            )}
            <div className="pf-row__actions">
              <button type="button" className="pf-button pf-button--small" onClick={() => p.onShow(r.id)}>
                Show on canvas
              </button>
              <button
                type="button"
                className="pf-button pf-button--small"
                onClick={() => p.onRerun(r.id, "same")}
              >
                Same seed
              </button>
              <button
                type="button"
                className="pf-button pf-button--small"
                onClick={() => p.onRerun(r.id, "random")}
              >
                New seed
              </button>
              <button
                type="button"
                className="pf-button pf-button--small"
                onClick={() => void sweepFrom(r.id, `run of ${when}`)}
              >
                Sweep…
              </button>
              {seeds.length > 0 && (
                <button
                  type="button"
                  className="pf-button pf-button--small"
                  onClick={() => p.onUseSeeds(r.seeds)}
                >
                  Use this seed
                </button>
              )}
              {RETRYABLE.has(r.status) && (
                <button type="button" className="pf-button pf-button--small" onClick={() => void retry(r.id)}>
                  Retry
                </button>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
