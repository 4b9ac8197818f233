#!/usr/bin/env node
/**
 * `npm run worker`'s launcher: runs the pool worker (scripts/worker.ts) from a prebuilt bundle
 * (scripts/prebuilt-bundle.mjs) with plain node instead of compiling its TypeScript under tsx at every
 * start (≈ 0.75 s to ready under tsx, ≈ 0.33 s from the bundle) and paying tsx's `__name()` call per
 * closure on every sampler step. A missing or stale bundle is rebuilt first; when it cannot be built,
 * the sources run under tsx, with a warning.
 *   node scripts/worker.mjs --build   builds the bundle (npm run build does it)
 * PETALFLOW_WORKER_CACHE names another folder in node_modules/.cache (tests build their own).
 */
import path from "node:path";
import { launch } from "./prebuilt-bundle.mjs";

await launch({
  name: path.basename(process.env.PETALFLOW_WORKER_CACHE || "petalflow-worker"),
  entry: "scripts/worker.ts",
  launcher: "scripts/worker.mjs",
  label: "petalflow worker",
});
