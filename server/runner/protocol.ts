/**
 * The IPC messages between the server (remote-executor.ts) and the runner process (child.ts). They
 * travel with `serialization: "advanced"` (structured clone): typed arrays and bigints survive.
 */
import type { RunEvent } from "../../core/run/events";
import type { FreedBytes, RunnerStats, WireSummary } from "./runner";

/** The parent's resolved configuration (an `Env`, as JSON), for the child to build the same runtime. */
export const RUNNER_CONFIG_VAR = "PETALFLOW_RUNNER_CONFIG";

export type ToRunner =
  | { type: "run"; runId: string; document: unknown; previews: boolean; progressIntervalMs: number }
  | { type: "cancel"; runId: string }
  | { type: "stats"; id: number }
  | { type: "free"; id: number; outputs?: boolean };

export type FromRunner =
  | { type: "ready"; pid: number }
  | { type: "event"; runId: string; event: RunEvent }
  | { type: "done"; runId: string; summary: WireSummary }
  | ({ type: "stats"; id: number } & Omit<RunnerStats, "runner">)
  | ({ type: "freed"; id: number } & FreedBytes)
  | { type: "error"; id: number; message: string }
  | { type: "log"; message: string };
