#!/usr/bin/env node
/**
 * `npm run graph`: runs the CLI (scripts/graph.ts) from a prebuilt bundle instead of compiling its
 * TypeScript at every start (tsx spent 1.2–1.5 s there). The bundle is rebuilt with esbuild when it is
 * missing or any file it was built from changed (scripts/prebuilt-bundle.mjs), so an edited source never
 * runs stale. Packages (but zod) stay outside it and load from node_modules.
 *   node scripts/graph-cli.mjs --build   builds the bundle only (npm run build does it too).
 * PETALFLOW_CLI_CACHE names another folder in node_modules/.cache (tests build their own).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { prebuiltBundle } from "./prebuilt-bundle.mjs";

const bundle = prebuiltBundle({
  name: path.basename(process.env.PETALFLOW_CLI_CACHE || "petalflow-cli"),
  entry: "scripts/graph.ts",
  extraInputs: ["scripts/graph-cli.mjs"],
  // The runtime `run` imports lazily becomes chunks of its own: `validate` never loads onnxruntime.
  split: true,
  esbuild: {
    // Packages load from node_modules, except zod: bundled in, one file instead of ~80 modules to
    // resolve and read at every start (a third of `validate`'s start).
    packages: undefined,
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
  },
});

if (process.argv[2] === "--build") await bundle.build();
else {
  if (!(await bundle.fresh())) await bundle.build();
  // graph.mjs.map is beside it for a debugger; reading it at every start would cost ~50 ms.
  await import(pathToFileURL(bundle.file).href);
}
