/**
 * The editor's document state: React Flow nodes and edges plus the document's name and metadata, with
 * undo/redo over snapshots. Updates are immutable, so a snapshot is three references and undo is cheap
 * even on large graphs. Components subscribe through `useEditor(selector)`.
 */
import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange } from "@xyflow/react";
import type { GraphDocument, NodeMode } from "@/core/graph/document";
import { defaultParams } from "@/core/node/define";
import { registry } from "@/nodes/registry";
import { checkLink, type LinkCheck, type LinkRequest } from "./connections";
import { type DocumentMeta, documentToFlow, flowToDocument, linkEdge } from "./document-flow";
import type { FlowEdge, FlowNode, PetalNode, PetalNodeData } from "./flow-types";
import { newId } from "./ids";

export interface EditorSnapshot {
  nodes: FlowNode[];
  edges: FlowEdge[];
  meta: DocumentMeta;
}

export interface EditorState extends EditorSnapshot {
  canUndo: boolean;
  canRedo: boolean;
  /** Bumped on every change to the document (not on selection or measurement changes). */
  revision: number;
}

const HISTORY_LIMIT = 200;
/** Edits to the same field within this window share one undo step (typing a prompt is one step). */
const COALESCE_MS = 1000;

export class EditorStore {
  private state: EditorState;
  private readonly listeners = new Set<() => void>();
  private past: EditorSnapshot[] = [];
  private future: EditorSnapshot[] = [];
  private lastKey: string | null = null;
  private lastAt = 0;

  constructor(doc: GraphDocument) {
    const { nodes, edges, meta } = documentToFlow(doc);
    this.state = { nodes, edges, meta, canUndo: false, canRedo: false, revision: 0 };
  }

  getState = (): EditorState => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private set(patch: Partial<EditorState>, docChanged: boolean) {
    this.state = {
      ...this.state,
      ...patch,
      canUndo: this.past.length > 0,
      canRedo: this.future.length > 0,
      revision: docChanged ? this.state.revision + 1 : this.state.revision,
    };
    for (const fn of this.listeners) fn();
  }

  private snapshot(): EditorSnapshot {
    return { nodes: this.state.nodes, edges: this.state.edges, meta: this.state.meta };
  }

  /** Records an undo point before a document change; a repeated `key` within a second shares the point. */
  checkpoint(key?: string) {
    const now = Date.now();
    if (key && key === this.lastKey && now - this.lastAt < COALESCE_MS) {
      this.lastAt = now;
      return;
    }
    this.lastKey = key ?? null;
    this.lastAt = now;
    this.past.push(this.snapshot());
    if (this.past.length > HISTORY_LIMIT) this.past.shift();
    this.future = [];
  }

  /** Replaces the whole document (open, import, restore). Undoable unless `resetHistory`. */
  load(doc: GraphDocument, opts: { resetHistory: boolean }) {
    if (opts.resetHistory) {
      this.past = [];
      this.future = [];
    } else this.checkpoint();
    this.lastKey = null;
    this.set(documentToFlow(doc), true);
  }

  undo() {
    const prev = this.past.pop();
    if (!prev) return;
    this.future.push(this.snapshot());
    this.lastKey = null;
    this.set(prev, true);
  }

  redo() {
    const next = this.future.pop();
    if (!next) return;
    this.past.push(this.snapshot());
    this.lastKey = null;
    this.set(next, true);
  }

  toDocument(): GraphDocument {
    return flowToDocument(this.state.nodes, this.state.edges, this.state.meta);
  }

  nodeById = (id: string): FlowNode | undefined => this.state.nodes.find((n) => n.id === id);

  // --- React Flow change streams ---------------------------------------------------------------

  onNodesChange = (changes: NodeChange<FlowNode>[]) => {
    let doc = false;
    for (const c of changes) {
      if (c.type === "remove" || c.type === "add" || c.type === "replace") doc = true;
      else if (c.type === "position" && c.dragging === false) doc = true;
      else if (c.type === "dimensions" && c.resizing !== undefined) doc = true;
    }
    if (changes.some((c) => c.type === "remove")) this.checkpoint();
    const nodes = applyNodeChanges(changes, this.state.nodes);
    let edges = this.state.edges;
    if (changes.some((c) => c.type === "remove")) {
      const alive = new Set(nodes.map((n) => n.id));
      edges = edges.filter((e) => alive.has(e.source) && alive.has(e.target));
    }
    this.set({ nodes, edges }, doc);
  };

  onEdgesChange = (changes: EdgeChange<FlowEdge>[]) => {
    const doc = changes.some((c) => c.type !== "select");
    if (doc) this.checkpoint();
    this.set({ edges: applyEdgeChanges(changes, this.state.edges) }, doc);
  };

  // --- Document edits ----------------------------------------------------------------------------

  checkLink(link: LinkRequest): LinkCheck {
    return checkLink(link, this.nodeById, this.state.edges);
  }

  /** Adds a link, replacing any link already into that input (an input takes one value). */
  connect(link: LinkRequest): LinkCheck {
    const check = this.checkLink(link);
    if (!check.ok) return check;
    this.checkpoint();
    const edges = this.state.edges.filter(
      (e) => !(e.target === link.target && e.targetHandle === link.targetHandle),
    );
    const edge = linkEdge(
      {
        id: newId("link"),
        from: { node: link.source, port: link.sourceHandle! },
        to: { node: link.target, port: link.targetHandle! },
      },
      check.socket,
    );
    this.set({ edges: [...edges, edge] }, true);
    return check;
  }

  /** Adds a node (selected) with its default parameters, or `params` over them (a dropped image). */
  addNode(type: string, position: { x: number; y: number }, params?: Record<string, unknown>): string | null {
    const def = registry.get(type);
    if (!def) return null;
    this.checkpoint();
    const id = newId(type);
    const node: PetalNode = {
      id,
      type: "petal",
      position,
      selected: true,
      data: { type, version: def.version, params: { ...defaultParams(def), ...params }, mode: "normal" },
    };
    const nodes = this.state.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
    this.set({ nodes: [...nodes, node] }, true);
    return id;
  }

  addFrame(bounds: { x: number; y: number; width: number; height: number }, title = "Group") {
    this.checkpoint();
    const node: FlowNode = {
      id: newId("group"),
      type: "frame",
      position: { x: bounds.x, y: bounds.y },
      width: bounds.width,
      height: bounds.height,
      zIndex: -1,
      data: { title },
    };
    this.set({ nodes: [node, ...this.state.nodes] }, true);
  }

  addNote(position: { x: number; y: number }) {
    this.checkpoint();
    const node: FlowNode = {
      id: newId("note"),
      type: "note",
      position,
      width: 220,
      height: 120,
      data: { text: "" },
    };
    this.set({ nodes: [...this.state.nodes, node] }, true);
  }

  private patchNode(id: string, patch: (n: FlowNode) => FlowNode) {
    this.set({ nodes: this.state.nodes.map((n) => (n.id === id ? patch(n) : n)) }, true);
  }

  setParam(nodeId: string, key: string, value: unknown) {
    this.checkpoint(`param:${nodeId}:${key}`);
    this.patchNode(nodeId, (n) =>
      n.type === "petal" ? { ...n, data: { ...n.data, params: { ...n.data.params, [key]: value } } } : n,
    );
  }

  setPetalData(nodeId: string, patch: Partial<PetalNodeData>, key?: string) {
    this.checkpoint(key);
    this.patchNode(nodeId, (n) => (n.type === "petal" ? { ...n, data: { ...n.data, ...patch } } : n));
  }

  setFrameTitle(id: string, title: string) {
    this.checkpoint(`frame:${id}`);
    this.patchNode(id, (n) => (n.type === "frame" ? { ...n, data: { ...n.data, title } } : n));
  }

  setNoteText(id: string, text: string) {
    this.checkpoint(`note:${id}`);
    this.patchNode(id, (n) => (n.type === "note" ? { ...n, data: { ...n.data, text } } : n));
  }

  setName(name: string) {
    this.checkpoint("name");
    this.set({ meta: { ...this.state.meta, name } }, true);
  }

  setMetadata(metadata: Record<string, unknown>) {
    this.set({ meta: { ...this.state.meta, metadata } }, true);
  }

  /** The revision made by the last "control after run" seed move: not a user edit (no "Unsaved changes"). */
  seedMoveRevision = -1;

  /** "Control after run" moving seeds on (or back after a failed run): no undo step, not an edit. */
  moveSeeds(updates: { nodeId: string; key: string; value: unknown }[]) {
    if (updates.length === 0) return;
    this.seedMoveRevision = this.state.revision + 1;
    this.setParamsQuietly(updates);
  }

  /** Applies seed values (e.g. a seed picked from a result) without an undo step. */
  setParamsQuietly(updates: { nodeId: string; key: string; value: unknown }[]) {
    if (updates.length === 0) return;
    const byNode = new Map<string, Record<string, unknown>>();
    for (const u of updates) byNode.set(u.nodeId, { ...byNode.get(u.nodeId), [u.key]: u.value });
    this.set(
      {
        nodes: this.state.nodes.map((n) => {
          const p = byNode.get(n.id);
          return p && n.type === "petal"
            ? { ...n, data: { ...n.data, params: { ...n.data.params, ...p } } }
            : n;
        }),
      },
      true,
    );
  }

  /** Toggles bypass or mute on the selected nodes (all get the mode unless all already have it). */
  toggleMode(mode: Exclude<NodeMode, "normal">) {
    const sel = this.state.nodes.filter((n): n is PetalNode => n.type === "petal" && !!n.selected);
    if (sel.length === 0) return;
    const next: NodeMode = sel.every((n) => n.data.mode === mode) ? "normal" : mode;
    this.checkpoint();
    const ids = new Set(sel.map((n) => n.id));
    this.set(
      {
        nodes: this.state.nodes.map((n) =>
          ids.has(n.id) && n.type === "petal" ? { ...n, data: { ...n.data, mode: next } } : n,
        ),
      },
      true,
    );
  }

  deleteSelected() {
    const ids = new Set(this.state.nodes.filter((n) => n.selected).map((n) => n.id));
    const edgeSel = this.state.edges.some((e) => e.selected);
    if (ids.size === 0 && !edgeSel) return;
    this.checkpoint();
    this.set(
      {
        nodes: this.state.nodes.filter((n) => !ids.has(n.id)),
        edges: this.state.edges.filter((e) => !e.selected && !ids.has(e.source) && !ids.has(e.target)),
      },
      true,
    );
  }

  /** Colours or pins (as ComfyUI: a pinned node cannot be dragged) the given nodes, as one undo step. */
  setLook(ids: readonly string[], look: { color?: string | null; pinned?: boolean }) {
    const set = new Set(ids);
    this.checkpoint();
    this.set(
      {
        nodes: this.state.nodes.map((n) => {
          if (!set.has(n.id) || n.type !== "petal") return n;
          let next: PetalNode = n;
          if (look.color !== undefined) {
            const { color: _old, ...data } = n.data;
            next = { ...next, data: look.color ? { ...data, color: look.color } : data };
          }
          if (look.pinned !== undefined) {
            const { draggable: _d, ...rest } = next;
            next = look.pinned ? { ...rest, draggable: false } : rest;
          }
          return next;
        }),
      },
      true,
    );
  }

  /** Removes one link (dragged off its input and dropped on empty canvas). */
  removeEdge(id: string) {
    if (!this.state.edges.some((e) => e.id === id)) return;
    this.checkpoint();
    this.set({ edges: this.state.edges.filter((e) => e.id !== id) }, true);
  }

  /**
   * Copies nodes (fresh ids, links among them kept) at their own positions, unselected, without an undo
   * point of its own: Alt+drag takes one when the drag starts. Returns original id → copy id.
   */
  cloneInPlace(ids: readonly string[]): Map<string, string> {
    const set = new Set(ids);
    const idMap = new Map<string, string>();
    const copies = this.state.nodes
      .filter((n) => set.has(n.id) && n.type !== "frame")
      .map((n) => {
        const id = newId(n.type === "petal" ? n.data.type : (n.type ?? "node"));
        idMap.set(n.id, id);
        const { measured: _m, dragging: _d, ...rest } = n;
        return { ...structuredClone(rest), id, selected: false, position: { ...n.position } } as FlowNode;
      });
    const edges = copyLinksAmong(this.state.edges, idMap);
    if (copies.length)
      this.set({ nodes: [...this.state.nodes, ...copies], edges: [...this.state.edges, ...edges] }, true);
    return idMap;
  }

  /** Inserts copied nodes (with fresh ids) offset by `offset`, selected, keeping links among them. */
  paste(fragment: { nodes: FlowNode[]; edges: FlowEdge[] }, offset: { x: number; y: number }) {
    if (fragment.nodes.length === 0) return;
    this.checkpoint();
    const idMap = new Map<string, string>();
    const nodes = fragment.nodes.map((n) => {
      const id = newId(n.type === "petal" ? n.data.type : (n.type ?? "node"));
      idMap.set(n.id, id);
      return {
        ...structuredClone(n),
        id,
        selected: true,
        position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
      } as FlowNode;
    });
    const edges = copyLinksAmong(fragment.edges, idMap);
    this.set(
      {
        nodes: [...this.state.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...nodes],
        edges: [...this.state.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...edges],
      },
      true,
    );
  }

  selectedFragment(): { nodes: FlowNode[]; edges: FlowEdge[] } {
    const nodes = this.state.nodes.filter((n) => n.selected);
    const ids = new Set(nodes.map((n) => n.id));
    const edges = this.state.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
    return {
      nodes: nodes.map(({ measured: _m, selected: _s, dragging: _d, ...n }) => n as FlowNode),
      edges: edges.map(({ selected: _s, ...e }) => e),
    };
  }

  /** Moves nodes while a group frame is dragged (the frame's drag already took the undo point). */
  movePositions(positions: Map<string, { x: number; y: number }>) {
    this.set(
      {
        nodes: this.state.nodes.map((n) => {
          const p = positions.get(n.id);
          return p ? { ...n, position: p } : n;
        }),
      },
      true,
    );
  }

  /** Moves nodes to laid-out positions (and resizes frames given a size) as one undo step. */
  setPositions(positions: Map<string, { x: number; y: number; width?: number; height?: number }>) {
    this.checkpoint();
    this.set(
      {
        nodes: this.state.nodes.map((n) => {
          const p = positions.get(n.id);
          if (!p) return n;
          const sized = p.width !== undefined && p.height !== undefined;
          return {
            ...n,
            position: { x: p.x, y: p.y },
            ...(sized ? { width: p.width, height: p.height } : {}),
          };
        }),
      },
      true,
    );
  }
}

/** Copies of the links whose both ends were copied (`idMap`: old node id → copy's id), with fresh ids. */
function copyLinksAmong(edges: FlowEdge[], idMap: Map<string, string>): FlowEdge[] {
  return edges
    .filter((e) => idMap.has(e.source) && idMap.has(e.target))
    .map((e) => ({
      ...e,
      id: newId("link"),
      source: idMap.get(e.source)!,
      target: idMap.get(e.target)!,
      selected: false,
    }));
}
