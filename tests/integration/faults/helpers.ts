/** Shared by the fault suite: a seeded PRNG, bounded waits and calls, and tRPC error inspection. */
import { TRPCError } from "@trpc/server";

/** mulberry32: a small deterministic PRNG (same seed, same sequence, on every machine). */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const chance = (p: number) => next() < p;
  const bytes = (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
    return out;
  };
  return { next, int, pick, chance, bytes };
}
export type Prng = ReturnType<typeof prng>;

/** The seed a fuzz test uses: FAULT_SEED when set (to replay a failure), else a fixed default. */
export function fuzzSeed(fallback: number): number {
  const s = process.env.FAULT_SEED;
  return s && /^\d+$/.test(s) ? Number(s) : fallback;
}

export class TimedOut extends Error {
  override readonly name = "TimedOut";
}

/** `p`, or a TimedOut error after `ms` (the promise itself is left to settle on its own). */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimedOut(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `fn` until it returns something truthy; throws after `ms` (generous: for hangs, not speed). */
export async function until<T>(
  what: string | (() => string),
  fn: () => Promise<T | null | undefined | false>,
  ms = 60_000,
  everyMs = 20,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end)
      throw new TimedOut(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The parts of a tRPC error a client sees, from a createCaller rejection. */
export interface ClientError {
  code: string;
  message: string;
  fieldErrors: Record<string, string[]> | null;
  graphErrors: unknown;
}

/**
 * What the client would get for a createCaller rejection: createCaller throws the TRPCError itself;
 * the wire shape comes from the router's error formatter, so apply it the same way the HTTP adapter does.
 */
export function callerError(e: unknown, format: (e: TRPCError) => unknown): ClientError {
  if (!(e instanceof TRPCError))
    return { code: "NOT_A_TRPC_ERROR", message: String(e), fieldErrors: null, graphErrors: null };
  const shape = format(e) as {
    message: string;
    data: { code: string; fieldErrors: Record<string, string[]> | null; graphErrors: unknown };
  };
  return {
    code: shape.data.code,
    message: shape.message,
    fieldErrors: shape.data.fieldErrors,
    graphErrors: shape.data.graphErrors,
  };
}
