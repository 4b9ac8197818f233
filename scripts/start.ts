/**
 * `npm start`: check the configuration, build the app if the sources changed, migrate the database,
 * then run `next start` as a child (SIGINT/SIGTERM forwarded, its exit code passed on). The worker
 * starts inside the Next process (instrumentation.ts).
 *
 * Exit codes: 2 bad configuration (including a non-loopback HOST without PETALFLOW_TOKEN), 1 build
 * or migration failed, otherwise Next's own.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DatabaseFileError } from "../server/db/health";
import { migrateDeploy } from "../server/db/migrator";
import { scanModels } from "../server/diffusion/models";
import { bindAddress, type Env, isLoopback, loadEnv } from "../server/env";

const NEXT = path.join("node_modules", ".bin", process.platform === "win32" ? "next.cmd" : "next");
/** What a build depends on: newer than .next/BUILD_ID means rebuild. */
const SOURCES = [
  "app",
  "core",
  "nodes",
  "server",
  "examples",
  "instrumentation.ts",
  "next.config.js",
  "package.json",
];
const SKIP = new Set(["node_modules", ".next", "data", "generated"]);

function fail(code: number, message: string): never {
  console.error(`petalflow: ${message}`);
  process.exit(code);
}

function newestMtime(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs; // a deleted file changes its folder's mtime
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, e.name)));
  }
  return newest;
}

function needsBuild(): string | null {
  const id = path.join(".next", "BUILD_ID");
  if (!fs.existsSync(id)) return "no build yet";
  const built = fs.statSync(id).mtimeMs;
  const changed = SOURCES.find((s) => newestMtime(s) > built);
  return changed ? `${changed} changed since the last build` : null;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(NEXT, args, { stdio: "inherit", env });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on("error", (e) => {
      console.error(`petalflow: cannot run ${NEXT}: ${e.message}`);
      resolve(1);
    });
  });
}

async function main(): Promise<void> {
  let env: Env;
  try {
    env = loadEnv();
  } catch (e) {
    fail(2, (e as Error).message);
  }
  if (!isLoopback(env.HOST) && !env.PETALFLOW_TOKEN)
    fail(
      2,
      `HOST=${env.HOST} is reachable from other machines, so an access token is required: ` +
        "set PETALFLOW_TOKEN (at least 16 characters), or bind to 127.0.0.1.",
    );
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

  const why = needsBuild();
  if (why) {
    console.log(`petalflow: building (${why})…`);
    const code = await run(["build"], childEnv);
    if (code !== 0) fail(1, `next build failed (exit code ${code})`);
  }
  // The runner process runs from a prebuilt bundle (scripts/runner.mjs); built here when missing or
  // stale, so the first run does not wait for it.
  const runner = spawnSync(process.execPath, [path.join("scripts", "runner.mjs"), "--check"], {
    stdio: "inherit",
  });
  if (runner.status !== 0) fail(1, `building the runner bundle failed (exit code ${runner.status})`);

  fs.mkdirSync(env.PETALFLOW_DATA_DIR, { recursive: true });
  try {
    const { applied, warnings } = await migrateDeploy(env.DATABASE_URL);
    for (const w of warnings) console.error(`petalflow: WARNING: ${w}`);
    if (applied.length) console.log(`petalflow: applied migrations: ${applied.join(", ")}`);
  } catch (e) {
    if (e instanceof DatabaseFileError) fail(1, e.message);
    fail(1, `database migration failed: ${(e as Error).message}`);
  }

  const scan = await scanModels(env.PETALFLOW_MODELS_DIR);
  console.log(
    `petalflow: models in ${path.resolve(env.PETALFLOW_MODELS_DIR)}: ${scan.models.map((m) => m.id).join(", ") || "(none)"}`,
  );
  for (const p of scan.problems)
    console.log(`petalflow:   unusable ${p.id || "(models directory)"}: ${p.reason}`);
  // "[::1]" passes the loopback check but listen() wants "::1".
  const host = bindAddress(env.HOST);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  console.log(
    `petalflow: serving http://${shownHost}:${env.PORT}/${env.PETALFLOW_TOKEN ? " (access token required)" : ""}`,
  );

  const next = spawn(NEXT, ["start", "-H", host, "-p", String(env.PORT)], {
    stdio: "inherit",
    env: childEnv,
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.on(sig, () => {
      if (next.exitCode === null) next.kill(sig);
    });
  next.on("error", (e) => fail(1, `cannot start ${NEXT}: ${e.message}`));
  next.on("exit", (code, signal) =>
    process.exit(code ?? (signal === "SIGINT" || signal === "SIGTERM" ? 0 : 1)),
  );
}

void main();
