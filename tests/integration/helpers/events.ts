/** Reading a subscription through createCaller: `{ id, data }` items, whatever the envelope form. */
import { isTrackedEnvelope } from "@trpc/server";
import type { ServerRunEvent } from "../../../server/events/run-events";

export interface Tracked {
  id: string;
  data: ServerRunEvent;
}

export function unwrap(item: unknown): Tracked {
  if (isTrackedEnvelope<ServerRunEvent>(item)) return { id: item[0], data: item[1] };
  return item as Tracked;
}

/** Collects a run's events until the stream ends; `onEvent` may act on each (e.g. cancel). */
export async function collect(
  iterable: AsyncIterable<unknown>,
  onEvent?: (e: Tracked) => void | Promise<void>,
): Promise<Tracked[]> {
  const out: Tracked[] = [];
  for await (const item of iterable) {
    const e = unwrap(item);
    out.push(e);
    await onEvent?.(e);
  }
  return out;
}
