/**
 * The queue view as a stream of changes: a snapshot, then deltas (what was added, changed or
 * removed, and the order only when it changed other than by removals and appends). Pure, so the
 * browser's queue panel applies the same messages with `applyQueueMessage`.
 */
import type { QueueItem, QueueState } from "./types";

export type QueueMessage =
  | { kind: "snapshot"; version: number; state: QueueState }
  | {
      kind: "delta";
      version: number;
      paused: boolean;
      concurrency: number;
      length: number;
      /** New or changed items (their `position` is recomputed from the order). */
      upsert: QueueItem[];
      remove: string[];
      /** Running ids in order (a handful: at most the concurrency). */
      running: string[];
      /** Waiting ids appended at the end, after removals, when that is the whole change of order. */
      append?: string[];
      /** The whole waiting order, when it changed otherwise (a reorder). */
      queued?: string[];
    };

type Delta = Extract<QueueMessage, { kind: "delta" }>;

const sameItem = (a: QueueItem, b: QueueItem): boolean =>
  a.status === b.status &&
  a.graphName === b.graphName &&
  a.versionNumber === b.versionNumber &&
  a.label === b.label &&
  a.priority === b.priority &&
  a.startedAt === b.startedAt &&
  a.batchIndex === b.batchIndex &&
  a.sweepId === b.sweepId &&
  a.graphId === b.graphId &&
  a.createdAt === b.createdAt;

/** The delta that turns `prev` into `next` (null when nothing a viewer sees changed). */
export function diffQueue(prev: QueueState, next: QueueState, version: number): Delta | null {
  const before = new Map([...prev.running, ...prev.queued].map((i) => [i.id, i]));
  const after = [...next.running, ...next.queued];
  const afterIds = new Set(after.map((i) => i.id));
  const upsert = after.filter((i) => {
    const old = before.get(i.id);
    return !old || !sameItem(old, i);
  });
  const remove = [...before.keys()].filter((id) => !afterIds.has(id));
  const running = next.running.map((i) => i.id);
  const nextQueued = next.queued.map((i) => i.id);
  const nextSet = new Set(nextQueued);
  const kept = prev.queued.map((i) => i.id).filter((id) => nextSet.has(id));
  const prefixOk = kept.every((id, k) => nextQueued[k] === id);
  const order: Pick<Delta, "append" | "queued"> = prefixOk
    ? nextQueued.length > kept.length
      ? { append: nextQueued.slice(kept.length) }
      : {}
    : { queued: nextQueued };
  const runningSame =
    running.length === prev.running.length && running.every((id, k) => prev.running[k].id === id);
  if (
    !upsert.length &&
    !remove.length &&
    runningSame &&
    !order.append &&
    !order.queued &&
    prev.paused === next.paused &&
    prev.concurrency === next.concurrency &&
    prev.length === next.length &&
    kept.length === prev.queued.length
  )
    return null;
  return {
    kind: "delta",
    version,
    paused: next.paused,
    concurrency: next.concurrency,
    length: next.length,
    upsert,
    remove,
    running,
    ...order,
  };
}

/** The state after `message` (null until the first snapshot arrives). */
export function applyQueueMessage(state: QueueState | null, message: QueueMessage): QueueState | null {
  if (message.kind === "snapshot") return message.state;
  if (!state) return null;
  const items = new Map([...state.running, ...state.queued].map((i) => [i.id, i]));
  for (const id of message.remove) items.delete(id);
  for (const i of message.upsert) items.set(i.id, i);
  const running = new Set(message.running);
  const queuedIds =
    message.queued ??
    state.queued
      .map((i) => i.id)
      .filter((id) => items.has(id) && !running.has(id))
      .concat(message.append ?? []);
  const pick = (id: string, position: number | null): QueueItem[] => {
    const item = items.get(id);
    return item ? [{ ...item, position }] : [];
  };
  return {
    paused: message.paused,
    concurrency: message.concurrency,
    running: message.running.flatMap((id) => pick(id, null)),
    queued: queuedIds.flatMap((id, k) => pick(id, k)),
    length: message.length,
  };
}
