/**
 * Where the editor's own additions go on the canvas: the view's centre, a palette node at the nearest
 * free spot there, a frame around the selection, and the auto-layout.
 */
import { useReactFlow } from "@xyflow/react";
import { useCallback } from "react";
import type { EditorStore } from "@/app/_lib/editor-store";
import type { FlowEdge, FlowNode } from "@/app/_lib/flow-types";
import { frameAround, freeSpot } from "@/app/_lib/placement";
import { loadAutoLayout } from "./lazy-parts";

export function useCanvasPlacement(store: EditorStore) {
  const rf = useReactFlow<FlowNode, FlowEdge>();

  const viewCentre = useCallback(() => {
    const el = document.querySelector(".pf-canvas")?.getBoundingClientRect();
    const screen = el ? { x: el.left + el.width / 2, y: el.top + el.height / 3 } : { x: 600, y: 300 };
    return { screen, position: rf.screenToFlowPosition(screen) };
  }, [rf]);

  const addAtCentre = useCallback(
    (type: string) => {
      const { position } = viewCentre();
      // At the view's centre, or the nearest spot there that no other node covers.
      const taken = store
        .getState()
        .nodes.filter((n) => n.type !== "frame")
        .map((n) => ({
          ...n.position,
          width: n.measured?.width ?? n.width ?? 240,
          height: n.measured?.height ?? n.height ?? 160,
        }));
      // Spots on screen first (a node added off screen looks like nothing happened).
      const el = document.querySelector(".pf-canvas")?.getBoundingClientRect();
      const view = el && {
        ...rf.screenToFlowPosition({ x: el.left, y: el.top }),
        width: el.width / rf.getZoom(),
        height: el.height / rf.getZoom(),
      };
      store.addNode(
        type,
        freeSpot({ x: position.x - 120, y: position.y }, { width: 260, height: 220 }, taken, 24, view),
      );
    },
    [store, viewCentre, rf],
  );

  /** A frame around the selected nodes, or an empty one at the view's centre. */
  const groupSelection = useCallback(() => {
    const sel = store.getState().nodes.filter((n) => n.selected && n.type !== "frame");
    const frame = frameAround(
      sel.map((n) => ({ ...n.position, width: n.measured?.width ?? 250, height: n.measured?.height ?? 150 })),
    );
    if (frame) store.addFrame(frame);
    else {
      const { position } = viewCentre();
      store.addFrame({ x: position.x - 200, y: position.y - 40, width: 400, height: 300 });
    }
  }, [store, viewCentre]);

  const autoLayout = useCallback(() => {
    // dagre is loaded on first use (normally already preloaded once the editor was idle).
    void loadAutoLayout().then(({ layoutPositions }) => {
      const { nodes, edges } = store.getState();
      store.setPositions(layoutPositions(nodes, edges));
      requestAnimationFrame(() => void rf.fitView({ padding: 0.1, duration: 200 }));
    });
  }, [store, rf]);

  return {
    viewCentre,
    addAtCentre,
    groupSelection,
    autoLayout,
    screenToFlowPosition: rf.screenToFlowPosition,
  };
}
