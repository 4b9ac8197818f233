/**
 * The ONE way a run's events become node states and results. The executor (its run summary), the
 * process runner (what a run that loses its process still reports) and the browser's run store (node
 * badges, progress, images) all fold events through `runEventPatch`, so they cannot disagree.
 *
 * Events can come late, twice or out of order (a browser following a run late gets stored events; a
 * resumed subscription may replay some; progress is live-only and may trail its node's end), so:
 * - a node that has settled in this run (done, cached, failed, skipped) is not made "running" again;
 * - `done` counts nodes that settled as done/cached, once each, whatever repeats;
 * - a run that ended stays ended (a replayed `run.started` neither reopens it nor resets its nodes).
 */
import type { FileOutput, NodeResult, RunEvent } from "./events";

/** The server's own end for a run that was executing when the server stopped (it is retryable). */
export interface RunInterruptedEvent {
  type: "run.interrupted";
  runId: string;
  message: string;
}

/** What a run's subscription streams: the executor's events plus the server's `run.interrupted`. */
export type StreamedRunEvent = RunEvent | RunInterruptedEvent;

/** The events that end a run's stream: listed once, here. */
export const TERMINAL_RUN_EVENTS: ReadonlySet<StreamedRunEvent["type"]> = new Set([
  "run.finished",
  "run.failed",
  "run.cancelled",
  "run.interrupted",
]);

export function isTerminalRunEvent(event: { type: string }): boolean {
  return TERMINAL_RUN_EVENTS.has(event.type as StreamedRunEvent["type"]);
}

export type NodeRunStatus = "queued" | "running" | "cached" | "done" | "failed" | "skipped";

export interface NodeRunState {
  runId: string;
  status: NodeRunStatus;
  step?: number;
  total?: number;
  /** Latest latent preview (a small PNG data: URL). */
  preview?: string;
  files?: FileOutput[];
  seeds?: string[];
  error?: string;
  /** `node.warning` messages of this run (a cached node repeats those it had when it ran). */
  warnings?: string[];
  ms?: number;
}

export type RunPhase = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface RunProgress {
  runId: string;
  phase: RunPhase;
  /** Nodes settled as done or cached / planned, for a progress line. */
  done: number;
  planned: number;
  error?: string;
  ms?: number;
  /** The node executing now (started, not settled): the one a lost runner process was running. */
  running?: { nodeId: string; nodeType: string };
}

/** What the reducer reads. `nodes` may hold other runs' states (the editor keeps the last images). */
export interface RunFoldState {
  run: RunProgress;
  nodes: ReadonlyMap<string, NodeRunState>;
  /** Seeds the server planned, by node id (shown even when the Noise node is cached). */
  plannedSeeds?: ReadonlyMap<string, readonly string[]>;
}

/** What one event changes: the run (when it changed) and only the node states it touched. */
export interface RunPatch {
  run?: RunProgress;
  nodes: [string, NodeRunState][];
}

const SETTLED: ReadonlySet<NodeRunStatus> = new Set(["cached", "done", "failed", "skipped"]);
const ENDED: ReadonlySet<RunPhase> = new Set(["succeeded", "failed", "cancelled"]);

export function isSettled(status: NodeRunStatus | undefined): boolean {
  return status !== undefined && SETTLED.has(status);
}

/** A run nothing is known of yet. */
export function initialRunProgress(runId: string): RunProgress {
  return { runId, phase: "queued", done: 0, planned: 0 };
}

/**
 * The reducer: what `event` changes in `state`, as a patch (pure; O(nodes touched), so a progress
 * event costs the same in a 500-node graph as in a 5-node one). null: the event changes nothing (another
 * run's event, or one that arrived after what it would undo).
 */
export function runEventPatch(state: RunFoldState, event: StreamedRunEvent): RunPatch | null {
  const run = state.run;
  if (event.runId !== run.runId) return null;
  const ended = ENDED.has(run.phase);
  const mine = (id: string) => {
    const s = state.nodes.get(id);
    return s?.runId === run.runId ? s : undefined;
  };
  const patch = (id: string, change: Partial<NodeRunState>): [string, NodeRunState] => {
    const prev = state.nodes.get(id);
    return [id, { ...(prev ?? { status: "queued" }), ...change, runId: run.runId }];
  };
  /** The run after node `id` settles as `status`: counted once, and no longer "running". */
  const settle = (id: string, status: NodeRunStatus): RunProgress | undefined => {
    const counts = (s?: NodeRunStatus) => s === "done" || s === "cached";
    const bump = counts(status) && !counts(mine(id)?.status) ? 1 : 0;
    const stillRunning = run.running?.nodeId === id ? undefined : run.running;
    if (!bump && stillRunning === run.running) return undefined;
    return {
      ...withoutRunning(run),
      done: run.done + bump,
      ...(stillRunning ? { running: stillRunning } : {}),
    };
  };
  const out = (nodes: [string, NodeRunState][], next?: RunProgress): RunPatch => ({
    nodes,
    ...(next ? { run: next } : {}),
  });

  switch (event.type) {
    case "run.started": {
      // O(n) once per run, never per step.
      const plan = new Set(event.plan);
      const nodes: [string, NodeRunState][] = [];
      for (const [id, s] of state.nodes)
        if (!plan.has(id) && s.runId !== run.runId)
          nodes.push([id, { ...s, status: "skipped", step: undefined, preview: undefined }]);
      let done = 0;
      for (const id of event.plan) {
        const current = mine(id);
        if (current && current.status !== "queued") {
          // Already heard of in this run (a replayed or late run.started): keep what is known.
          if (current.status === "done" || current.status === "cached") done++;
          continue;
        }
        const prev = state.nodes.get(id);
        nodes.push([
          id,
          {
            runId: run.runId,
            status: "queued",
            ...(prev?.files ? { files: prev.files } : {}),
            ...((state.plannedSeeds?.get(id) ?? prev?.seeds)
              ? { seeds: [...(state.plannedSeeds?.get(id) ?? prev?.seeds ?? [])] }
              : {}),
          },
        ]);
      }
      return out(nodes, {
        ...run,
        phase: ended ? run.phase : "running",
        planned: event.plan.length,
        done,
      });
    }
    case "node.started":
    case "node.progress": {
      if (ended || isSettled(mine(event.nodeId)?.status)) return null;
      const change: Partial<NodeRunState> =
        event.type === "node.started"
          ? { status: "running", step: 0, error: undefined }
          : {
              status: "running",
              step: event.step,
              total: event.total,
              ...(event.preview ? { preview: event.preview.dataUrl } : {}),
            };
      const running = { nodeId: event.nodeId, nodeType: event.nodeType };
      const sameRunning = run.running?.nodeId === running.nodeId;
      return out(
        [patch(event.nodeId, change)],
        sameRunning ? undefined : { ...run, phase: ended ? run.phase : "running", running },
      );
    }
    case "node.cached":
      return out(
        [patch(event.nodeId, { status: "cached", ms: 0, ...(event.seeds ? { seeds: event.seeds } : {}) })],
        settle(event.nodeId, "cached"),
      );
    case "node.warning": {
      const prev = mine(event.nodeId)?.warnings ?? [];
      if (prev.includes(event.message)) return null;
      return out([patch(event.nodeId, { warnings: [...prev, event.message] })]);
    }
    case "node.finished": {
      // A cached node that also reports its outputs stays "cached".
      const status = mine(event.nodeId)?.status === "cached" ? "cached" : "done";
      return out(
        [
          patch(event.nodeId, {
            status,
            ms: event.ms,
            ...(event.files ? { files: event.files } : {}),
            ...(event.seeds ? { seeds: event.seeds } : {}),
          }),
        ],
        settle(event.nodeId, status),
      );
    }
    case "node.failed":
      return out(
        [patch(event.nodeId, { status: "failed", error: event.error.message })],
        settle(event.nodeId, "failed"),
      );
    case "node.skipped":
      // A node that settled otherwise keeps its state (a "cancelled" skip can trail a finished node).
      if (isSettled(mine(event.nodeId)?.status)) return null;
      return out(
        [patch(event.nodeId, { status: "skipped", error: event.reason })],
        settle(event.nodeId, "skipped"),
      );
    case "run.finished":
      if (ended) return null;
      return out([], { ...withoutRunning(run), phase: "succeeded", ms: event.ms });
    case "run.failed":
    case "run.cancelled":
    case "run.interrupted": {
      if (ended) return null;
      const next: RunProgress =
        event.type === "run.cancelled"
          ? { ...withoutRunning(run), phase: "cancelled", ms: event.ms }
          : event.type === "run.failed"
            ? { ...withoutRunning(run), phase: "failed", error: event.error.message, ms: event.ms }
            : { ...withoutRunning(run), phase: "failed", error: event.message };
      // Nodes the run never reached must not stay "queued" (or "running") after it ended; the badge
      // says "skipped", the failed node itself carries the reason.
      const nodes: [string, NodeRunState][] = [];
      for (const [id, s] of state.nodes)
        if (s.runId === run.runId && (s.status === "queued" || s.status === "running"))
          nodes.push([id, { ...s, status: "skipped", step: undefined }]);
      return out(nodes, next);
    }
  }
}

function withoutRunning(run: RunProgress): RunProgress {
  const { running: _running, ...rest } = run;
  return rest;
}

/** A patch applied to a mutable map (the holders' side of the reducer). */
export function applyRunPatch(nodes: Map<string, NodeRunState>, patch: RunPatch): void {
  for (const [id, s] of patch.nodes) nodes.set(id, s);
}

/** Folds a whole sequence of one run's events (pure). */
export function foldRunEvents(
  events: Iterable<StreamedRunEvent>,
  start: RunFoldState,
): { run: RunProgress; nodes: Map<string, NodeRunState> } {
  let run = start.run;
  const nodes = new Map(start.nodes);
  for (const e of events) {
    const p = runEventPatch({ run, nodes, plannedSeeds: start.plannedSeeds }, e);
    if (!p) continue;
    applyRunPatch(nodes, p);
    if (p.run) run = p.run;
  }
  return { run, nodes };
}

/** The results a run reports (`run.finished` etc.): each node that settled in it, by id. */
export function nodeResults(
  runId: string,
  nodes: ReadonlyMap<string, NodeRunState>,
): Record<string, NodeResult> {
  const out: Record<string, NodeResult> = {};
  for (const [id, s] of nodes) {
    if (s.runId !== runId || !isSettled(s.status)) continue;
    const status = s.status === "done" ? "ran" : (s.status as NodeResult["status"]);
    out[id] = {
      status,
      ms: status === "ran" ? (s.ms ?? 0) : 0,
      ...(s.status === "failed" && s.error !== undefined ? { error: s.error } : {}),
    };
  }
  return out;
}

/**
 * One run's fold, held: the executor and the process runner feed it each event as it happens and read
 * the node results (and the running node) from it.
 */
export class RunFold {
  run: RunProgress;
  readonly nodes = new Map<string, NodeRunState>();

  constructor(runId: string) {
    this.run = initialRunProgress(runId);
  }

  apply(event: StreamedRunEvent): RunPatch | null {
    const p = runEventPatch(this, event);
    if (!p) return null;
    applyRunPatch(this.nodes, p);
    if (p.run) this.run = p.run;
    return p;
  }

  results(): Record<string, NodeResult> {
    return nodeResults(this.run.runId, this.nodes);
  }
}
