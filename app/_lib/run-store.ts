/**
 * Live run state, kept OUTSIDE the document store and keyed by node id: a progress event touches one
 * entry and wakes only the components subscribed to that node, so a 500-node graph does no O(n) work
 * per step. Also remembers the last results (images, seeds) per node for the output nodes. The states
 * come from the one event reducer (core/run/fold.ts) that the executor and the runner use too.
 */
import type { FileOutput } from "@/core/run/events";
import {
  initialRunProgress,
  type NodeRunState,
  type RunProgress,
  runEventPatch,
  type StreamedRunEvent,
} from "@/core/run/fold";

export type { NodeRunState, NodeRunStatus, RunPhase, RunProgress } from "@/core/run/fold";

type Listener = () => void;

export class RunStore {
  private readonly nodes = new Map<string, NodeRunState>();
  private readonly nodeListeners = new Map<string, Set<Listener>>();
  private readonly runListeners = new Set<Listener>();
  private current: RunProgress | null = null;
  /** The run shown before the current one: shown again when the current one was never queued. */
  private previous: RunProgress | null = null;
  /** Seeds the server planned for the current run, by node id (shown even when the Noise node is cached). */
  private plannedSeeds = new Map<string, string[]>();
  /** Runs watched so far: results read before a run was watched must not cover its live states. */
  private watched = 0;

  getNode = (id: string): NodeRunState | undefined => this.nodes.get(id);
  getCurrent = (): RunProgress | null => this.current;

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

  private setCurrent(next: RunProgress | null) {
    this.current = next;
    for (const fn of this.runListeners) fn();
  }

  /** A run was taken by the queue: it becomes the one the canvas shows. `seeds`: by "nodeId.param". */
  startWatching(runId: string, seeds: Record<string, string> = {}) {
    this.watched++;
    this.previous = this.current;
    this.setCurrent(initialRunProgress(runId));
    this.setPlannedSeeds(runId, seeds);
  }

  /** The seeds the server planned for the watched run (known once its enqueue answered). */
  setPlannedSeeds(runId: string, seeds: Record<string, string>) {
    if (this.current?.runId !== runId) return;
    this.plannedSeeds = new Map();
    for (const [key, seed] of Object.entries(seeds)) {
      // Keys are "nodeId.param"; node ids may contain dots, parameter names never do.
      const nodeId = key.slice(0, key.lastIndexOf("."));
      this.plannedSeeds.set(nodeId, [...(this.plannedSeeds.get(nodeId) ?? []), seed]);
    }
  }

  /** The watched run was never queued (the server refused it): the run shown before it comes back. */
  stopWatching(runId: string) {
    if (this.current?.runId !== runId) return;
    this.plannedSeeds = new Map();
    this.setCurrent(this.previous);
    this.previous = null;
  }

  /** Folds one event of the watched run (others are ignored); wakes only the nodes it changed. */
  apply(event: StreamedRunEvent) {
    if (!this.current) return;
    const patch = runEventPatch(
      { run: this.current, nodes: this.nodes, plannedSeeds: this.plannedSeeds },
      event,
    );
    if (!patch) return;
    for (const [id, s] of patch.nodes) this.setNode(id, s);
    if (patch.run) this.setCurrent(patch.run);
  }

  /** Shows stored results (e.g. the latest images of a saved or shared graph) without a live run. */
  showResults(byNode: Record<string, { files?: FileOutput[]; seeds?: string[] }>, runId = "") {
    for (const [id, r] of Object.entries(byNode)) this.setNode(id, { runId, status: "done", ...r });
  }

  /** A mark to pass to showResultsUnlessWatched: taken before the reads that fetch stored results. */
  watchMark(): number {
    return this.watched;
  }

  /**
   * Shows stored results fetched in the background (the latest run's, at open or again after a save
   * changed the head) only while this editor has watched no run: once it has, the canvas shows that
   * run's own states ("cached" stays "cached"), which older reads must not turn into "done" — whether
   * the run was queued before the reads began or while they were on their way (since `mark`).
   * False when skipped.
   */
  showResultsUnlessWatched(
    mark: number,
    byNode: Record<string, { files?: FileOutput[]; seeds?: string[] }>,
    runId = "",
  ): boolean {
    if (this.watched !== mark || this.current) return false;
    this.showResults(byNode, runId);
    return true;
  }
}
