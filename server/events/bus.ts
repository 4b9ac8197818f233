/**
 * In-process publish/subscribe for live run events and queue changes. The worker publishes a run's
 * events only after they are persisted, so a subscriber that listens first and then reads the
 * database never misses one (see routers/run-events.ts).
 */
import { EventEmitter } from "node:events";
import type { SequencedEvent } from "./run-events";

export type QueueChange =
  /** `taken`: how many of them (the first) were handed to this process's worker at once (queue.ts). */
  | { type: "enqueued"; runIds: string[]; taken?: number }
  | { type: "started" | "finished" | "cancelled" | "reordered"; runId: string }
  | { type: "paused" | "resumed" | "recovered" };

export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per open subscription: no fixed ceiling.
    this.#emitter.setMaxListeners(0);
  }

  publishRun(runId: string, event: SequencedEvent): void {
    this.#emitter.emit(`run:${runId}`, event);
  }

  onRun(runId: string, listener: (event: SequencedEvent) => void): () => void {
    this.#emitter.on(`run:${runId}`, listener);
    return () => this.#emitter.off(`run:${runId}`, listener);
  }

  publishQueue(change: QueueChange): void {
    this.#emitter.emit("queue", change);
  }

  onQueue(listener: (change: QueueChange) => void): () => void {
    this.#emitter.on("queue", listener);
    return () => this.#emitter.off("queue", listener);
  }
}
