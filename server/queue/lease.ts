/**
 * Run leases: a running run belongs to the process executing it (its owner id) for as long as that
 * process keeps heartbeating. Another process (a second server on the same database, a restart, later
 * a worker on another host) reclaims a running run, marking it `interrupted`, only when its owner is
 * gone: no heartbeat for a whole lease period, or, on the same host, the owner's process no longer
 * exists (so a restart after a crash recovers at once instead of after a lease).
 *
 * The queue (server/queue/queue.ts) stores owner and heartbeat on the Run row; the LeaseKeeper here
 * renews the leases of the runs this process executes and periodically reclaims expired ones.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";

/** Default lease period (PETALFLOW_LEASE_MS). */
export const DEFAULT_LEASE_MS = 30_000;

/** What the keeper needs from a queue. */
export interface LeasedQueue {
  /** Renews the leases of these runs (those still running and owned by this process). */
  heartbeat(runIds: string[]): Promise<void>;
  /** Marks running runs whose owner is gone as interrupted; returns their ids. */
  reclaimExpired(): Promise<string[]>;
}

/** "<host>:<pid>:<random>": unique per process start, and says where the owner lives. */
export function newOwnerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/**
 * True when `ownerId` names a process on this host that no longer exists. Only a sure "gone" counts:
 * another host, an alive pid (even if reused) or an unreadable id wait for the lease to expire.
 */
export function ownerGoneHere(ownerId: string): boolean {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(ownerId);
  if (!m || m[1] !== os.hostname()) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Renews this process's leases every third of a lease and reclaims expired ones every half lease. */
export class LeaseKeeper {
  #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly queue: LeasedQueue,
    private readonly running: () => string[],
    private readonly leaseMs: number,
    private readonly log: (m: string) => void,
  ) {}

  start(): void {
    if (this.#timers.length) return;
    const every = (ms: number, fn: () => Promise<unknown>) => {
      let busy = false;
      const t = setInterval(() => {
        if (busy) return;
        busy = true;
        fn().finally(() => {
          busy = false;
        });
      }, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(Math.max(50, Math.floor(this.leaseMs / 3)), async () => {
      const ids = this.running();
      if (ids.length)
        await this.queue
          .heartbeat(ids)
          .catch((e: Error) => this.log(`lease: heartbeat failed: ${e.message}`));
    });
    every(Math.max(100, Math.floor(this.leaseMs / 2)), () =>
      this.queue.reclaimExpired().catch((e: Error) => this.log(`lease: reclaim failed: ${e.message}`)),
    );
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }
}
