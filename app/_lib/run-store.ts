/**
 * Live run state, kept OUTSIDE the document store and keyed by node id: a progress event touches one
 * entry and wakes only the components subscribed to that node, so a 500-node graph does no O(n) work
 * per step. Also remembers the last results (images, seeds) per node for the output nodes.
 */
import type { FileOutput, RunEvent } from "@/core/run/events";

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

export interface RunSummary {
  runId: string;
  phase: RunPhase;
  /** Nodes finished / planned, for the toolbar's progress line. */
  done: number;
  planned: number;
  error?: string;
  ms?: number;
}

type Listener = () => void;

export class RunStore {
  private readonly nodes = new Map<string, NodeRunState>();
  private readonly nodeListeners = new Map<string, Set<Listener>>();
  private readonly runListeners = new Set<Listener>();
  private current: RunSummary | null = null;
  private plan = new Set<string>();
  /** Seeds the server planned for the current run, by node id (shown even when the Noise node is cached). */
  private plannedSeeds = new Map<string, string[]>();

  getNode = (id: string): NodeRunState | undefined => this.nodes.get(id);
  getCurrent = (): RunSummary | null => this.current;

  subscribeNode = (id: string, fn: Listener): (() => void) => {
    let set = this.nodeListeners.get(id);
    if (!set) {
      set = new Set();
      this.nodeListeners.set(id, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.nodeListeners.delete(id);
    };
  };

  subscribeRun = (fn: Listener): (() => void) => {
    this.runListeners.add(fn);
    return () => this.runListeners.delete(fn);
  };

  private setNode(id: string, next: NodeRunState) {
    this.nodes.set(id, next);
    const ls = this.nodeListeners.get(id);
    if (ls) for (const fn of ls) fn();
  }

  private setCurrent(next: RunSummary | null) {
    this.current = next;
    for (const fn of this.runListeners) fn();
  }

  /** A run was taken by the queue: it becomes the one the canvas shows. `seeds`: by "nodeId.param". */
  startWatching(runId: string, seeds: Record<string, string> = {}) {
    this.plan = new Set();
    this.plannedSeeds = new Map();
    for (const [key, seed] of Object.entries(seeds)) {
      const nodeId = key.slice(0, key.lastIndexOf("."));
      this.plannedSeeds.set(nodeId, [...(this.plannedSeeds.get(nodeId) ?? []), seed]);
    }
    this.setCurrent({ runId, phase: "queued", done: 0, planned: 0 });
  }

  apply(event: RunEvent) {
    const cur = this.current;
    if (!cur || event.runId !== cur.runId) return;
    switch (event.type) {
      case "run.started": {
        // Clearing the previous run's states: O(n) once per run, never per step.
        this.plan = new Set(event.plan);
        for (const [id, s] of this.nodes) {
          if (!this.plan.has(id))
            this.setNode(id, { ...s, status: "skipped", step: undefined, preview: undefined });
        }
        for (const id of event.plan) {
          const prev = this.nodes.get(id);
          this.setNode(id, {
            runId: event.runId,
            status: "queued",
            warnings: undefined,
            files: prev?.files,
            seeds: this.plannedSeeds.get(id) ?? prev?.seeds,
          });
        }
        this.setCurrent({ ...cur, phase: "running", planned: event.plan.length });
        return;
      }
      case "node.started":
        this.patch(event.nodeId, event.runId, { status: "running", step: 0, error: undefined });
        return;
      case "node.progress":
        this.patch(event.nodeId, event.runId, {
          status: "running",
          step: event.step,
          total: event.total,
          ...(event.preview ? { preview: event.preview.dataUrl } : {}),
        });
        return;
      case "node.cached":
        this.patch(event.nodeId, event.runId, {
          status: "cached",
          ...(event.seeds ? { seeds: event.seeds } : {}),
        });
        this.bumpDone();
        return;
      case "node.warning": {
        const prev = this.nodes.get(event.nodeId)?.warnings ?? [];
        if (!prev.includes(event.message))
          this.patch(event.nodeId, event.runId, { warnings: [...prev, event.message] });
        return;
      }
      case "node.finished":
        this.patch(event.nodeId, event.runId, {
          status: this.nodes.get(event.nodeId)?.status === "cached" ? "cached" : "done",
          ms: event.ms,
          ...(event.files ? { files: event.files } : {}),
          ...(event.seeds ? { seeds: event.seeds } : {}),
        });
        this.bumpDone();
        return;
      case "node.failed":
        this.patch(event.nodeId, event.runId, { status: "failed", error: event.error.message });
        return;
      case "node.skipped":
        this.patch(event.nodeId, event.runId, { status: "skipped", error: event.reason });
        return;
      case "run.finished":
        this.setCurrent({ ...cur, phase: "succeeded", ms: event.ms });
        return;
      case "run.failed":
        this.setCurrent({ ...cur, phase: "failed", error: event.error.message, ms: event.ms });
        // Nodes the run never reached must not stay "queued" (or "running") after it ended.
        this.settleUnfinished();
        return;
      case "run.cancelled":
        this.setCurrent({ ...cur, phase: "cancelled", ms: event.ms });
        this.settleUnfinished();
        return;
    }
  }

  /** The badge says "skipped"; the failed node itself carries the reason. */
  private settleUnfinished() {
    for (const [id, s] of this.nodes)
      if (s.status === "queued" || s.status === "running")
        this.patch(id, s.runId, { status: "skipped", step: undefined });
  }

  private bumpDone() {
    const cur = this.current;
    if (cur) this.setCurrent({ ...cur, done: cur.done + 1 });
  }

  private patch(nodeId: string, runId: string, patch: Partial<NodeRunState>) {
    const prev = this.nodes.get(nodeId);
    this.setNode(nodeId, { ...(prev ?? { status: "queued" }), ...patch, runId });
  }

  /** Shows stored results (e.g. the latest images of a saved or shared graph) without a live run. */
  showResults(byNode: Record<string, { files?: FileOutput[]; seeds?: string[] }>, runId = "") {
    for (const [id, r] of Object.entries(byNode)) this.setNode(id, { runId, status: "done", ...r });
  }
}
