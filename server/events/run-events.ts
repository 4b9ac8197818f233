/**
 * The events a run's subscription streams: the executor's public `RunEvent`s, plus the server's own
 * terminal event for a run that was executing when the server stopped. Each carries its per-run
 * sequence number, which is also the `tracked()` id a reconnecting client resumes from.
 */
import type { RunEvent } from "../../core/run/events";

export type ServerRunEvent =
  | RunEvent
  /** Ends the stream of a run that was executing when the server stopped (it is retryable). */
  | { type: "run.interrupted"; runId: string; message: string };

export interface SequencedEvent {
  seq: number;
  event: ServerRunEvent;
}

const TERMINAL = new Set<ServerRunEvent["type"]>([
  "run.finished",
  "run.failed",
  "run.cancelled",
  "run.interrupted",
]);

export function isTerminal(event: ServerRunEvent): boolean {
  return TERMINAL.has(event.type);
}

/** Progress events (which may carry previews) are live-only: never written to the database. */
export function isPersisted(event: ServerRunEvent): boolean {
  return event.type !== "node.progress";
}
