/**
 * Output cache across runs, keyed by node signature, with an LRU memory budget (bytes estimated from
 * the tensors a node's outputs hold). A Map keeps insertion order, which gives LRU order for free.
 */
import { valueBytes } from "../../core/node/values";

export interface CacheEntry {
  outputs: Record<string, unknown>;
  bytes: number;
  /** Seeds the node reported when it ran (replayed on a cache hit). */
  seeds?: string[];
  /** Warnings the node gave when it ran (replayed on a cache hit). */
  warnings?: string[];
}

export class OutputCache {
  private entries = new Map<string, CacheEntry>();
  private total = 0;
  hits = 0;
  misses = 0;

  constructor(readonly budgetBytes: number) {}

  get(signature: string): CacheEntry | undefined {
    const entry = this.entries.get(signature);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(signature);
    this.entries.set(signature, entry);
    return entry;
  }

  set(
    signature: string,
    outputs: Record<string, unknown>,
    seeds?: string[],
    warnings?: readonly string[],
  ): void {
    const bytes = valueBytes(outputs);
    if (bytes > this.budgetBytes) return; // larger than the whole budget: do not cache
    this.delete(signature);
    this.entries.set(signature, {
      outputs,
      bytes,
      seeds,
      ...(warnings?.length ? { warnings: [...warnings] } : {}),
    });
    this.total += bytes;
    for (const [key, e] of this.entries) {
      if (this.total <= this.budgetBytes) break;
      this.entries.delete(key);
      this.total -= e.bytes;
    }
  }

  delete(signature: string): void {
    const e = this.entries.get(signature);
    if (e) {
      this.entries.delete(signature);
      this.total -= e.bytes;
    }
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  stats(): { entries: number; bytes: number; budgetBytes: number; hits: number; misses: number } {
    return {
      entries: this.entries.size,
      bytes: this.total,
      budgetBytes: this.budgetBytes,
      hits: this.hits,
      misses: this.misses,
    };
  }
}
