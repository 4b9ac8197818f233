/**
 * The server's Prisma client: `createDb`'s settings (better-sqlite3, WAL pragmas) plus two rules the
 * driver adapter lacks.
 *
 * 1. better-sqlite3 has ONE connection: a query made outside an interactive transaction while that
 *    transaction is open runs INSIDE it, and is lost if it rolls back (a run event written while an
 *    enqueue is refused, for example). Here every query outside a transaction waits until the open
 *    transaction has finished (a FIFO lock); queries inside it go through the transaction object.
 *    This stays with one writer process: the server's own concurrent requests, queue and worker
 *    share the connection.
 * 2. So inside `$transaction(async (tx) => …)` only `tx` may be used: a query on the client there
 *    would wait for the transaction it is part of, forever. Such a query fails at once instead, with
 *    an error that says so (the callback runs in an AsyncLocalStorage scope the adapter checks).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from "@prisma/driver-adapter-utils";
import { PrismaClient } from "../../generated/prisma/client";
import { SQLITE_PRAGMAS } from "./client";

/** A FIFO lock: `acquire()` resolves with the release function once every earlier holder released. */
class Lock {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const before = this.#tail;
    this.#tail = before.then(() => held);
    let released = false;
    return before.then(() => () => {
      if (released) return;
      released = true;
      release();
    });
  }
}

class SerializedFactory implements SqlDriverAdapterFactory {
  readonly provider = "sqlite" as const;
  readonly adapterName: string;

  constructor(
    private readonly inner: SqlDriverAdapterFactory,
    private readonly lock: Lock,
  ) {
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    const adapter = await this.inner.connect();
    try {
      await adapter.executeScript(SQLITE_PRAGMAS.map((p) => `${p};`).join("\n"));
    } catch (e) {
      await adapter.dispose().catch(() => undefined);
      throw e;
    }
    return serialize(adapter, this.lock);
  }
}

/** The open interactive transactions the current async call chain runs inside, by adapter lock. */
const insideTransaction = new AsyncLocalStorage<ReadonlySet<Lock>>();

export class ClientInTransactionError extends Error {
  override readonly name = "ClientInTransactionError";
  readonly code = "CLIENT_IN_TRANSACTION";
  constructor() {
    super(
      "a query on the database client was made inside $transaction(async (tx) => …): it would wait for " +
        "that transaction to end, which waits for it. Use `tx` inside the callback (server/db/serialized.ts).",
    );
  }
}

function serialize(adapter: SqlDriverAdapter, lock: Lock): SqlDriverAdapter {
  const locked =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (insideTransaction.getStore()?.has(lock)) throw new ClientInTransactionError();
      const release = await lock.acquire();
      try {
        return await fn(...args);
      } finally {
        release();
      }
    };
  const queryRaw = adapter.queryRaw.bind(adapter);
  const executeRaw = adapter.executeRaw.bind(adapter);
  const executeScript = adapter.executeScript.bind(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.queryRaw = locked(queryRaw);
  adapter.executeRaw = locked(executeRaw);
  adapter.executeScript = locked(executeScript);
  adapter.startTransaction = async (isolationLevel) => {
    if (insideTransaction.getStore()?.has(lock)) throw new ClientInTransactionError();
    const release = await lock.acquire();
    let tx: Transaction;
    try {
      tx = await startTransaction(isolationLevel);
    } catch (e) {
      release();
      throw e;
    }
    try {
      await takeWriteLock(tx);
    } catch (e) {
      await tx.rollback().catch(() => undefined);
      release();
      throw e;
    }
    const commit = tx.commit.bind(tx);
    const rollback = tx.rollback.bind(tx);
    tx.commit = async () => {
      try {
        await commit();
      } finally {
        release();
      }
    };
    tx.rollback = async () => {
      try {
        await rollback();
      } finally {
        release();
      }
    };
    return tx;
  };
  return adapter;
}

/**
 * The adapter opens transactions with a plain (deferred) `BEGIN`. In WAL mode such a transaction that
 * reads first and writes later fails with SQLITE_BUSY_SNAPSHOT, without waiting, when another process
 * wrote in between: busy_timeout cannot help once a snapshot is held. Runner processes no longer write,
 * but other processes still may: a second server on the same database (server/queue/lease.ts), a
 * tool, a test's app beside the server's. Taking the write lock before any read, with a write that
 * changes nothing, makes the transaction behave like `BEGIN IMMEDIATE`: it waits (busy_timeout) for
 * other writers instead, and then reads the latest data. A database without the migrations table is
 * not migrated yet; its transactions go on deferred.
 */
async function takeWriteLock(tx: Transaction): Promise<void> {
  try {
    await tx.executeRaw({ sql: 'DELETE FROM "_prisma_migrations" WHERE 0', args: [], argTypes: [] });
  } catch (e) {
    const err = e as { message?: unknown; cause?: { kind?: unknown } };
    if (err.cause?.kind === "TableDoesNotExist" || /no such table/i.test(String(err.message))) return;
    throw e;
  }
}

/**
 * Like `createDb(url)` (same folder handling and pragmas), with queries serialised around
 * transactions, and a client query inside an interactive transaction's callback refused.
 */
export function createServerDb(databaseUrl: string): PrismaClient {
  const file = databaseUrl.replace(/^file:/, "").replace(/\?.*$/, "");
  // Kept relative on purpose (as in createDb): resolving against cwd makes Next trace the project.
  if (file !== "" && file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const lock = new Lock();
  const db = new PrismaClient({
    adapter: new SerializedFactory(new PrismaBetterSqlite3({ url: databaseUrl }), lock),
  });
  const transaction = db.$transaction.bind(db) as (...args: unknown[]) => Promise<unknown>;
  // The interactive form's callback (and everything it awaits) runs in a scope naming this lock.
  db.$transaction = ((arg: unknown, ...rest: unknown[]) => {
    if (typeof arg !== "function") return transaction(arg, ...rest);
    const scope = new Set(insideTransaction.getStore() ?? []).add(lock);
    const callback = (tx: unknown) =>
      insideTransaction.run(scope, () => (arg as (tx: unknown) => unknown)(tx));
    return transaction(callback, ...rest).finally(() => {
      scope.delete(lock); // work the callback left running (not awaited) may use the client afterwards
    });
  }) as typeof db.$transaction;
  return db;
}
