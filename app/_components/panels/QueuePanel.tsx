"use client";
/** The queue, live: what runs, what waits (reorder, cancel), pause/resume. */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import { applyQueueMessage } from "@/core/queue/delta";
import type { QueueState } from "@/core/queue/types";

export function QueuePanel({ onError }: { onError(message: string): void }) {
  const trpc = useTRPC();
  const initial = useQuery(trpc.queue.state.queryOptions());
  // The stream is a snapshot, then deltas: fold them into the state shown.
  const [live, setLive] = useState<QueueState | null>(null);
  useSubscription(
    trpc.queue.events.subscriptionOptions(undefined, {
      onData: (message) => setLive((prev) => applyQueueMessage(prev, message)),
    }),
  );
  const state = live ?? initial.data;
  const fail = (e: unknown) => onError(errorMessage(e));
  const pause = useMutation(trpc.queue.pause.mutationOptions({ onError: fail }));
  const resume = useMutation(trpc.queue.resume.mutationOptions({ onError: fail }));
  const reorder = useMutation(trpc.queue.reorder.mutationOptions({ onError: fail }));
  const cancel = useMutation(trpc.runs.cancel.mutationOptions({ onError: fail }));

  if (!state) return <p className="pf-muted">Loading the queue…</p>;
  return (
    <div data-testid="queue-panel">
      <div className="pf-row__head">
        <strong>{state.paused ? "Paused" : "Running"}</strong>
        <span className="pf-muted">
          {state.running.length} running · {state.length} waiting
        </span>
        <span className="pf-toolbar__spacer" />
        {state.paused ? (
          <button type="button" className="pf-button pf-button--small" onClick={() => resume.mutate()}>
            Resume
          </button>
        ) : (
          <button type="button" className="pf-button pf-button--small" onClick={() => pause.mutate()}>
            Pause
          </button>
        )}
      </div>
      <h3>Running</h3>
      <ul>
        {state.running.length === 0 && <li className="pf-muted">Nothing is running.</li>}
        {state.running.map((r) => (
          <li key={r.id} className="pf-row" data-testid="queue-item">
            <div className="pf-row__head">
              <span>{r.graphName ?? "Unsaved graph"}</span>
              {r.label && <span className="pf-muted">{r.label}</span>}
            </div>
            <div className="pf-row__actions">
              <button
                type="button"
                className="pf-button pf-button--small pf-button--danger"
                onClick={() => cancel.mutate({ runId: r.id })}
              >
                Cancel
              </button>
            </div>
          </li>
        ))}
      </ul>
      <h3>Waiting</h3>
      <ul>
        {state.queued.length === 0 && <li className="pf-muted">The queue is empty.</li>}
        {state.queued.map((r, i) => (
          <li key={r.id} className="pf-row" data-testid="queue-item">
            <div className="pf-row__head">
              <span>
                {i + 1}. {r.graphName ?? "Unsaved graph"}
              </span>
              {r.label && <span className="pf-muted">{r.label}</span>}
            </div>
            <div className="pf-row__actions">
              <button
                type="button"
                className="pf-button pf-button--small"
                aria-label="Move up"
                disabled={i === 0}
                onClick={() => reorder.mutate({ runId: r.id, move: "up" })}
              >
                ↑
              </button>
              <button
                type="button"
                className="pf-button pf-button--small"
                aria-label="Move down"
                disabled={i === state.queued.length - 1}
                onClick={() => reorder.mutate({ runId: r.id, move: "down" })}
              >
                ↓
              </button>
              <button
                type="button"
                className="pf-button pf-button--small"
                onClick={() => reorder.mutate({ runId: r.id, move: "top" })}
              >
                To top
              </button>
              <button
                type="button"
                className="pf-button pf-button--small pf-button--danger"
                onClick={() => cancel.mutate({ runId: r.id })}
              >
                Cancel
              </button>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
