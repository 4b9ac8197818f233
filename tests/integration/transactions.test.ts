/**
 * The server's database client serialises queries around interactive transactions: with one
 * better-sqlite3 connection, a write made outside an open transaction would otherwise run inside it
 * and vanish when it rolls back.
 */
import fs from "node:fs";
import { afterAll, expect, it } from "vitest";
import type { PrismaClient } from "../../server/db/client";
import { createServerDb } from "../../server/db/serialized";
import { tempDatabase } from "./helpers/app";

let db: PrismaClient | undefined;
let dir: string | undefined;

afterAll(async () => {
  await db?.$disconnect();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it("keeps a write made while another transaction is open, even when that transaction rolls back", async () => {
  const tmp = await tempDatabase();
  dir = tmp.dir;
  db = createServerDb(tmp.databaseUrl);
  const g = await db.graph.create({ data: { name: "before" }, select: { id: true } });
  // Ordered by events, not timers: the outside write is made once the transaction has written, and the
  // transaction stays open until that write has finished (without the fix: it runs inside) or for 200 ms
  // after it was made (with the fix it waits for the transaction, so it cannot finish first).
  let wroteInside!: () => void;
  const insideWritten = new Promise<void>((r) => {
    wroteInside = r;
  });
  let outside: Promise<unknown> | undefined;
  const failing = db
    .$transaction(async (tx) => {
      await tx.graph.update({ where: { id: g.id }, data: { description: "rolled back" } });
      wroteInside();
      while (!outside) await new Promise((r) => setImmediate(r));
      await Promise.race([outside, new Promise((r) => setTimeout(r, 200))]);
      throw new Error("refused");
    })
    .catch((e: Error) => e.message);
  await insideWritten;
  outside = db.graph.update({ where: { id: g.id }, data: { name: "outside" } }).then(() => undefined);
  await outside;
  expect(await failing).toBe("refused");
  const row = await db.graph.findUniqueOrThrow({
    where: { id: g.id },
    select: { name: true, description: true },
  });
  expect(row).toEqual({ name: "outside", description: "" });
});

it("refuses at once a client query made inside a transaction's callback, instead of hanging", async () => {
  const tmp = await tempDatabase();
  const own = createServerDb(tmp.databaseUrl);
  try {
    const g = await own.graph.create({ data: { name: "g" }, select: { id: true } });
    // Without the check the inner query waits for the transaction it is part of: a hang, ended only
    // by Prisma's transaction timeout (raised here so that the race below would show it).
    const breach = own.$transaction(
      async (tx) => {
        await tx.graph.update({ where: { id: g.id }, data: { description: "inside" } });
        return own.graph.count();
      },
      { timeout: 600_000, maxWait: 600_000 },
    );
    const outcome = await Promise.race([
      breach.then(
        () => "resolved",
        (e: Error & { code?: string }) => e,
      ),
      new Promise((r) => setTimeout(() => r("still waiting after 30 s"), 30_000)),
    ]);
    // Prisma wraps the adapter's error; its code and message come through.
    expect(outcome).toMatchObject({ code: "CLIENT_IN_TRANSACTION" });
    expect((outcome as Error).message).toMatch(/inside \$transaction.*Use `tx` inside the callback/s);
    // The transaction rolled back; the client works again, also for work the callback left running.
    expect((await own.graph.findUniqueOrThrow({ where: { id: g.id } })).description).toBe("");
    let later: Promise<number> | undefined;
    await own.$transaction(async (tx) => {
      await tx.graph.count();
      later = new Promise((r) => setImmediate(r)).then(() => own.graph.count());
    });
    expect(await later).toBe(1);
    // A nested transaction on the client is the same mistake.
    await expect(
      own.$transaction(async () => own.$transaction(async (tx) => tx.graph.count())),
    ).rejects.toMatchObject({ code: "CLIENT_IN_TRANSACTION" });
  } finally {
    await own.$disconnect();
    fs.rmSync(tmp.dir, { recursive: true, force: true });
  }
});
