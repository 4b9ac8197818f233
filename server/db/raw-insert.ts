/**
 * Rows inserted with one raw statement, for the few inserts on a run's critical path (its events, its
 * files' rows). Prisma plans a createMany again at every call (its plan cache does not serve it):
 * 1.3–9.8 ms of CPU for 5 rows against 0.17 ms raw, measured at load 5 (issue 18). The table and
 * column names are the schema's own (prisma/schema.prisma), never input.
 */
import type { PrismaClient } from "./client";

/** Prisma's DateTime text in SQLite, as its adapter writes and reads it: ISO 8601 with +00:00. */
export function sqliteDateTime(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}

type Value = string | number | null | Date;

/**
 * INSERT INTO `table` (`columns`) VALUES (…), (…): each row's values read by the column names, Dates
 * stored as Prisma stores them. Returns rows inserted.
 */
export function insertRows<C extends string>(
  db: Pick<PrismaClient, "$executeRawUnsafe">,
  table: string,
  columns: readonly C[],
  rows: readonly { readonly [K in C]: Value }[],
): Promise<number> {
  const names = columns.map((c) => `"${c}"`).join(", ");
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  return db
    .$executeRawUnsafe(
      `INSERT INTO "${table}" (${names}) VALUES ${rows.map(() => tuple).join(", ")}`,
      ...rows.flatMap((r) => columns.map((c) => (r[c] instanceof Date ? sqliteDateTime(r[c]) : r[c]))),
    )
    .catch((e: unknown) => {
      // A row already there is P2002, as a model query reports it (a retried upload relies on that).
      if (/SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)/.test(String((e as Error)?.message)))
        Object.assign(e as object, { code: "P2002" });
      throw e;
    });
}
