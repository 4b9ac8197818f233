/**
 * Storage faults at start (issue #13, item 11): temporary files a crash left between write and rename
 * are cleaned; a damaged database file gets one sentence (which file, what to do) instead of an engine
 * backtrace; a torn write-ahead log is reported, with SQLite itself as the reference for what is lost.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { DatabaseFileError, inspectWal } from "../../../server/db/health";
import { migrateDeploy } from "../../../server/db/migrator";
import { makeTestApp, tempDatabase } from "../helpers/app";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-storage-"));
const counts = { tempsRemoved: 0, tempsKept: 0, damagedFiles: 0, lostCommitsReported: 0 };
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(
    `[faults] storage: ${counts.tempsRemoved} stale *.tmp removed, ${counts.tempsKept} young *.tmp/content files kept, ` +
      `${counts.damagedFiles} damaged database files refused with a sentence, ` +
      `${counts.lostCommitsReported} commits lost in a torn WAL reported (as many as SQLite dropped)`,
  );
});

it("removes *.tmp files a crash left between write and rename, once older than the grace period", async () => {
  const db = await tempDatabase();
  const data = path.join(db.dir, "data");
  const sha = "ab".padEnd(64, "c");
  const shard = path.join(data, "artifacts", "ab");
  fs.mkdirSync(shard, { recursive: true });
  fs.mkdirSync(path.join(data, "uploads", "ab"), { recursive: true });
  const old = [
    path.join(shard, `${sha}.png.0123456789ab.tmp`),
    path.join(data, "uploads", "ab", `${sha}.jpg.ba9876543210.tmp`),
  ];
  const young = path.join(shard, `${sha}.png.fedcba987654.tmp`);
  const content = path.join(shard, `${sha}.png`);
  const hour = new Date(Date.now() - 60 * 60 * 1000);
  for (const f of [...old, young, content]) fs.writeFileSync(f, "x");
  for (const f of [...old, content]) fs.utimesSync(f, hour, hour);
  const app = await makeTestApp({ existing: db, startWorker: false });
  await app.close();
  for (const f of old) expect(fs.existsSync(f)).toBe(false);
  expect(fs.existsSync(young)).toBe(true);
  expect(fs.existsSync(content)).toBe(true);
  counts.tempsRemoved += old.length;
  counts.tempsKept += 2;
  fs.rmSync(db.dir, { recursive: true, force: true });
});

it("a damaged database file is one sentence naming the file and what to do, not a backtrace", async () => {
  const garbage = path.join(dir, "garbage.db");
  fs.writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
  const e = await migrateDeploy(`file:${garbage}`).then(
    () => null,
    (err: Error) => err,
  );
  expect(e).toBeInstanceOf(DatabaseFileError);
  expect(e?.message).toContain(garbage);
  expect(e?.message).toMatch(/not a SQLite database.*restore the file from a backup/);
  counts.damagedFiles++;

  // The same through the command line: one line on stderr, no engine frames.
  const cli = spawnSync(process.execPath, ["--import", "tsx", "scripts/migrate.ts", "deploy"], {
    env: { ...process.env, DATABASE_URL: `file:${garbage}` },
    encoding: "utf8",
  });
  expect(cli.status).toBe(1);
  expect(cli.stderr.trim().split("\n")).toEqual([expect.stringContaining(garbage)]);
  expect(cli.stderr).not.toMatch(/schema_engine|\.rs:\d+|\bat \w+ \(/);

  // A valid header with a damaged schema page: also a sentence.
  const good = path.join(dir, "damaged.db");
  await migrateDeploy(`file:${good}`);
  const fd = fs.openSync(good, "r+");
  fs.writeSync(fd, Buffer.alloc(4096 - 100, 0xff), 0, 4096 - 100, 100); // the rest of page 1: sqlite_master
  fs.closeSync(fd);
  const e2 = await migrateDeploy(`file:${good}`).then(
    () => null,
    (err: Error) => err,
  );
  expect(e2).toBeInstanceOf(DatabaseFileError);
  expect(e2?.message).toContain(good);
  counts.damagedFiles++;
});

it("a torn write-ahead log is reported, with as many lost commits as SQLite drops", () => {
  const file = path.join(dir, "wal.db");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("wal_autocheckpoint = 0"); // keep every commit in the log
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  db.pragma("wal_checkpoint(TRUNCATE)");
  const COMMITS = 12;
  for (let i = 0; i < COMMITS; i++) db.prepare("INSERT INTO t (v) VALUES (?)").run(`row ${i}`.repeat(50));
  // A crash now: copy the files as they are on disk while the connection is still open.
  const crashed = path.join(dir, "crashed.db");
  fs.copyFileSync(file, crashed);
  fs.copyFileSync(`${file}-wal`, `${crashed}-wal`);
  db.close();
  expect(inspectWal(`${crashed}-wal`)).toEqual([]); // an intact log: nothing to say

  // Tear it: damage one page image in the middle of the log (a write the disk lost).
  const wal = fs.readFileSync(`${crashed}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const frames = (wal.length - 32) / (24 + pageSize);
  const victim = Math.floor(frames / 2);
  wal[32 + victim * (24 + pageSize) + 24 + 200] ^= 0xff;
  fs.writeFileSync(`${crashed}-wal`, wal);

  const warnings = inspectWal(`${crashed}-wal`);
  expect(warnings).toHaveLength(1);
  const lost = Number(/(\d+) later saved change/.exec(warnings[0])?.[1]);
  // SQLite's own recovery is the reference: it keeps the commits before the damaged frame only.
  const reopened = new Database(crashed);
  const kept = (reopened.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
  reopened.close();
  expect(kept).toBeLessThan(COMMITS);
  expect(lost).toBe(COMMITS - kept);
  expect(warnings[0]).toMatch(/most recent edits .* are lost/);
  counts.lostCommitsReported += lost;
});
