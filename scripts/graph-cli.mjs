#!/usr/bin/env node
/**
 * `npm run graph`: runs the CLI (scripts/graph.ts) from a prebuilt bundle instead of compiling its
 * TypeScript at every start (tsx spent 1.2–1.5 s there). The bundle is rebuilt with esbuild when it is
 * missing or any file it was built from changed (mtime and size, read from esbuild's own list of
 * inputs), so an edited source never runs stale. Packages (but zod) stay outside it and load from node_modules.
 *   node scripts/graph-cli.mjs --build   builds the bundle only (npm run build does it too).
 */
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// Inside node_modules, so the bundle's bare imports (onnxruntime-node, zod…) resolve as the sources' do.
// PETALFLOW_CLI_CACHE names another folder there (tests build their own).
const outDir = path.join(
  root,
  "node_modules",
  ".cache",
  path.basename(process.env.PETALFLOW_CLI_CACHE || "petalflow-cli"),
);
const bundle = path.join(outDir, "graph.mjs");
const manifest = path.join(outDir, "inputs.json");

/** The inputs recorded at the last build, unchanged on disk (a missing file counts as changed). */
async function fresh() {
  let inputs;
  try {
    inputs = JSON.parse(await readFile(manifest, "utf8"));
    await stat(bundle);
    if (!("scripts/graph-cli.mjs" in inputs)) return false; // built by an older launcher
  } catch {
    return false;
  }
  const now = await Promise.all(
    Object.keys(inputs).map((f) =>
      stat(path.join(root, f)).then(
        (s) => `${s.mtimeMs}:${s.size}`,
        () => "missing",
      ),
    ),
  );
  return Object.values(inputs).every((v, i) => v === now[i]);
}

async function build() {
  const esbuild = await import("esbuild");
  await mkdir(outDir, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { graph: "scripts/graph.ts" },
    outdir: outDir,
    // The runtime `run` imports lazily becomes chunks of its own: `validate` never loads onnxruntime.
    splitting: true,
    chunkNames: "chunk-[hash]",
    outExtension: { ".js": ".mjs" },
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Packages load from node_modules, except zod: bundled in, one file instead of ~80 modules to
    // resolve and read at every start (a third of `validate`'s start).
    plugins: [
      {
        name: "packages-external-but-zod",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (a) =>
            a.path === "zod" || a.path.startsWith("zod/") ? undefined : { path: a.path, external: true },
          );
        },
      },
    ],
    sourcemap: "linked",
    metafile: true,
    logLevel: "error",
  });
  const inputs = {};
  // This file too: a change to how the bundle is built rebuilds it.
  for (const f of ["scripts/graph-cli.mjs", ...Object.keys(result.metafile.inputs)]) {
    const s = await stat(path.join(root, f));
    inputs[f] = `${s.mtimeMs}:${s.size}`;
  }
  // Written beside and renamed, so a CLI started meanwhile never imports a half-written bundle; the
  // chunks (content-hashed names) before the entry that imports them. Old chunks stay: a CLI started
  // before this build may still import them.
  const outputs = result.outputFiles.sort((a, b) => Number(a.path === bundle) - Number(b.path === bundle));
  const files = [...outputs.map((f) => [f.path, f.contents]), [manifest, JSON.stringify(inputs)]];
  for (const [file, contents] of files) {
    await writeFile(`${file}.${process.pid}.tmp`, contents);
    await rename(`${file}.${process.pid}.tmp`, file);
  }
}

if (process.argv[2] === "--build") {
  await build();
} else {
  if (!(await fresh())) await build();
  // graph.mjs.map is beside it for a debugger; reading it at every start would cost ~50 ms.
  await import(pathToFileURL(bundle).href);
}
