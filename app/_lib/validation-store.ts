/**
 * Validation problems from the server (runs.validate / a refused enqueue), keyed by node id so each
 * node subscribes to its own list and the field rows can highlight themselves.
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
  private general: readonly FieldProblem[] = EMPTY;
  private readonly listeners = new Map<string, Set<Listener>>();

  get = (nodeId: string): readonly FieldProblem[] => this.byNode.get(nodeId) ?? EMPTY;
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

  /** A node that the user edits loses its stale problems. */
  clearNode(nodeId: string) {
    if (!this.byNode.has(nodeId)) return;
    this.byNode.delete(nodeId);
    this.notify(nodeId);
  }
}
