"use client";
/**
 * The React Flow canvas, controlled by the editor store. Links are checked while dragged (the target
 * turns red) and, when refused on drop, the reason goes to the status line; a link dropped on empty
 * canvas opens the node search filtered to nodes that can take it. ComfyUI habits: a link dragged off
 * a connected input is picked up (dropped on empty canvas it is removed, on another input it moves
 * there), Alt+drag drops a clone of the dragged nodes, and right-click opens a menu (ContextMenu.tsx).
 */
import {
  Background,
  type Connection,
  Controls,
  type FinalConnectionState,
  MiniMap,
  type OnConnectEnd,
  type OnConnectStart,
  type OnNodeDrag,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
} from "@xyflow/react";
import { type DragEvent, type MouseEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { categoryColor } from "@/app/_lib/categories";
import { useEditor, useEditorContext } from "@/app/_lib/editor-context";
import type { FlowEdge, FlowNode } from "@/app/_lib/flow-types";
import { inputPortType } from "@/core/graph/validate";
import { registry } from "@/nodes/registry";
import { ContextMenu } from "../editor/lazy-parts";
import type { ContextMenuRequest } from "./ContextMenu";
import { NodeEstimates } from "./estimated-layout";
import { nodeTypes } from "./node-types";
import { estimatedFit, fitBox, READABLE_ZOOM, useFarOut } from "./zoom";

const PALETTE_MIME = "application/x-petalflow-node";

interface Props {
  /** Files dropped on the canvas (a graph JSON, a Petalflow PNG, an image), with the drop point. */
  onDropFiles?(files: File[], position: { x: number; y: number }): void;
  fitOnInit?: boolean;
  /** Drawn over the canvas (e.g. the template picker of an empty graph). */
  children?: React.ReactNode;
}

const selectNodes = (s: { nodes: FlowNode[] }) => s.nodes;
const selectEdges = (s: { edges: FlowEdge[] }) => s.edges;

function minimapColor(n: FlowNode): string {
  if (n.type === "petal") return categoryColor(registry.get(n.data.type)?.category ?? "");
  return n.type === "frame" ? "transparent" : "#e8d27a";
}

export function FlowCanvas({ onDropFiles, fitOnInit = true, children }: Props) {
  const { store, actions, validation, readOnly } = useEditorContext();
  const storeNodes = useEditor(selectNodes);
  const edges = useEditor(selectEdges);
  // Nodes not yet measured get estimated sizes and handles, so that React Flow mounts only those on
  // screen (estimated-layout.ts).
  const [estimates] = useState(() => new NodeEstimates());
  const nodes = useMemo(() => estimates.apply(storeNodes), [estimates, storeNodes]);
  const rf = useReactFlow<FlowNode, FlowEdge>();
  // Near, only nodes on screen are rendered (their widgets are costly). Far out, nodes are light and
  // most of the graph is on screen: keeping them all mounted spares every zoom step from mounting
  // and unmounting the hundreds of nodes that cross the screen's edge.
  const far = useFarOut();
  // Fit only a graph that has nodes when opened: with an empty canvas React Flow would fit (and zoom
  // onto) the first node added, moving the canvas under the user's pointer.
  const [fitNow] = useState(() => fitOnInit && store.getState().nodes.length > 0);
  // Open at a readable zoom (READABLE_ZOOM at least): the whole graph if it fits, else its start.
  // First estimated from positions (the canvas is most of the window), then, once the nodes are
  // measured, corrected with their real sizes.
  const [initialViewport] = useState(() =>
    fitNow && typeof window !== "undefined"
      ? estimatedFit(
          store.getState().nodes.map((n) => n.position),
          { width: window.innerWidth * 0.6, height: window.innerHeight - 120 },
          { minZoom: READABLE_ZOOM, maxZoom: 1, padding: 0.15 },
        )
      : undefined,
  );
  const canvasRef = useRef<HTMLDivElement>(null);
  const measured = useNodesInitialized();
  const fitted = useRef(!fitNow);
  useEffect(() => {
    const el = canvasRef.current;
    if (fitted.current || !measured || !el) return;
    fitted.current = true;
    const bounds = rf.getNodesBounds(store.getState().nodes);
    const { width, height } = el.getBoundingClientRect();
    void rf.setViewport(
      fitBox(bounds, { width, height }, { padding: 0.15, minZoom: READABLE_ZOOM, maxZoom: 1 }),
    );
  }, [measured, rf, store]);
  // Nodes inside a group frame being dragged, with their start positions.
  const frameDrag = useRef<{
    frames: Map<string, { x: number; y: number }>;
    children: Map<string, { x: number; y: number }>;
  } | null>(null);

  // Alt+drag: copies left at the start positions; at the drop, the copies and originals swap places
  // so that the clone (unlinked, as in ComfyUI) is where the pointer let go.
  const cloneDrag = useRef<{
    copies: Map<string, string>;
    starts: Map<string, { x: number; y: number }>;
  } | null>(null);
  // The link into the input a connection was dragged from (picked up off that input).
  const pickedUp = useRef<string | null>(null);
  const [menu, setMenu] = useState<ContextMenuRequest | null>(null);

  const isValidConnection = useCallback(
    (c: Connection | FlowEdge) =>
      store.checkLink({
        source: c.source,
        sourceHandle: c.sourceHandle ?? null,
        target: c.target,
        targetHandle: c.targetHandle ?? null,
      }).ok,
    [store],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const r = store.connect(c);
      if (!r.ok) actions.notify(r.reason, "error");
      else validation.clearNode(c.target);
    },
    [store, actions, validation],
  );

  const onConnectStart: OnConnectStart = useCallback(
    (_e, { nodeId, handleId, handleType }) => {
      pickedUp.current =
        handleType === "target"
          ? (store.getState().edges.find((e) => e.target === nodeId && e.targetHandle === handleId)?.id ??
            null)
          : null;
    },
    [store],
  );

  const onConnectEnd: OnConnectEnd = useCallback(
    (event, state: FinalConnectionState) => {
      const picked = pickedUp.current;
      pickedUp.current = null;
      if (state.isValid || !state.fromHandle || !state.fromNode) return;
      const from = state.fromHandle;
      if (picked && !readOnly) {
        const edge = store.getState().edges.find((e) => e.id === picked);
        const to = state.toHandle;
        if (edge && to?.type === "target" && !(to.nodeId === edge.target && to.id === edge.targetHandle)) {
          // Dropped on another input: the link moves there.
          const link = {
            source: edge.source,
            sourceHandle: edge.sourceHandle ?? null,
            target: to.nodeId,
            targetHandle: to.id ?? null,
          };
          const check = store.checkLink(link);
          if (!check.ok) {
            actions.notify(check.reason, "error");
            return;
          }
          store.removeEdge(edge.id);
          store.connect(link);
          validation.clearNode(to.nodeId);
          return;
        }
        if (edge && !to) {
          store.removeEdge(edge.id);
          return;
        }
      }
      if (state.toHandle) {
        // Dropped on a handle that refused the link: say why.
        const to = state.toHandle;
        const link =
          from.type === "source"
            ? {
                source: from.nodeId,
                sourceHandle: from.id ?? null,
                target: to.nodeId,
                targetHandle: to.id ?? null,
              }
            : {
                source: to.nodeId,
                sourceHandle: to.id ?? null,
                target: from.nodeId,
                targetHandle: from.id ?? null,
              };
        const check = store.checkLink(link);
        actions.notify(check.ok ? "Drop the link on an input of the other kind" : check.reason, "error");
        return;
      }
      if (state.toNode || readOnly) return;
      // Dropped on empty canvas: offer the nodes that can take (or give) this link.
      const def = registry.get(
        (state.fromNode as unknown as FlowNode).type === "petal"
          ? (state.fromNode.data as { type: string }).type
          : "",
      );
      if (!def || !from.id) return;
      const socket = from.type === "source" ? def.outputs[from.id]?.type : inputPortType(def, from.id);
      if (!socket) return;
      const point = "changedTouches" in event ? event.changedTouches[0] : event;
      actions.openSearch({
        position: rf.screenToFlowPosition({ x: point.clientX, y: point.clientY }),
        screen: { x: point.clientX, y: point.clientY },
        connectFrom: { nodeId: from.nodeId, handleId: from.id, handleType: from.type, socket },
      });
    },
    [store, actions, rf, readOnly, validation],
  );

  const onNodeDragStart = useCallback(
    ((e, _node, dragged) => {
      store.checkpoint();
      if (e.altKey && !readOnly) {
        const ids = dragged.filter((n) => n.type !== "frame").map((n) => n.id);
        cloneDrag.current = {
          copies: store.cloneInPlace(ids),
          starts: new Map(dragged.map((n) => [n.id, { ...n.position }])),
        };
      } else cloneDrag.current = null;
      const frames = dragged.filter((n) => n.type === "frame");
      if (frames.length === 0) {
        frameDrag.current = null;
        return;
      }
      const draggedIds = new Set(dragged.map((n) => n.id));
      const children = new Map<string, { x: number; y: number }>();
      for (const f of frames) {
        const w = f.width ?? f.measured?.width ?? 0;
        const h = f.height ?? f.measured?.height ?? 0;
        for (const n of store.getState().nodes) {
          if (n.type === "frame" || draggedIds.has(n.id)) continue;
          const { x, y } = n.position;
          if (x >= f.position.x && y >= f.position.y && x <= f.position.x + w && y <= f.position.y + h)
            children.set(n.id, { ...n.position });
        }
      }
      frameDrag.current = { frames: new Map(frames.map((f) => [f.id, { ...f.position }])), children };
    }) as OnNodeDrag<FlowNode>,
    [store, readOnly],
  );

  const onNodeDragStop = useCallback(() => {
    const cd = cloneDrag.current;
    cloneDrag.current = null;
    if (!cd) return;
    const moves = new Map<string, { x: number; y: number }>();
    for (const [orig, copy] of cd.copies) {
      const now = store.nodeById(orig)?.position;
      const start = cd.starts.get(orig);
      if (!now || !start) continue;
      moves.set(copy, { ...now });
      moves.set(orig, start);
    }
    store.movePositions(moves);
    // The clone is the one selected, where the pointer let go.
    store.onNodesChange(
      store.getState().nodes.map((n) => ({
        type: "select" as const,
        id: n.id,
        selected: [...cd.copies.values()].includes(n.id),
      })),
    );
  }, [store]);

  const onPaneContextMenu = useCallback(
    (e: MouseEvent | globalThis.MouseEvent) => {
      e.preventDefault();
      const screen = { x: e.clientX, y: e.clientY };
      setMenu({ screen, position: rf.screenToFlowPosition(screen) });
    },
    [rf],
  );
  const onNodeContextMenu = useCallback(
    (e: MouseEvent, node: FlowNode) => {
      e.preventDefault();
      const screen = { x: e.clientX, y: e.clientY };
      setMenu({ screen, position: rf.screenToFlowPosition(screen), nodeId: node.id });
    },
    [rf],
  );
  const closeMenu = useCallback(() => setMenu(null), []);

  const onNodeDrag = useCallback(
    ((_e, node) => {
      const fd = frameDrag.current;
      const start = fd?.frames.get(node.id);
      if (!fd || !start || fd.children.size === 0) return;
      const dx = node.position.x - start.x;
      const dy = node.position.y - start.y;
      const next = new Map<string, { x: number; y: number }>();
      for (const [id, p] of fd.children) next.set(id, { x: p.x + dx, y: p.y + dy });
      store.movePositions(next);
    }) as OnNodeDrag<FlowNode>,
    [store],
  );

  const onDoubleClick = useCallback(
    (e: MouseEvent<HTMLDivElement>) => {
      if (readOnly || !(e.target as Element).classList?.contains("react-flow__pane")) return;
      actions.openSearch({
        position: rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }),
        screen: { x: e.clientX, y: e.clientY },
      });
    },
    [actions, rf, readOnly],
  );

  // Files dragged over the canvas: highlight it and say what a drop will do.
  const [filesOver, setFilesOver] = useState(false);
  const onDragOver = useCallback(
    (e: DragEvent) => {
      const files = e.dataTransfer.types.includes("Files");
      if (e.dataTransfer.types.includes(PALETTE_MIME) || files) {
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
      }
      if (files && !readOnly) setFilesOver(true);
    },
    [readOnly],
  );
  const onDragLeave = useCallback((e: DragEvent) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFilesOver(false);
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      setFilesOver(false);
      if (readOnly) return;
      const type = e.dataTransfer.getData(PALETTE_MIME);
      if (type) {
        e.preventDefault();
        store.addNode(type, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
        return;
      }
      const files = [...e.dataTransfer.files];
      if (files.length > 0) {
        e.preventDefault();
        onDropFiles?.(files, rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      }
    },
    [store, rf, onDropFiles, readOnly],
  );

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target for palette items and files
    <div
      ref={canvasRef}
      className={`pf-canvas${filesOver ? " is-file-over" : ""}`}
      data-testid="canvas"
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      {filesOver && (
        <div className="pf-drop-hint" data-testid="drop-hint">
          Drop a graph (.json or a PNG saved by Petalflow) to open it, or an image to add a Load Image node
        </div>
      )}
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={store.onNodesChange}
        onEdgesChange={store.onEdgesChange}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStart={onNodeDragStart}
        onNodeDrag={onNodeDrag}
        onNodeDragStop={onNodeDragStop}
        onPaneContextMenu={onPaneContextMenu}
        onNodeContextMenu={onNodeContextMenu}
        onDoubleClick={onDoubleClick}
        zoomOnDoubleClick={false}
        // Deletion goes through the store so that one Delete is one undo step.
        deleteKeyCode={null}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={false}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Control", "Meta", "Shift"]}
        minZoom={0.1}
        maxZoom={3}
        defaultViewport={initialViewport}
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        onlyRenderVisibleElements={!far}
        colorMode="system"
        connectionRadius={24}
      >
        <Background gap={20} />
        <MiniMap pannable zoomable nodeColor={minimapColor} ariaLabel="Minimap" />
        <Controls showInteractive={false} aria-label="Zoom and fit view" />
      </ReactFlow>
      {children}
      {menu && <ContextMenu request={menu} onClose={closeMenu} />}
    </div>
  );
}

export { PALETTE_MIME };
