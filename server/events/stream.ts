/**
 * A run's event stream for the `runs.events` subscription: first the stored events after
 * `lastEventId`, then live ones, each as `tracked(seq, event)`, ending after the terminal event.
 * The live listener is attached BEFORE the database is read, and events are published only after
 * they are stored, so every event is seen once: from the database or from the buffer, never neither.
 */
import { type TrackedEnvelope, tracked } from "@trpc/server";
import type { App } from "../app";
import { notFound } from "../errors";
import { FINISHED, type RunStatus } from "../queue/queue";
import { isTerminal, type SequencedEvent, type ServerRunEvent } from "./run-events";

export async function* streamRunEvents(
  app: App,
  runId: string,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<TrackedEnvelope<ServerRunEvent>, void, unknown> {
  const buffer: SequencedEvent[] = [];
  let wake: (() => void) | null = null;
  const off = app.bus.onRun(runId, (e) => {
    buffer.push(e);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    const run = await app.db.run.findUnique({ where: { id: runId }, select: { status: true } });
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
    for await (const e of stored()) {
      if (signal?.aborted) return;
      last = e.seq;
      yield tracked(String(e.seq), e.event);
      if (isTerminal(e.event)) return;
    }
    // Finished already: its last events are stored (status and terminal event commit together).
    const now = await app.db.run.findUnique({ where: { id: runId }, select: { status: true } });
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
    signal?.removeEventListener("abort", onAbort);
  }
}
