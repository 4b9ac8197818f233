/**
 * One writer on SQLite: the runner process (server/runner/child.ts) writes files and sends their
 * metadata to the server; nothing it loads can open the database. This walks the modules the child
 * loads at run time (type-only imports are erased) and fails when one reaches the database code.
 */
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");
const DATABASE = /^(server\/db\/|generated\/prisma\/)|^(@prisma\/|better-sqlite3$|prisma$)/;

/** Value imports (static, dynamic, export-from) of a source text; `import type` ones are left out. */
function valueImports(src: string): string[] {
  const text = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?["']([^"']+)["']/gm))
    if (!m[1]) out.push(m[2]);
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]);
  return out;
}

function resolveLocal(from: string, spec: string): string | null {
  const base = spec.startsWith("@/")
    ? path.join(ROOT, spec.slice(2))
    : path.resolve(path.dirname(from), spec);
  for (const f of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")])
    if (fs.existsSync(f) && fs.statSync(f).isFile()) return f;
  return null;
}

/** Every module (repo-relative, or a package name) that `entry` loads, with the chain that loads it. */
function moduleGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[entry, [entry]]]);
  const todo = [entry];
  while (todo.length) {
    const rel = todo.pop()!;
    if (!/\.tsx?$/.test(rel)) continue;
    const file = path.join(ROOT, rel);
    for (const spec of valueImports(fs.readFileSync(file, "utf8"))) {
      const local = spec.startsWith(".") || spec.startsWith("@/");
      const target = local ? resolveLocal(file, spec) : null;
      const name = target ? path.relative(ROOT, target) : local ? `${spec} (unresolved)` : spec;
      if (seen.has(name)) continue;
      seen.set(name, [...seen.get(rel)!, name]);
      if (target && /\.tsx?$/.test(target)) todo.push(name);
    }
  }
  return seen;
}

it("the runner process loads no database code", () => {
  const graph = moduleGraph("server/runner/child.ts");
  // The walk reaches the runtime (so an empty graph cannot pass).
  expect(graph.has("server/runtime/create.ts")).toBe(true);
  expect(graph.has("server/artifacts/content.ts")).toBe(true);
  const reached = [...graph].filter(([name]) => DATABASE.test(name)).map(([, chain]) => chain.join(" → "));
  expect(reached).toEqual([]);
  // And the check can fail: the server's app module does reach the database.
  expect([...moduleGraph("server/app.ts").keys()].some((n) => DATABASE.test(n))).toBe(true);
});
