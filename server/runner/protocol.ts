/**
 * The IPC messages between the server (process-runner.ts) and the runner process (child.ts). They
 * travel with `serialization: "advanced"` (structured clone): typed arrays and bigints survive.
 */
import type { RunEvent } from "../../core/run/events";
import type { ArtifactMeta } from "../artifacts/content";
import type { FreedBytes, RunnerStats, WireSummary } from "./runner";

/**
 * The parent's resolved runtime settings (RuntimeEnv, as JSON), for the child to build the same
 * runtime. No DATABASE_URL: the child never opens the database (the parent writes every row).
 */
export const RUNNER_CONFIG_VAR = "PETALFLOW_RUNNER_CONFIG";

/**
 * Images up to this size travel with their artifact message and go out inline in the live
 * node.finished event (the demo's 256² PNG is ≈ 10 KB); larger ones are fetched by URL as before.
 */
export const INLINE_IMAGE_MAX_BYTES = 64 * 1024;

export type ToRunner =
  | { type: "run"; runId: string; document: unknown; previews: boolean; progressIntervalMs: number }
  | { type: "cancel"; runId: string }
  | { type: "stats"; id: number }
  | { type: "free"; id: number; outputs?: boolean }
  | { type: "foundLatent"; id: number; path: string | null; error?: string };

export type FromRunner =
  | { type: "ready"; pid: number }
  | { type: "event"; runId: string; event: RunEvent }
  /**
   * A file the run wrote: the parent inserts its row (sent before the event that names it). `inline`:
   * a small image's bytes, for the live event stream (INLINE_IMAGE_MAX_BYTES).
   */
  | { type: "artifact"; meta: ArtifactMeta; inline?: Uint8Array }
  /** Load Latent by artifact id: the parent looks the row up and answers "foundLatent". */
  | { type: "findLatent"; id: number; artifactId: string }
  | { type: "done"; runId: string; summary: WireSummary }
  | ({ type: "stats"; id: number } & Omit<RunnerStats, "runner">)
  | ({ type: "freed"; id: number } & FreedBytes)
  | { type: "error"; id: number; message: string }
  | { type: "log"; message: string };
