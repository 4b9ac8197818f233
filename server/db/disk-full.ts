/**
 * A full disk, recognised wherever it surfaces (node:fs ENOSPC/EDQUOT, SQLite's SQLITE_FULL through
 * Prisma and its driver adapter), so that the API can say "disk full" (503) instead of "internal
 * server error", and the worker can wait for space instead of leaving a run `running` forever.
 */

/** What the user reads; no paths, no SQL. */
export const DISK_FULL_MESSAGE =
  "the server's disk is full, so nothing was saved: free some space on the disk that holds Petalflow's data directory and database, then try again";

const CODES = new Set(["ENOSPC", "EDQUOT", "SQLITE_FULL"]);
const TEXT = /SQLITE_FULL|database or disk is full|no space left on device|ENOSPC|disk quota exceeded/i;

/** True when `e` (or anything in its cause chain, or Prisma's adapter error meta) is a full disk. */
export function isDiskFull(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== "object" || depth > 8) return false;
  const o = e as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } };
  };
  if (typeof o.code === "string" && CODES.has(o.code)) return true;
  const adapterCode = o.meta?.driverAdapterError?.cause?.originalCode;
  if (typeof adapterCode === "string" && CODES.has(adapterCode)) return true;
  if (typeof o.message === "string" && TEXT.test(o.message)) return true;
  return isDiskFull(o.cause, depth + 1);
}
