/**
 * The database file's health at start, said in sentences: a file that is not a readable SQLite
 * database (damaged, or something else) and a write-ahead log whose tail was torn (power loss, a
 * disk that lost writes) are found before any connection opens the file, instead of surfacing as an
 * engine backtrace or as versions that silently went missing.
 */
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

/** The database file cannot be used; the message says which file and what to do. */
export class DatabaseFileError extends Error {
  override readonly name = "DatabaseFileError";
}

const WHAT_TO_DO =
  "Stop Petalflow, restore the file from a backup (or move it away to start with an empty library), then start again.";

/** A sentence for an SQLite error that means the file itself is damaged; null for other errors. */
export function damagedFileMessage(file: string, e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === "SQLITE_NOTADB" || /file is not a database/i.test(message))
    return `The database file ${path.resolve(file)} is not a SQLite database (it is damaged, or not Petalflow's). ${WHAT_TO_DO}`;
  if (
    (typeof code === "string" && code.startsWith("SQLITE_CORRUPT")) ||
    /database disk image is malformed/i.test(message)
  )
    return `The database file ${path.resolve(file)} is damaged (SQLite reports "database disk image is malformed"). ${WHAT_TO_DO}`;
  return null;
}

/**
 * Checks, before anything opens it, that an existing database file is readable and whether its
 * write-ahead log (`<file>-wal`) lost committed transactions. Throws DatabaseFileError for an unusable
 * file; returns warnings (sentences) for a torn log. A missing file is fine (it will be created).
 */
export function checkDatabaseFile(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const warnings = inspectWal(`${file}-wal`);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (e) {
    const sentence = damagedFileMessage(file, e);
    if (sentence) throw new DatabaseFileError(sentence, { cause: e });
    throw e;
  } finally {
    db?.close();
  }
  return warnings;
}

/**
 * Reads a WAL file the way SQLite recovers it (https://www.sqlite.org/fileformat2.html#walformat):
 * frames count while their salts match the header and their cumulative checksum is right; the log
 * ends at the last such commit frame. Committed frames (current salts) after the first bad one are
 * transactions that were written but will be dropped: recent saves lost. A bad or partial last
 * frame alone is a write that was interrupted before it completed (not confirmed to anyone).
 */
export function inspectWal(walFile: string): string[] {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(walFile);
  } catch {
    return [];
  }
  if (buf.length < 32) return [];
  const magic = buf.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return [];
  const bigEndian = (magic & 1) === 1;
  const pageSize = buf.readUInt32BE(8) === 1 ? 65536 : buf.readUInt32BE(8);
  const salt1 = buf.readUInt32BE(16);
  const salt2 = buf.readUInt32BE(20);
  let [s0, s1] = walChecksum(buf, 0, 24, 0, 0, bigEndian);
  if (s0 !== buf.readUInt32BE(24) || s1 !== buf.readUInt32BE(28)) return []; // an invalid log is ignored whole
  const frameSize = 24 + pageSize;
  let offset = 32;
  let bad = -1;
  let frame = 0;
  for (; offset + frameSize <= buf.length; offset += frameSize, frame++) {
    if (buf.readUInt32BE(offset + 8) !== salt1 || buf.readUInt32BE(offset + 12) !== salt2) break; // older log
    [s0, s1] = walChecksum(buf, offset, 8, s0, s1, bigEndian);
    [s0, s1] = walChecksum(buf, offset + 24, pageSize, s0, s1, bigEndian);
    if (s0 !== buf.readUInt32BE(offset + 16) || s1 !== buf.readUInt32BE(offset + 20)) {
      bad = frame;
      break;
    }
  }
  const name = path.resolve(walFile);
  if (bad < 0) {
    const partial = offset < buf.length && (buf.length - offset) % frameSize !== 0;
    return partial
      ? [
          `The write-ahead log ${name} ends in an incomplete write: the change being saved when Petalflow stopped was not kept.`,
        ]
      : [];
  }
  // Commits with the current salts from the bad frame on: written, but SQLite cannot replay them.
  let lost = 0;
  for (let o = offset; o + frameSize <= buf.length; o += frameSize)
    if (
      buf.readUInt32BE(o + 8) === salt1 &&
      buf.readUInt32BE(o + 12) === salt2 &&
      buf.readUInt32BE(o + 4) !== 0
    )
      lost++;
  if (lost === 0)
    return [
      `The write-ahead log ${name} ends in an incomplete write: the change being saved when Petalflow stopped was not kept.`,
    ];
  return [
    `The write-ahead log ${name} is damaged at frame ${bad}: ${lost} later saved change(s) in it cannot be recovered, ` +
      "so the most recent edits before the last stop (saved versions, drafts, runs) are lost. " +
      "If you have a backup newer than that, restore it; otherwise recent work may need to be redone.",
  ];
}

/** SQLite's WAL checksum over `n` bytes (a multiple of 8) at `at`, continuing from (s0, s1). */
function walChecksum(
  buf: Buffer,
  at: number,
  n: number,
  s0: number,
  s1: number,
  bigEndian: boolean,
): [number, number] {
  let a = s0;
  let b = s1;
  for (let i = at; i < at + n; i += 8) {
    const x0 = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const x1 = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    a = (a + x0 + b) >>> 0;
    b = (b + x1 + a) >>> 0;
  }
  return [a, b];
}
