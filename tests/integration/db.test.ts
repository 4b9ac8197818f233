import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type PrismaClient } from "../../server/db/client";
import { migrateDeploy } from "../../server/db/migrator";

const MIGRATIONS_DIR = path.resolve("prisma/migrations");
const migrationNames = fs
  .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: string | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: string | null;
  started_at: string;
  applied_steps_count: number;
}

describe("database: migrations and client", () => {
  let tmp: string;
  let url: string;
  let db: PrismaClient;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-db-"));
    // A folder that does not exist yet: deploy must create it.
    url = `file:${path.join(tmp, "nested", "test.db")}`;
  });

  afterAll(async () => {
    await db?.$disconnect();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("has an initial migration and a lockfile", () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    expect(migrationNames[0]).toMatch(/^\d{14}_init$/);
    expect(fs.readFileSync(path.join(MIGRATIONS_DIR, "migration_lock.toml"), "utf8")).toContain(
      'provider = "sqlite"',
    );
  });

  it("applies every migration to a fresh database with standard bookkeeping", async () => {
    const { applied } = await migrateDeploy(url);
    expect(applied).toEqual(migrationNames);

    const raw = new Database(url.slice("file:".length), { readonly: true });
    try {
      const rows = raw
        .prepare("SELECT * FROM _prisma_migrations ORDER BY migration_name")
        .all() as MigrationRow[];
      expect(rows.map((r) => r.migration_name)).toEqual(migrationNames);
      for (const row of rows) {
        const script = fs.readFileSync(
          path.join(MIGRATIONS_DIR, row.migration_name, "migration.sql"),
          "utf8",
        );
        expect(row.checksum).toBe(sha256(script));
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(row.applied_steps_count).toBe(1);
        expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      }
      const tables = (
        raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
      ).map((t) => t.name);
      for (const t of [
        "Graph",
        "GraphTag",
        "GraphVersion",
        "Run",
        "RunEvent",
        "Artifact",
        "Share",
        "Upload",
      ]) {
        expect(tables).toContain(t);
      }
    } finally {
      raw.close();
    }
  });

  it("rerunning deploy is a no-op", async () => {
    expect(await migrateDeploy(url)).toEqual({ applied: [], warnings: [] });
    const raw = new Database(url.slice("file:".length), { readonly: true });
    const { n } = raw.prepare("SELECT count(*) AS n FROM _prisma_migrations").get() as { n: number };
    raw.close();
    expect(n).toBe(migrationNames.length);
  });

  it("opens the client with WAL, foreign keys and a busy timeout", async () => {
    db = createDb(url);
    const pragma = async (name: string) => {
      const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(`PRAGMA ${name}`);
      return Object.values(rows[0] ?? {})[0];
    };
    expect(await pragma("journal_mode")).toBe("wal");
    expect(Number(await pragma("foreign_keys"))).toBe(1);
    expect(Number(await pragma("synchronous"))).toBe(1); // NORMAL
    expect(Number(await pragma("busy_timeout"))).toBe(5000);
  });

  it("rejects a second GraphVersion with the same (graphId, hash)", async () => {
    const graph = await db.graph.create({
      data: { name: "unique test", tags: { create: [{ tag: "portrait" }, { tag: "sdxl" }] } },
    });
    const doc = JSON.stringify({ nodes: [], edges: [] });
    const hash = sha256(doc);
    await db.graphVersion.create({ data: { graphId: graph.id, number: 1, document: doc, hash } });
    await expect(
      db.graphVersion.create({ data: { graphId: graph.id, number: 2, document: doc, hash } }),
    ).rejects.toMatchObject({ code: "P2002" });
    expect(await db.graphVersion.count({ where: { graphId: graph.id } })).toBe(1);
    // Tag search through the join table.
    const tagged = await db.graph.findMany({ where: { tags: { some: { tag: "sdxl" } } } });
    expect(tagged.map((g) => g.id)).toEqual([graph.id]);
  });

  it("a transaction that throws leaves nothing written", async () => {
    await expect(
      db.$transaction(async (tx) => {
        const g = await tx.graph.create({ data: { name: "rolled back" } });
        await tx.graphVersion.create({
          data: { graphId: g.id, number: 1, document: "{}", hash: sha256("{}") },
        });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.graph.count({ where: { name: "rolled back" } })).toBe(0);
    expect(await db.graphVersion.count({ where: { document: "{}" } })).toBe(0);
  });

  it("refuses to deploy when an applied migration was edited", async () => {
    const dir = path.join(tmp, "migrations");
    fs.cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const other = `file:${path.join(tmp, "edited.db")}`;
    expect((await migrateDeploy(other, { migrationsDir: dir })).applied).toEqual(migrationNames);
    fs.appendFileSync(path.join(dir, migrationNames[0], "migration.sql"), "\n-- edited\n");
    await expect(migrateDeploy(other, { migrationsDir: dir })).rejects.toThrow(/edited/);
  });
});
