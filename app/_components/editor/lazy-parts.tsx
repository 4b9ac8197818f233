"use client";
/**
 * Parts of the editor that drawing a graph does not need, each in a chunk of its own: the History,
 * Share and System panels, the node search box, the right-click menu, an import's report, and Layout's
 * dagre. The page's first scripts are smaller by that much; `preloadEditorParts` fetches them once the
 * opened editor is idle, so that their first use does not wait on the network either.
 */
import dynamic from "next/dynamic";

const loadingLine = () => <p className="pf-muted">Loading…</p>;

export const HistoryPanel = dynamic(() => import("../panels/HistoryPanel").then((m) => m.HistoryPanel), {
  loading: loadingLine,
});
export const SharePanel = dynamic(() => import("../panels/SharePanel").then((m) => m.SharePanel), {
  loading: loadingLine,
});
export const SystemPanel = dynamic(() => import("../panels/SystemPanel").then((m) => m.SystemPanel), {
  loading: loadingLine,
});
export const NodeSearch = dynamic(() => import("../canvas/NodeSearch").then((m) => m.NodeSearch));
export const ContextMenu = dynamic(() => import("../canvas/ContextMenu").then((m) => m.ContextMenu));
export const ImportReport = dynamic(() => import("./ImportReport").then((m) => m.ImportReport));

/** Layout's positions (dagre), loaded on first use. */
export const loadAutoLayout = () => import("@/app/_lib/auto-layout");

/** Every part above, fetched and evaluated (the browser keeps them): call once the editor is idle. */
export function preloadEditorParts(): Promise<unknown> {
  return Promise.all([
    import("../panels/HistoryPanel"),
    import("../panels/SharePanel"),
    import("../panels/SystemPanel"),
    import("../canvas/NodeSearch"),
    import("../canvas/ContextMenu"),
    import("./ImportReport"),
    loadAutoLayout(),
  ]);
}
