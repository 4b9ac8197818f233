/**
 * ComfyUI's input folder, as names: /upload/image stores the image in Petalflow's content-addressed
 * upload store (its checks and limits) and remembers the name the client gave it (with its subfolder),
 * newest upload winning, as ComfyUI's `overwrite` does. A LoadImage in a prompt may then name the
 * image either way: the client's name or the store's `<sha256>.png`. The table is a small JSON file in
 * the data directory; names are never used as paths.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { App } from "../../../app";
import { UPLOAD_NAME } from "../../../artifacts/store";

const FILE = "comfy-inputs.json";
const MAX_NAMES = 10_000;
let chain: Promise<unknown> = Promise.resolve();

/** The key a LoadImage uses for `name` in `subfolder` ("sub/name"), or null for a name that is not safe. */
export function inputKey(name: string, subfolder = ""): string | null {
  const clean = (s: string) =>
    s.length <= 200 &&
    !/[\\\0]/.test(s) &&
    s.split("/").every((part) => part !== "" && part !== "." && part !== "..");
  if (!name || name.includes("/") || !clean(name)) return null;
  if (subfolder && !clean(subfolder)) return null;
  return subfolder ? `${subfolder}/${name}` : name;
}

async function readTable(app: App): Promise<Record<string, string>> {
  try {
    const t = JSON.parse(await fs.readFile(path.join(app.dataDir, FILE), "utf8"));
    return t && typeof t === "object" ? (t as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function rememberInput(app: App, key: string, uploadName: string): Promise<void> {
  const next = chain.then(async () => {
    const table = await readTable(app);
    delete table[key];
    table[key] = uploadName;
    const keys = Object.keys(table);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_NAMES))) delete table[old];
    await fs.mkdir(app.dataDir, { recursive: true });
    const tmp = path.join(app.dataDir, `${FILE}.${process.pid}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(table));
    await fs.rename(tmp, path.join(app.dataDir, FILE));
  });
  chain = next.catch(() => undefined);
  return next;
}

/** Every input name a LoadImage may use → the upload it loads (the client's names, then the store's). */
export async function inputNames(app: App, wanted?: readonly string[]): Promise<Map<string, string>> {
  const table = await readTable(app);
  const out = new Map<string, string>();
  const candidates = wanted ?? Object.keys(table);
  const resolved = candidates
    .map((n) => [n, table[n] ?? (UPLOAD_NAME.test(n) ? n : undefined)] as const)
    .filter((e): e is readonly [string, string] => e[1] !== undefined);
  const shas = [...new Set(resolved.map(([, u]) => u.slice(0, 64)))];
  const have = new Set(
    (await app.db.upload.findMany({ where: { sha256: { in: shas } }, select: { sha256: true } })).map(
      (r) => r.sha256,
    ),
  );
  for (const [n, u] of resolved) if (have.has(u.slice(0, 64))) out.set(n, u);
  return out;
}
