/**
 * Content hashes of model folders, for routing: a run goes only to a worker whose folder of that name
 * has the same bytes. The hash is sha256 over every file's relative path and sha256, in path order;
 * it is kept per (file, size, mtime) so that a big model is read once per change, not per run.
 */
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { ModelLibrary } from "../diffusion/models";
import type { ModelRef } from "./protocol";

const fileHashes = new Map<string, { key: string; sha: Promise<string> }>();

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(file)
      .on("data", (chunk) => h.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

// The walk uses blocking calls: the server hashes a run's model folders on the run's way to its job,
// and a folder of 19 files took 26 async fs calls, each a hop through libuv's thread pool that waits for
// a thread on a busy host (≈ 11 ms of wall time under load); blocking, the walk costs this loop ≈ 0.1 ms.
function filesUnder(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesUnder(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** The content hash of one model folder (every file under it). */
export async function hashModelDir(dir: string): Promise<string> {
  const files = filesUnder(dir).sort();
  const h = createHash("sha256");
  for (const rel of files) {
    const file = path.join(dir, rel);
    const st = statSync(file);
    const key = `${st.size}:${st.mtimeMs}`;
    let entry = fileHashes.get(file);
    if (!entry || entry.key !== key) {
      entry = { key, sha: sha256File(file) };
      entry.sha.catch(() => fileHashes.delete(file));
      fileHashes.set(file, entry);
    }
    h.update(`${rel}\0${await entry.sha}\n`);
  }
  return h.digest("hex");
}

/** Every usable model of a library with its content hash (what a worker advertises). */
export async function libraryModels(models: ModelLibrary): Promise<ModelRef[]> {
  const scan = await models.refresh();
  return Promise.all(scan.models.map(async (m) => ({ id: m.id, hash: await hashModelDir(m.dir) })));
}

/** The model folder names a graph document loads (its Model Loader nodes that are not muted). */
export function modelIdsOf(document: unknown): string[] {
  const nodes = (document as { nodes?: unknown })?.nodes;
  if (!Array.isArray(nodes)) return [];
  const ids = new Set<string>();
  for (const n of nodes as { type?: unknown; mode?: unknown; params?: { model?: unknown } }[])
    if (n?.type === "model-loader" && n.mode !== "mute" && typeof n.params?.model === "string")
      ids.add(n.params.model);
  return [...ids].sort();
}
