/**
 * The Prisma client for Petalflow's SQLite database (Prisma 7, better-sqlite3 driver adapter: no native
 * query engine). Apply migrations first with `migrateDeploy` from ./migrator.
 */
import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaClient } from "../../generated/prisma/client";
import { DEFAULT_DATABASE_URL } from "../env";

export { Prisma, PrismaClient } from "../../generated/prisma/client";

/** Run on every new connection (better-sqlite3 opens exactly one per client). */
export const SQLITE_PRAGMAS = [
  "PRAGMA journal_mode = WAL",
  "PRAGMA synchronous = NORMAL",
  "PRAGMA foreign_keys = ON",
  "PRAGMA busy_timeout = 5000",
] as const;

/**
 * Creates a PrismaClient on `databaseUrl` (`file:<path>`, relative paths resolve against the process's
 * cwd, as SQLite itself does; `file::memory:` also works). The parent folder of the file is created if
 * missing. The connection is opened lazily, on the first query or `$connect()`, and gets
 * {@link SQLITE_PRAGMAS} before any query runs. Call `$disconnect()` to close it.
 */
export function createDb(databaseUrl: string = DEFAULT_DATABASE_URL): PrismaClient {
  const file = databaseUrl.replace(/^file:/, "").replace(/\?.*$/, "");
  // Kept relative on purpose: resolving against process.cwd() makes Next trace the whole project.
  if (file !== "" && file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const adapter = new PragmaAdapterFactory(new PrismaBetterSqlite3({ url: databaseUrl }), SQLITE_PRAGMAS);
  return new PrismaClient({ adapter });
}

/** Delegates to the better-sqlite3 adapter and runs the pragmas on each connection it opens. */
class PragmaAdapterFactory implements SqlDriverAdapterFactory {
  readonly provider: "sqlite";
  readonly adapterName: string;
  readonly #inner: SqlDriverAdapterFactory;
  readonly #script: string;

  constructor(inner: SqlDriverAdapterFactory, pragmas: readonly string[]) {
    this.#inner = inner;
    this.provider = "sqlite";
    this.adapterName = inner.adapterName;
    this.#script = pragmas.map((p) => `${p};`).join("\n");
  }

  async connect(): Promise<SqlDriverAdapter> {
    const adapter = await this.#inner.connect();
    try {
      // executeScript (Database.exec) runs several statements and ignores the rows PRAGMAs return.
      await adapter.executeScript(this.#script);
    } catch (e) {
      await adapter.dispose().catch(() => undefined);
      throw e;
    }
    return adapter;
  }
}
