/**
 * Follows the runs this editor queued, one subscription at a time and in queue order (a batch of 16
 * must not hold 16 server-sent-event connections), feeding each event to the run store. The server
 * stores every event but progress, so a run followed late still replays its states and results.
 */
import { isTerminalRunEvent, type StreamedRunEvent } from "@/core/run/fold";
import type { RunStore } from "./run-store";

export type FollowedEvent = StreamedRunEvent;

export interface EventSource {
  subscribe(
    runId: string,
    handlers: { onData(e: FollowedEvent): void; onError(err: unknown): void },
  ): { unsubscribe(): void };
}

export class RunFollower {
  private readonly pending: { id: string; seeds?: Record<string, string> }[] = [];
  private current: { runId: string; unsubscribe(): void } | null = null;

  constructor(
    private readonly source: EventSource,
    private readonly runs: RunStore,
    private readonly onTerminal: (e: FollowedEvent) => void,
  ) {}

  /** `seeds`: the seeds the server planned for each run, by "nodeId.param". */
  follow(runs: readonly { id: string; seeds?: Record<string, string> }[]) {
    this.pending.push(...runs);
    if (!this.current) this.next();
  }

  stop() {
    this.pending.length = 0;
    this.current?.unsubscribe();
    this.current = null;
  }

  private next() {
    const next = this.pending.shift();
    if (!next) {
      this.current = null;
      return;
    }
    const runId = next.id;
    this.runs.startWatching(runId, next.seeds);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      sub.unsubscribe();
      if (this.current?.runId === runId) this.next();
    };
    const sub = this.source.subscribe(runId, {
      onData: (e) => {
        this.runs.apply(e);
        if (isTerminalRunEvent(e)) {
          this.onTerminal(e);
          finish();
        }
      },
      onError: () => finish(),
    });
    this.current = { runId, unsubscribe: () => sub.unsubscribe() };
  }
}
