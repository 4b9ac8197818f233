/**
 * Validation problems from the server (runs.validate / a refused enqueue), keyed by node id so each
 * node subscribes to its own list and the field rows can highlight themselves. A second layer holds what
 * an import (ComfyUI, AUTOMATIC1111) could not bring over: it outlives validation (a run's problems do not
 * replace it) and goes per node when the user edits that node.
 */
export interface FieldProblem {
  message: string;
  field?: string;
  code?: string;
}

type Listener = () => void;
const EMPTY: readonly FieldProblem[] = [];

export class ValidationStore {
  private byNode = new Map<string, readonly FieldProblem[]>();
  private imported = new Map<string, readonly FieldProblem[]>();
  /** Both layers of a node, merged once per change (useSyncExternalStore needs a stable value). */
  private merged = new Map<string, readonly FieldProblem[]>();
  private general: readonly FieldProblem[] = EMPTY;
  private readonly listeners = new Map<string, Set<Listener>>();

  get = (nodeId: string): readonly FieldProblem[] => {
    const imported = this.imported.get(nodeId);
    if (!imported) return this.byNode.get(nodeId) ?? EMPTY;
    let m = this.merged.get(nodeId);
    if (!m) {
      m = [...(this.byNode.get(nodeId) ?? []), ...imported];
      this.merged.set(nodeId, m);
    }
    return m;
  };
  getGeneral = (): readonly FieldProblem[] => this.general;

  subscribe = (nodeId: string, fn: Listener): (() => void) => {
    let set = this.listeners.get(nodeId);
    if (!set) {
      set = new Set();
      this.listeners.set(nodeId, set);
    }
    set.add(fn);
    return () => set.delete(fn);
  };

  private notify(nodeId: string) {
    this.merged.delete(nodeId);
    for (const fn of this.listeners.get(nodeId) ?? []) fn();
  }

  /** Replaces all problems; "" (or a missing node id) holds the document-level ones. */
  set(problems: readonly (FieldProblem & { nodeId?: string })[]) {
    const old = new Set(this.byNode.keys());
    const next = new Map<string, FieldProblem[]>();
    for (const p of problems) {
      const key = p.nodeId ?? "";
      next.set(key, [...(next.get(key) ?? []), { message: p.message, field: p.field, code: p.code }]);
    }
    this.general = next.get("") ?? EMPTY;
    next.delete("");
    this.byNode = next;
    for (const id of new Set([...old, ...next.keys()])) this.notify(id);
    this.notify("");
  }

  /** What an import could not bring over, per node (replaces the previous import's). */
  setImported(problems: readonly (FieldProblem & { nodeId: string })[]) {
    const old = new Set(this.imported.keys());
    const next = new Map<string, FieldProblem[]>();
    for (const p of problems)
      next.set(p.nodeId, [
        ...(next.get(p.nodeId) ?? []),
        { message: p.message, field: p.field, code: p.code },
      ]);
    this.imported = next;
    for (const id of new Set([...old, ...next.keys()])) this.notify(id);
  }

  /** A node that the user edits loses its stale problems (the import's too: the user has seen them). */
  clearNode(nodeId: string) {
    if (!this.byNode.has(nodeId) && !this.imported.has(nodeId)) return;
    const hadImported = this.imported.delete(nodeId);
    this.byNode.delete(nodeId);
    this.notify(nodeId);
    if (hadImported) this.onImportedCleared?.(nodeId);
  }

  /** Told when an edit clears a node's import problems (the editor drops them from its report too). */
  onImportedCleared: ((nodeId: string) => void) | null = null;
}
