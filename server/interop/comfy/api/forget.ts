/**
 * POST /history {clear, delete}: ComfyUI drops those entries from its history. Petalflow keeps its runs
 * (they are the library's history and images), so this endpoint only stops listing them: a clear hides
 * every run finished until then, a delete the runs named. Kept in a small JSON file in the data directory.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { App } from "../../../app";

const FILE = "comfy-history-hidden.json";
const MAX_IDS = 5000;

export interface Hidden {
  /** Runs finished at or before this time (ms) are not listed; 0: none. */
  clearedAt: number;
  ids: string[];
}

let chain: Promise<unknown> = Promise.resolve();

export async function hiddenHistory(app: App): Promise<Hidden> {
  try {
    const h = JSON.parse(await fs.readFile(path.join(app.dataDir, FILE), "utf8")) as Partial<Hidden>;
    return {
      clearedAt: typeof h.clearedAt === "number" ? h.clearedAt : 0,
      ids: Array.isArray(h.ids) ? h.ids.filter((x): x is string => typeof x === "string") : [],
    };
  } catch {
    return { clearedAt: 0, ids: [] };
  }
}

export function forgetHistory(app: App, body: { clear?: unknown; delete?: unknown }, now = Date.now()) {
  const next = chain.then(async () => {
    const h = await hiddenHistory(app);
    if (body.clear === true) {
      h.clearedAt = now;
      h.ids = [];
    }
    if (Array.isArray(body.delete))
      h.ids.push(
        ...body.delete.filter((d): d is string => typeof d === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(d)),
      );
    h.ids = [...new Set(h.ids)].slice(-MAX_IDS);
    await fs.mkdir(app.dataDir, { recursive: true });
    const tmp = path.join(app.dataDir, `${FILE}.${process.pid}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(h));
    await fs.rename(tmp, path.join(app.dataDir, FILE));
  });
  chain = next.catch(() => undefined);
  return next;
}

/** Prisma `where` that leaves out what was cleared or deleted. */
export function notHidden(h: Hidden) {
  return {
    ...(h.ids.length ? { id: { notIn: h.ids } } : {}),
    ...(h.clearedAt ? { finishedAt: { gt: new Date(h.clearedAt) } } : {}),
  };
}
