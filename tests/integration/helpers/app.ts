/** A Petalflow app on a temporary database (migrated by the real migrations) and data directory. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type App, createApp } from "../../../server/app";
import { createContextInner } from "../../../server/context";
import { migrateDeploy } from "../../../server/db/migrator";
import type { Env } from "../../../server/env";
import { FINISHED, type RunStatus } from "../../../server/queue/queue";
import { createCaller } from "../../../server/routers/_app";
import type { RunnerMode } from "../../../server/runner/runner";

export const MODELS_DIR = path.resolve("tests/fixtures/models");

export interface TestApp {
  app: App;
  caller: ReturnType<typeof createCaller>;
  dir: string;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function tempDatabase(): Promise<{ dir: string; databaseUrl: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-it-"));
  const databaseUrl = `file:${path.join(dir, "petalflow.db")}`;
  await migrateDeploy(databaseUrl);
  return { dir, databaseUrl };
}

export function testEnv(dir: string, databaseUrl: string, env: Partial<Env> = {}): Partial<Env> {
  return {
    DATABASE_URL: databaseUrl,
    PETALFLOW_DATA_DIR: path.join(dir, "data"),
    PETALFLOW_MODELS_DIR: MODELS_DIR,
    PETALFLOW_PROVIDER: "cpu",
    ...env,
  };
}

export async function makeTestApp(
  opts: {
    startWorker?: boolean;
    env?: Partial<Env>;
    existing?: { dir: string; databaseUrl: string };
    /** Default "inline" (fast); "process" runs in a runner child process as the server does. */
    runner?: RunnerMode;
    /** The app's log lines (default: dropped). */
    log?: (message: string) => void;
    /** The queue worker's fallback poll (ms; default 100 here, the server's is 1000). */
    pollMs?: number;
  } = {},
): Promise<TestApp> {
  const { dir, databaseUrl } = opts.existing ?? (await tempDatabase());
  const app = await createApp({
    env: testEnv(dir, databaseUrl, opts.env),
    startWorker: opts.startWorker ?? true,
    pollMs: opts.pollMs ?? 100,
    runner: opts.runner ?? "inline",
    log: opts.log ?? (() => undefined),
  });
  return {
    app,
    caller: createCaller(createContextInner({ app })),
    dir,
    databaseUrl,
    async close() {
      await app.close();
      if (!opts.existing) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls a run until it has finished (any terminal status). The bound is for a stuck run, not for speed:
 * a tiny-model run takes about a second alone, many times that on a loaded machine.
 */
export async function waitForRun(app: App, runId: string, timeoutMs = 120_000): Promise<RunStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await app.db.run.findUnique({ where: { id: runId }, select: { status: true } });
    const status = run?.status as RunStatus | undefined;
    if (status && FINISHED.includes(status)) return status;
    if (Date.now() > until) throw new Error(`run ${runId} still ${status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs `fn` and returns the error it throws (fails when it does not). */
export async function errorOf(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error("expected an error");
}
