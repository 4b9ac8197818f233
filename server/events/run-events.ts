/**
 * The events a run's subscription streams: the executor's public `RunEvent`s, plus the server's own
 * terminal event for a run that was executing when the server stopped. Each carries its per-run
 * sequence number, which is also the `tracked()` id a reconnecting client resumes from.
 */
import { isTerminalRunEvent, type StreamedRunEvent } from "../../core/run/fold";

/** The executor's events plus `run.interrupted` (core/run/fold.ts), which ends a run the server lost. */
export type ServerRunEvent = StreamedRunEvent;

export interface SequencedEvent {
  seq: number;
  event: ServerRunEvent;
}

export function isTerminal(event: ServerRunEvent): boolean {
  return isTerminalRunEvent(event);
}

/** Progress events (which may carry previews) are live-only: never written to the database. */
export function isPersisted(event: ServerRunEvent): boolean {
  return event.type !== "node.progress";
}
