/**
 * A TypeScript entry run from a prebuilt esbuild bundle instead of through tsx: tsx compiles at every
 * start and its esbuild transform keeps function names, wrapping every closure the code creates in a
 * `__name()` call (a defineProperty each, on hot paths too). The bundle lives in node_modules/.cache/<name>
 * (so its bare imports resolve from node_modules as the sources' do; packages stay outside it) with a
 * manifest of the files it was built from (mtime and size, from esbuild's own list of inputs): a bundle
 * whose inputs changed is stale and rebuilt, so an edited source never runs old code.
 * Used by the runner process (scripts/runner.mjs), the pool worker (scripts/worker.mjs), the engine
 * benchmark, which must run the same code, and the graph CLI (scripts/graph-cli.mjs).
 */
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * `entry` (relative to the project root) bundled as node_modules/.cache/<name>/<file>.mjs. `extraInputs`:
 * files that change how it is built (the launcher, this file), recorded in the manifest too. `split`:
 * modules the entry imports lazily become chunks of their own (loaded only when used). `esbuild`: more
 * build options (e.g. plugins).
 */
export function prebuiltBundle({ name, entry, extraInputs = [], split = false, esbuild: extra = {} }) {
  const outDir = path.join(root, "node_modules", ".cache", name);
  const file = path.join(outDir, `${path.basename(entry).replace(/\.[cm]?ts$/, "")}.mjs`);
  const manifest = path.join(outDir, "inputs.json");
  const buildInputs = ["scripts/prebuilt-bundle.mjs", ...extraInputs];

  /** The inputs recorded at the last build, unchanged on disk (a missing file counts as changed). */
  async function fresh() {
    let inputs;
    try {
      inputs = JSON.parse(await readFile(manifest, "utf8"));
      await stat(file);
    } catch {
      return false;
    }
    if (!buildInputs.every((f) => f in inputs)) return false; // built by an older launcher
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
    const output = split
      ? {
          entryPoints: { [path.basename(file, ".mjs")]: entry },
          outdir: outDir,
          splitting: true,
          chunkNames: "chunk-[hash]",
          outExtension: { ".js": ".mjs" },
        }
      : { entryPoints: [entry], outfile: file };
    const result = await esbuild.build({
      absWorkingDir: root,
      ...output,
      write: false,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      // No keepNames: nothing reads a function's name at run time, and keeping names costs a call per closure.
      sourcemap: "linked",
      metafile: true,
      logLevel: "error",
      ...extra,
    });
    const inputs = {};
    for (const f of [...buildInputs, ...Object.keys(result.metafile.inputs)]) {
      const s = await stat(path.join(root, f));
      inputs[f] = `${s.mtimeMs}:${s.size}`;
    }
    // Written beside and renamed (chunks, then the bundle that imports them, then the manifest), so a
    // process started meanwhile never imports a half-written file; two builds at once write the same
    // content. Old chunks stay (content-hashed names): a process started before may still import them.
    const outputs = result.outputFiles.sort((a, b) => Number(a.path === file) - Number(b.path === file));
    const files = [...outputs.map((f) => [f.path, f.contents]), [manifest, JSON.stringify(inputs)]];
    for (const [target, contents] of files) {
      const tmp = `${target}.${process.pid}.tmp`;
      await writeFile(tmp, contents);
      await rename(tmp, target);
    }
  }

  return { file, manifest, outDir, fresh, build };
}

/**
 * A launcher's work (scripts/runner.mjs, scripts/worker.mjs): `entry` bundled as node_modules/.cache/<name>
 * (the launcher itself recorded as an input); `--build` builds it, `--check` builds it only when missing or
 * stale, and no argument runs it, rebuilt first when missing or stale so an edited source never runs old
 * code. When it cannot be built (say, a read-only node_modules) the sources run under tsx instead, with a
 * warning naming `label`.
 */
export async function launch({ name, entry, launcher, label }) {
  const bundle = prebuiltBundle({ name, entry, extraInputs: [launcher] });
  const mode = process.argv[2];
  if (mode === "--build") return bundle.build();
  if (mode === "--check") {
    if (!(await bundle.fresh())) await bundle.build();
    return;
  }
  if (await builtOrWarn(bundle, label)) {
    await import(pathToFileURL(bundle.file).href);
    return;
  }
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(path.join(root, entry)).href);
}

/** The bundle, fresh; false (with a warning on stderr) when it cannot be built. */
async function builtOrWarn(bundle, label) {
  if (await bundle.fresh()) return true;
  try {
    await bundle.build();
    return true;
  } catch (e) {
    console.error(
      `${label}: cannot build ${path.relative(root, bundle.file)} (${e.message}); running the sources under tsx instead (slower)`,
    );
    return false;
  }
}
