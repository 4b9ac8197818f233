#!/usr/bin/env node
/**
 * The runner process's launcher (server/runner/process-runner.ts forks it): runs server/runner/child.ts
 * from a prebuilt bundle (scripts/prebuilt-bundle.mjs) with plain node, not under tsx, whose closures
 * each cost a `__name()` call on the executor's hot path (every sampler step). A missing or stale
 * bundle (a source changed since it was built) is rebuilt here first, so the runner never runs old code;
 * when it cannot be built (say, a read-only node_modules), the sources run under tsx, with a warning.
 *   node scripts/runner.mjs --build   builds the bundle (npm run build does it)
 *   node scripts/runner.mjs --check   builds it only when missing or stale (npm start does it)
 * PETALFLOW_RUNNER_CACHE names another folder in node_modules/.cache (tests build their own).
 */
import path from "node:path";
import { launch } from "./prebuilt-bundle.mjs";

await launch({
  name: path.basename(process.env.PETALFLOW_RUNNER_CACHE || "petalflow-runner"),
  entry: "server/runner/child.ts",
  launcher: "scripts/runner.mjs",
  label: "petalflow runner",
});
