/**
 * queue.events deltas: applying diffQueue's delta to the old state gives the new state exactly, over
 * random sequences of enqueues, starts, finishes, cancels, reorders and pauses (seeded PRNG).
 */
import { describe, expect, it } from "vitest";
import { applyQueueMessage, diffQueue } from "../../core/queue/delta";
import type { QueueItem, QueueState } from "../../server/queue/state";

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const item = (id: string, status: QueueItem["status"], priority = 0): QueueItem => ({
  id,
  status,
  graphId: null,
  graphName: `g${id}`,
  versionNumber: null,
  label: null,
  priority,
  batchIndex: null,
  sweepId: null,
  createdAt: "2026-12-01T00:00:00.000Z",
  startedAt: status === "running" ? "2026-12-01T00:00:01.000Z" : null,
  position: null,
});

/** A state as queueState makes it: positions numbered, length counted. */
function state(paused: boolean, running: QueueItem[], queued: QueueItem[]): QueueState {
  return {
    paused,
    concurrency: 2,
    running: running.map((r) => ({ ...r, position: null })),
    queued: queued.map((q, i) => ({ ...q, position: i })),
    length: queued.length,
  };
}

describe("queue deltas", () => {
  it("apply(old, diff(old, new)) equals new over 600 random changes", () => {
    const rand = prng(13);
    let next = 0;
    let running: QueueItem[] = [];
    let queued: QueueItem[] = [];
    let paused = false;
    let view: QueueState | null = null;
    let prev = state(paused, running, queued);
    view = applyQueueMessage(view, { kind: "snapshot", version: 0, state: prev });
    let deltaItems = 0;
    for (let step = 1; step <= 600; step++) {
      const r = rand();
      if (r < 0.35 && queued.length < 40) {
        const n = 1 + Math.floor(rand() * 3);
        for (let k = 0; k < n; k++) queued.push(item(String(next++), "queued"));
      } else if (r < 0.55 && queued.length && running.length < 2) {
        const [first, ...rest] = queued;
        queued = rest;
        running.push({ ...first, status: "running", startedAt: "2026-12-01T00:00:02.000Z" });
      } else if (r < 0.7 && running.length) running = running.slice(1);
      else if (r < 0.8 && queued.length) queued.splice(Math.floor(rand() * queued.length), 1);
      else if (r < 0.9 && queued.length > 1) {
        const i = Math.floor(rand() * queued.length);
        const [moved] = queued.splice(i, 1);
        queued.unshift({ ...moved, priority: moved.priority + (rand() < 0.5 ? 1 : 0) });
      } else paused = !paused;
      const now = state(paused, running, queued);
      const delta = diffQueue(prev, now, step);
      if (delta) {
        deltaItems += delta.upsert.length;
        view = applyQueueMessage(view, delta);
      }
      expect(view, `step ${step}`).toEqual(now);
      prev = now;
    }
    // Deltas carry changed items, not the queue: far fewer than 600 whole queues would.
    expect(deltaItems).toBeLessThan(next * 3);
  });

  it("a delta is ignored until a snapshot arrives", () => {
    const s = state(false, [], [item("a", "queued")]);
    const d = diffQueue(state(false, [], []), s, 1);
    expect(d).not.toBeNull();
    expect(applyQueueMessage(null, d!)).toBeNull();
  });
});
