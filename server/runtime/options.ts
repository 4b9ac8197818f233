/**
 * The runtime's settings from the environment, in one place for every host: the server, the runner
 * process, the CLI and the bench call `runtimeOptions(env)` (zod-parsed, the defaults and bounds of
 * server/env.ts), then add where files go (`artifacts`) and a log.
 */
import type { z } from "zod";
import { envFields, parseConfig } from "../env";
import type { RuntimeOptions } from "./create";

/** The variables a runtime reads: what the server hands its runner process (no DATABASE_URL). */
export const runtimeEnvSchema = envFields.pick({
  PETALFLOW_DATA_DIR: true,
  PETALFLOW_MODELS_DIR: true,
  PETALFLOW_PROVIDER: true,
  PETALFLOW_SESSION_CACHE_MB: true,
  PETALFLOW_ORT_THREADS: true,
  PETALFLOW_OUTPUT_CACHE_MB: true,
  PETALFLOW_MAX_PIXELS: true,
  PETALFLOW_MAX_WORK: true,
  PETALFLOW_MAX_UPLOAD_MB: true,
});
export type RuntimeEnv = z.infer<typeof runtimeEnvSchema>;

const MiB = 1024 * 1024;

/** `createRuntime`'s settings from `env` (process.env, a parsed Env, or the runner's config). */
export function runtimeOptions(
  env: unknown,
): Omit<RuntimeOptions, "artifacts" | "log"> & { dataDir: string } {
  const e = parseConfig(runtimeEnvSchema, env);
  return {
    dataDir: e.PETALFLOW_DATA_DIR,
    modelsDir: e.PETALFLOW_MODELS_DIR,
    provider: e.PETALFLOW_PROVIDER,
    sessionBudgetBytes: e.PETALFLOW_SESSION_CACHE_MB * MiB,
    outputCacheBytes: e.PETALFLOW_OUTPUT_CACHE_MB * MiB,
    ortThreads: e.PETALFLOW_ORT_THREADS,
    limits: {
      maxPixels: e.PETALFLOW_MAX_PIXELS,
      maxWork: e.PETALFLOW_MAX_WORK,
      maxUploadBytes: e.PETALFLOW_MAX_UPLOAD_MB * MiB,
    },
  };
}

/** The runner process's configuration: the runtime's variables of `env`, nothing else (no database). */
export function runnerEnv(env: unknown): RuntimeEnv {
  return parseConfig(runtimeEnvSchema, env);
}
