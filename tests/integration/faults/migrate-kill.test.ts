/**
 * kill -9 during the first-start migration, in a loop (issue #13, item 6). Each iteration migrates a
 * fresh database in a child process (tests/integration/helpers/migrate-child.ts) and SIGKILLs it at a
 * random moment after its first migration began; then migrating again must succeed and leave every
 * migration recorded as finished, every table present and no unfinished bookkeeping row. Before each
 * migration ran in one transaction with its `_prisma_migrations` row, a kill mid-way left an unfinished
 * row and some tables, and the database never started again.
 *
 * The real migrations are followed by a synthetic one that creates many tables and rows, so that a
 * migration takes long enough for kills to land inside it; the count of kills that landed after a
 * migration began and before it was recorded is printed (and must not be 0).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { migrateDeploy } from "../../../server/db/migrator";
import { prng, until } from "./helpers";

const ITERATIONS = Number(process.env.FAULT_MIGRATE_KILL_ITERATIONS ?? 10);
const CHILD = path.resolve("tests/integration/helpers/migrate-child.ts");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-migrate-kill-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A copy of the real migrations plus a slow last one (150 tables, 150 indexes, 15 000 rows). */
function migrationsWithSlowOne(): { migrationsDir: string; names: string[]; tables: number } {
  const migrationsDir = path.join(dir, "migrations");
  fs.cpSync(path.resolve("prisma/migrations"), migrationsDir, { recursive: true });
  const statements: string[] = [];
  for (let i = 0; i < 150; i++) {
    statements.push(`CREATE TABLE "Bulk${i}" ("id" INTEGER NOT NULL PRIMARY KEY, "v" TEXT NOT NULL);`);
    statements.push(`CREATE INDEX "Bulk${i}_v_idx" ON "Bulk${i}"("v");`);
    statements.push(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO "Bulk${i}" ("id", "v") SELECT i, hex(randomblob(16)) FROM n;`,
    );
  }
  const slow = path.join(migrationsDir, "29990101000000_slow_test_migration");
  fs.mkdirSync(slow);
  fs.writeFileSync(path.join(slow, "migration.sql"), `${statements.join("\n")}\n`);
  const names = fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const tables = (fs.readFileSync(path.resolve(prisma("init")), "utf8").match(/CREATE TABLE/g) ?? []).length;
  return { migrationsDir, names, tables };
}

function prisma(kind: "init"): string {
  const d = fs.readdirSync("prisma/migrations").find((n) => n.endsWith(`_${kind}`));
  return path.join("prisma/migrations", d!, "migration.sql");
}

function state(file: string) {
  // Not read-only: a hot rollback journal left by the kill is rolled back on open, as a restart does.
  const db = new Database(file, { fileMustExist: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = '_prisma_migrations'").get();
    const rows = hasTable
      ? (db.prepare("SELECT migration_name AS name, finished_at AS f FROM _prisma_migrations").all() as {
          name: string;
          f: string | null;
        }[])
      : [];
    const tables = (
      db
        .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .get() as {
        n: number;
      }
    ).n;
    return {
      finished: rows.filter((r) => r.f).map((r) => r.name),
      unfinished: rows.filter((r) => !r.f).length,
      tables,
    };
  } finally {
    db.close();
  }
}

it(`kill -9 during the migration never leaves a database that cannot start (${ITERATIONS} iterations)`, async () => {
  const { migrationsDir, names } = migrationsWithSlowOne();
  const rand = prng(13);
  let midMigration = 0;
  let failedRestarts = 0;
  let unfinishedRows = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const file = path.join(dir, `db${i}.db`);
    const url = `file:${file}`;
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, url, migrationsDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    // The kill lands at a random moment after the first migration began (the slow one starts a few ms
    // later and runs for ~100 ms or more); some kills come after the end: those count as not mid-way.
    await until(
      "the migration to begin",
      async () => out.includes("applying ") || child.exitCode !== null,
      60_000,
    );
    await new Promise((r) => setTimeout(r, rand.int(0, 250)));
    child.kill("SIGKILL");
    await exited;
    const begun = [...out.matchAll(/^applying (\S+)$/gm)].map((m) => m[1]);
    if (fs.existsSync(file)) {
      const s = state(file);
      unfinishedRows += s.unfinished;
      if (begun.some((n) => !s.finished.includes(n))) midMigration++;
    }
    try {
      await migrateDeploy(url, { migrationsDir });
    } catch (e) {
      failedRestarts++;
      console.error(`iteration ${i}: migrating again failed: ${(e as Error).message}`);
      continue;
    }
    const after = state(file);
    expect(after.finished.sort()).toEqual(names);
    expect(after.unfinished).toBe(0);
  }
  console.log(
    `[faults] migration kill loop: ${ITERATIONS} kill -9s, ${midMigration} landed mid-migration, ` +
      `${unfinishedRows} unfinished bookkeeping rows left, ${failedRestarts} restarts failed`,
  );
  expect(failedRestarts).toBe(0);
  expect(unfinishedRows).toBe(0);
  expect(midMigration).toBeGreaterThan(0);
}, 180_000);
