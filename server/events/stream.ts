/**
 * A run's event stream for the `runs.events` subscription: first the stored events after
 * `lastEventId`, then live ones, each as `tracked(seq, event)`, ending after the terminal event.
 * The live listener is attached BEFORE the database is read, and events are published only after
 * they are stored, so every event is seen once: from the database or from the buffer, never neither.
 * With `waitMs`, a run that is not there yet (its client subscribed before enqueueing it under an id
 * it chose) is waited for: woken by the queue's "enqueued", with a slow re-read for other processes.
 */
import { type TrackedEnvelope, tracked } from "@trpc/server";
import type { App } from "../app";
import { notFound } from "../errors";
import { FINISHED, type RunStatus } from "../queue/queue";
import { isTerminal, type SequencedEvent, type ServerRunEvent } from "./run-events";

/** How long `runs.events({ pending: true })` waits for its run to be enqueued. */
export const PENDING_RUN_WAIT_MS = 30_000;
/** While waiting: how often the database is read again (a run enqueued by another process). */
const PENDING_REREAD_MS = 500;

export async function* streamRunEvents(
  app: App,
  runId: string,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
  opts: { waitMs?: number } = {},
): AsyncGenerator<TrackedEnvelope<ServerRunEvent>, void, unknown> {
  const buffer: SequencedEvent[] = [];
  let wake: (() => void) | null = null;
  const off = app.bus.onRun(runId, (e) => {
    buffer.push(e);
    wake?.();
  });
  let enqueued = false;
  const offQueue = opts.waitMs
    ? app.bus.onQueue((c) => {
        if (c.type !== "enqueued" || !c.runIds.includes(runId)) return;
        enqueued = true;
        wake?.();
      })
    : () => undefined;
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    const find = () => app.db.run.findUnique({ where: { id: runId }, select: { status: true } });
    let run: { status: string } | null = await find();
    /** Enqueued here after this stream listened: every event of it reaches the buffer, none is stored yet. */
    let liveFromStart = false;
    const until = Date.now() + (opts.waitMs ?? 0);
    while (!run && !signal?.aborted && Date.now() < until) {
      if (!enqueued)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(PENDING_REREAD_MS, Math.max(0, until - Date.now())));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      wake = null;
      if (enqueued) {
        // No database reads at the run's start: it exists, and it has no events this stream missed.
        run = { status: "queued" };
        liveFromStart = true;
      } else run = await find(); // another process may have enqueued it
    }
    if (signal?.aborted) return;
    if (!run) throw notFound("run");
    let last = lastEventId && /^\d{1,9}$/.test(lastEventId) ? Number(lastEventId) : -1;
    const stored = async function* () {
      const rows = await app.db.runEvent.findMany({
        where: { runId, seq: { gt: last } },
        orderBy: { seq: "asc" },
        select: { seq: true, payload: true },
      });
      for (const row of rows) yield { seq: row.seq, event: JSON.parse(row.payload) as ServerRunEvent };
    };
    for await (const e of liveFromStart ? [] : stored()) {
      if (signal?.aborted) return;
      last = e.seq;
      yield tracked(String(e.seq), e.event);
      if (isTerminal(e.event)) return;
    }
    // Finished already: its last events are stored (status and terminal event commit together).
    const now = liveFromStart ? run : await find();
    if (!now || FINISHED.includes(now.status as RunStatus)) {
      for await (const e of stored()) {
        last = e.seq;
        yield tracked(String(e.seq), e.event);
        if (isTerminal(e.event)) return;
      }
      return;
    }
    while (!signal?.aborted) {
      while (buffer.length) {
        const e = buffer.shift()!;
        if (e.seq <= last) continue;
        last = e.seq;
        yield tracked(String(e.seq), e.event);
        if (isTerminal(e.event)) return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  } finally {
    off();
    offQueue();
    signal?.removeEventListener("abort", onAbort);
  }
}
