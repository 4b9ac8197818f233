/**
 * The client/server boundary lives in the tree, checked here rather than promised in comments:
 * - core/ is pure TypeScript (runs in the browser, the server and workers): it imports only itself
 *   and zod — no node:*, no React, nothing from server/, app/ or nodes/.
 * - node declarations (nodes/<id>/definition.ts, nodes/registry.ts, nodes/image-side.ts) import only
 *   core/ and other declarations — never an execute.ts or server/.
 * - the browser's code (app/ outside app/api, whose route handlers are server code, and outside the
 *   routes' server components: a page or layout without "use client", rendered only on the server,
 *   which browser code never imports) imports only core/, node declarations and app/; the one
 *   exception is tRPC's `import type { AppRouter }`, which is erased at build, and the bundled example
 *   graphs (JSON data).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");

interface Import {
  spec: string;
  typeOnly: boolean;
}

/** Every static and dynamic import/export-from specifier in a source text. */
function importsOf(src: string): Import[] {
  const out: Import[] = [];
  const text = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const stmt = /^\s*(import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?["']([^"']+)["']/gm;
  for (const m of text.matchAll(stmt)) out.push({ spec: m[3], typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g))
    out.push({ spec: m[1], typeOnly: false });
  return out;
}

/** Repo-relative target of a local specifier ("@/…" or relative), or null for a package. */
function localTarget(file: string, spec: string): string | null {
  if (spec.startsWith("@/")) return spec.slice(2);
  if (spec.startsWith("."))
    return path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), spec));
  return null;
}

const isDeclaration = (rel: string) =>
  /^nodes\/[^/]+\/definition$/.test(rel) || rel === "nodes/registry" || rel === "nodes/image-side";

type Rule = (file: string, imp: Import) => string | null;

const coreRule: Rule = (file, imp) => {
  const target = localTarget(file, imp.spec);
  if (target === null) return imp.spec === "zod" ? null : `package "${imp.spec}" (core allows only zod)`;
  return target.startsWith("core/") ? null : `${target} (core imports only core)`;
};

const declarationRule: Rule = (file, imp) => {
  const target = localTarget(file, imp.spec)?.replace(/\.tsx?$/, "");
  if (target === undefined) return imp.spec === "zod" ? null : `package "${imp.spec}"`;
  if (target.startsWith("core/") || isDeclaration(target)) return null;
  return `${target} (a node declaration imports only core and other declarations)`;
};

const SERVER_PACKAGES = /^(node:|onnxruntime|@prisma\/|better-sqlite3|sharp$|ws$|bullmq|ioredis)/;

const browserRule: Rule = (file, imp) => {
  const target = localTarget(file, imp.spec)?.replace(/\.tsx?$/, "");
  if (target === undefined)
    return SERVER_PACKAGES.test(imp.spec) ? `server-only package "${imp.spec}"` : null;
  if (target.startsWith("core/") || target.startsWith("app/") || isDeclaration(target)) return null;
  if (/^examples\/[^/]+\.json$/.test(target)) return null; // template documents: data, not code
  if (imp.typeOnly && target === "server/routers/_app") return null;
  return `${target} (browser code imports only core, node declarations and app)`;
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

/** A route's page or layout without "use client": rendered on the server only (like app/api's handlers). */
function isServerComponent(file: string): boolean {
  if (!/\/(page|layout)\.tsx$/.test(file)) return false;
  return !/^\s*["']use client["']/m.test(fs.readFileSync(path.join(ROOT, file), "utf8"));
}

function crossings(files: string[], rule: Rule): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const imp of importsOf(fs.readFileSync(path.join(ROOT, file), "utf8"))) {
      const why = rule(file, imp);
      if (why) found.push(`${file} imports ${why}`);
    }
  }
  return found;
}

describe("import boundaries", () => {
  it("finds imports of every form (so the checks below can fail)", () => {
    const src = [
      'import { a } from "../../server/x";',
      'import type { B } from "@/server/routers/_app";',
      'export { c } from "./c";',
      'import "node:fs";',
      "import {\n  d,\n  e,\n} from 'react';",
      'const m = await import("../server/y");',
      '// import { no } from "commented";',
    ].join("\n");
    expect(importsOf(src)).toEqual([
      { spec: "../../server/x", typeOnly: false },
      { spec: "@/server/routers/_app", typeOnly: true },
      { spec: "./c", typeOnly: false },
      { spec: "node:fs", typeOnly: false },
      { spec: "react", typeOnly: false },
      { spec: "../server/y", typeOnly: false },
    ]);
    expect(coreRule("core/x.ts", { spec: "node:fs", typeOnly: false })).toMatch(/only zod/);
    expect(coreRule("core/graph/x.ts", { spec: "../../server/app", typeOnly: true })).toMatch(/server\/app/);
    expect(declarationRule("nodes/noise/definition.ts", { spec: "./execute", typeOnly: false })).toMatch(
      /nodes\/noise\/execute/,
    );
    expect(browserRule("app/_lib/x.ts", { spec: "@/server/routers/_app", typeOnly: false })).toMatch(
      /server/,
    );
    expect(browserRule("app/_lib/x.ts", { spec: "@/server/routers/_app", typeOnly: true })).toBeNull();
  });

  it("core/ is pure TypeScript: it imports only core and zod", () => {
    const files = sourceFiles("core");
    expect(files.length).toBeGreaterThan(20);
    expect(crossings(files, coreRule)).toEqual([]);
  });

  it("node declarations import only core and other declarations", () => {
    const files = sourceFiles("nodes").filter((f) => isDeclaration(f.replace(/\.ts$/, "")));
    expect(files.length).toBeGreaterThan(15);
    expect(crossings(files, declarationRule)).toEqual([]);
  });

  it("a route's server components are server code that browser code never imports", () => {
    const entries = sourceFiles("app").filter(isServerComponent);
    expect(entries).toContain("app/graphs/[id]/page.tsx");
    const browser = sourceFiles("app").filter((f) => !f.startsWith("app/api/") && !isServerComponent(f));
    const importsEntry: Rule = (file, imp) => {
      const target = localTarget(file, imp.spec)?.replace(/\.tsx?$/, "");
      return target && entries.includes(`${target}.tsx`) ? `${target} (a server component)` : null;
    };
    expect(crossings(browser, importsEntry)).toEqual([]);
  });

  it("the browser's code imports only core, node declarations and app", () => {
    const files = sourceFiles("app").filter((f) => !f.startsWith("app/api/") && !isServerComponent(f));
    expect(files.length).toBeGreaterThan(50);
    expect(crossings(files, browserRule)).toEqual([]);
  });
});
