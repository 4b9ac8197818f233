/**
 * Follows the runs this editor queued, one subscription at a time and in queue order (a batch of 16
 * must not hold 16 server-sent-event connections), feeding each event to the run store. The server
 * stores every event but progress, so a run followed late still replays its states and results.
 */
import { isTerminalRunEvent, type StreamedRunEvent } from "@/core/run/fold";
import type { RunStore } from "./run-store";

export type FollowedEvent = StreamedRunEvent;

export interface EventSource {
  /** `pending`: the run is being enqueued under this id; the server waits for it. */
  subscribe(
    runId: string,
    handlers: { onData(e: FollowedEvent): void; onError(err: unknown): void },
    opts?: { pending?: boolean },
  ): { unsubscribe(): void };
}

interface Followed {
  id: string;
  seeds?: Record<string, string>;
  /** Being enqueued under this id (the client chose it): subscribed before the enqueue answers. */
  pending?: boolean;
}

export class RunFollower {
  private readonly pending: Followed[] = [];
  private current: { runId: string; unsubscribe(): void } | null = null;

  constructor(
    private readonly source: EventSource,
    private readonly runs: RunStore,
    private readonly onTerminal: (e: FollowedEvent) => void,
  ) {}

  /** `seeds`: the seeds the server planned for each run, by "nodeId.param". */
  follow(runs: readonly Followed[]) {
    this.pending.push(...runs);
    if (!this.current) this.next();
  }

  /** The seeds the server planned for runs followed before it answered (shown for cached Noise nodes). */
  planned(runs: readonly { id: string; seeds: Record<string, string> }[]) {
    for (const r of runs) {
      const waiting = this.pending.find((p) => p.id === r.id);
      if (waiting) waiting.seeds = r.seeds;
      else if (this.current?.runId === r.id) this.runs.setPlannedSeeds(r.id, r.seeds);
    }
  }

  /** Runs followed before enqueueing that the server refused: no longer followed, nor shown. */
  forget(ids: readonly string[]) {
    const gone = new Set(ids);
    for (let i = this.pending.length - 1; i >= 0; i--)
      if (gone.has(this.pending[i].id)) this.pending.splice(i, 1);
    if (this.current && gone.has(this.current.runId)) {
      const { runId } = this.current;
      this.current.unsubscribe();
      this.current = null;
      this.runs.stopWatching(runId);
      this.next();
    }
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
    const sub = this.source.subscribe(
      runId,
      {
        onData: (e) => {
          this.runs.apply(e);
          if (isTerminalRunEvent(e)) {
            this.onTerminal(e);
            finish();
          }
        },
        onError: () => finish(),
      },
      next.pending ? { pending: true } : undefined,
    );
    this.current = { runId, unsubscribe: () => sub.unsubscribe() };
  }
}
