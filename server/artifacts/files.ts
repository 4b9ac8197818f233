/**
 * Content-addressed files under the data directory: `<dataDir>/<area>/<sha[0..2]>/<sha>.<ext>`.
 * Names are built from hashes only, never from user input; writes go through a temporary file and a
 * rename, so a crash never leaves a half-written file under a final name.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The relative path (as stored in the database) of a content-addressed file. */
export function contentPath(area: "artifacts" | "uploads", sha: string, ext: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha) || !/^[a-z]{2,8}$/.test(ext)) throw new Error("invalid content address");
  return `${area}/${sha.slice(0, 2)}/${sha}.${ext}`;
}

/**
 * Resolves a stored relative path inside the data directory, refusing anything that would leave it
 * (the database is trusted, but a path is never joined blindly).
 */
export function resolveStored(dataDir: string, rel: string): string {
  if (!/^(artifacts|uploads)\/[0-9a-f]{2}\/[0-9a-f]{64}\.[a-z]{2,8}$/.test(rel))
    throw new Error(`refusing to read an unexpected stored path: ${JSON.stringify(rel)}`);
  return path.join(dataDir, rel);
}

/**
 * Where a content write goes: the stored file, and a temporary name beside it (`<name>.<12 hex>.tmp`,
 * which removeStaleTemps recognises) written first and renamed, so a crash never leaves a half-written
 * file under the final name. Shared by writeContent and writeContentSync.
 */
function writeTarget(dataDir: string, rel: string): { file: string; tmp: string } {
  const file = resolveStored(dataDir, rel);
  return { file, tmp: `${file}.${randomBytes(6).toString("hex")}.tmp` };
}

/** Writes `bytes` at `rel` unless a file with that content is already there. */
export async function writeContent(dataDir: string, rel: string, bytes: Uint8Array): Promise<void> {
  const { file, tmp } = writeTarget(dataDir, rel);
  const size = await stat(file).then(
    (s) => s.size,
    () => null, // not there yet
  );
  if (size === bytes.byteLength) return; // same hash (the name), same size: already stored
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * writeContent with blocking calls, for a run's own outputs (Save Image, Save Latent) in the runner
 * process: each async fs call is a hop through libuv's thread pool, and on a loaded machine the five
 * hops (stat, mkdir, open/write/close, rename) waited milliseconds for a thread to be scheduled, on
 * the run's critical path. A runner process's event loop only carries IPC, and onnxruntime-node runs
 * inference synchronously on whichever loop hosts the run (also the server's, with
 * PETALFLOW_RUNNER=inline), for far longer than a file write. Same temporary file + rename, so the
 * same crash safety.
 */
export function writeContentSync(dataDir: string, rel: string, bytes: Uint8Array): void {
  const { file, tmp } = writeTarget(dataDir, rel);
  let size: number | null = null;
  try {
    size = statSync(file).size;
  } catch {
    // not there yet
  }
  if (size === bytes.byteLength) return; // same hash (the name), same size: already stored
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The stored file's bytes; a failure names the relative path only (never the server's absolute one). */
export async function readContent(dataDir: string, rel: string): Promise<Buffer> {
  try {
    return await readFile(resolveStored(dataDir, rel));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`the stored file ${rel} is missing from the data directory`);
    throw new Error(`cannot read the stored file ${rel}${code ? ` (${code})` : ""}`);
  }
}

/** Deletes a stored file (missing is fine). */
export async function removeContent(dataDir: string, rel: string): Promise<void> {
  await rm(resolveStored(dataDir, rel), { force: true });
}

/** A temporary file `writeContent` makes next to its target: `<sha>.<ext>.<12 hex>.tmp`. */
const TEMP_NAME = /^[0-9a-f]{64}\.[a-z]{2,8}\.[0-9a-f]{12}\.tmp$/;

/**
 * Deletes the temporary files that a crash (kill -9, power loss) between write and rename left under
 * `artifacts/` and `uploads/`, when older than `graceMs` (a younger one may be a write in progress in
 * another process on the same data directory). Only names `writeContent` makes are touched. Returns
 * how many went.
 */
export async function removeStaleTemps(dataDir: string, graceMs: number): Promise<number> {
  const before = Date.now() - graceMs;
  let removed = 0;
  for (const area of ["artifacts", "uploads"]) {
    let shards: string[];
    try {
      shards = await readdir(path.join(dataDir, area));
    } catch {
      continue; // nothing stored there yet
    }
    for (const shard of shards) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      const folder = path.join(dataDir, area, shard);
      for (const name of await readdir(folder).catch(() => [] as string[])) {
        if (!TEMP_NAME.test(name)) continue;
        const file = path.join(folder, name);
        const s = await stat(file).catch(() => null);
        if (s?.isFile() && s.mtimeMs < before) {
          await rm(file, { force: true });
          removed++;
        }
      }
    }
  }
  return removed;
}
