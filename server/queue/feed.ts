/**
 * One queue view per app, shared by every `queue.events` subscriber: a burst of changes is coalesced
 * into one read of the queue (not one per subscriber), and subscribers get a snapshot, then deltas.
 */

import { diffQueue, type QueueMessage } from "../../core/queue/delta";
import type { App } from "../app";
import { type QueueState, queueState } from "./state";

/** Changes closer together than this are read (and sent) once. */
const COALESCE_MS = 50;
/** A subscriber further behind than this many messages gets a fresh snapshot instead. */
const MAX_BACKLOG = 64;

interface Subscriber {
  push(message: QueueMessage): void;
}

export class QueueFeed {
  #state: QueueState | null = null;
  #version = 0;
  #subscribers = new Set<Subscriber>();
  #off: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #reading: Promise<void> | null = null;
  #dirty = false;
  /** How many times the queue was read (for tests: independent of the number of subscribers). */
  reads = 0;

  constructor(private readonly app: App) {}

  /** Snapshot first, then deltas, until `signal` aborts. */
  async *subscribe(signal?: AbortSignal): AsyncGenerator<QueueMessage> {
    const backlog: QueueMessage[] = [];
    let wake: (() => void) | null = null;
    const sub: Subscriber = {
      push: (m) => {
        if (backlog.length >= MAX_BACKLOG && this.#state) {
          backlog.length = 0;
          backlog.push({ kind: "snapshot", version: this.#version, state: this.#state });
        } else backlog.push(m);
        wake?.();
      },
    };
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);
    this.#subscribers.add(sub);
    this.#listen();
    try {
      if (!this.#state) await this.#read();
      else await this.#reading;
      const first = this.#state as QueueState | null;
      if (first) yield { kind: "snapshot", version: this.#version, state: first };
      while (!signal?.aborted) {
        const next = backlog.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
    } finally {
      this.#subscribers.delete(sub);
      signal?.removeEventListener("abort", onAbort);
      if (!this.#subscribers.size) this.#stop();
    }
  }

  #listen(): void {
    if (this.#off) return;
    this.#off = this.app.bus.onQueue(() => this.#schedule());
  }

  #stop(): void {
    this.#off?.();
    this.#off = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // Unwatched, the view goes stale: the next subscriber reads afresh.
    this.#state = null;
  }

  #schedule(): void {
    if (this.#reading) {
      this.#dirty = true;
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      void this.#read();
    }, COALESCE_MS);
  }

  /** Reads the queue once and sends each subscriber the difference. */
  #read(): Promise<void> {
    this.#reading ??= (async () => {
      try {
        this.reads++;
        const next = await queueState(this.app);
        const prev = this.#state;
        this.#state = next;
        if (prev) {
          const delta = diffQueue(prev, next, this.#version + 1);
          if (delta) {
            this.#version++;
            for (const s of this.#subscribers) s.push(delta);
          }
        }
      } catch (e) {
        this.app.log(`queue view: could not read the queue: ${(e as Error).message}`);
      } finally {
        this.#reading = null;
        if (this.#dirty) {
          this.#dirty = false;
          this.#schedule();
        }
      }
    })();
    return this.#reading;
  }
}

const feeds = new WeakMap<App, QueueFeed>();

export function queueFeed(app: App): QueueFeed {
  let feed = feeds.get(app);
  if (!feed) {
    feed = new QueueFeed(app);
    feeds.set(app, feed);
  }
  return feed;
}
