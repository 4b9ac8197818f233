"use client";
/**
 * The graph editor: toolbar, node palette, canvas and side panels around one document store. It owns
 * the stores (document, live run state, validation problems) and wires shortcuts, clipboard, autosave,
 * running, import/export and templates to them.
 */
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { layoutPositions } from "@/app/_lib/auto-layout";
import { type EditorActions, EditorContext, type EditorContextValue } from "@/app/_lib/editor-context";
import { EditorStore } from "@/app/_lib/editor-store";
import type { FlowEdge, FlowNode } from "@/app/_lib/flow-types";
import {
  dropImportReport,
  keepImportReport,
  nodeProblemsOf,
  readImportReport,
  withoutNode,
} from "@/app/_lib/import-report";
import { compatiblePort } from "@/app/_lib/node-search";
import { freeSpot } from "@/app/_lib/placement";
import { resultsByNode } from "@/app/_lib/run-results";
import { RunStore } from "@/app/_lib/run-store";
import type { SearchRequest } from "@/app/_lib/search-request";
import { comparableJson } from "@/app/_lib/seed-control";
import { templateOf } from "@/app/_lib/templates";
import { errorMessage, useTRPCClient } from "@/app/_lib/trpc";
import { ValidationStore } from "@/app/_lib/validation-store";
import type { GraphDocument } from "@/core/graph/document";
import type { NodeDefinition } from "@/core/node/define";
import { parseSeed, seedToJson } from "@/core/node/define";
import { registry } from "@/nodes/registry";
import { FlowCanvas } from "../canvas/FlowCanvas";
import { NodePalette } from "../canvas/NodePalette";
import { NodeSearch } from "../canvas/NodeSearch";
import { messageStillApplies, StatusLine, type StatusMessage } from "../canvas/StatusLine";
import type { ResultSet } from "../panels/ResultsGrid";
import type { SweepSource } from "../panels/ResultsPanel";
import { ImportReport } from "./ImportReport";
import { type PanelTab, SidePanel } from "./SidePanel";
import { TemplatePicker } from "./TemplatePicker";
import { RunProgress, Toolbar } from "./Toolbar";
import { useClipboard } from "./use-clipboard";
import { useFileDrop } from "./use-file-drop";
import { useGraphFiles } from "./use-graph-files";
import { usePersistence } from "./use-persistence";
import { useRunner } from "./use-runner";
import { useShortcuts } from "./use-shortcuts";
import { useTabTitle } from "./use-tab-title";

export interface EditorProps {
  graphId: string | null;
  graphName: string | null;
  document: GraphDocument;
  /** The head version (what "saved" means), when the graph was saved before. */
  head: { id: string; number: number; document: GraphDocument } | null;
  /** A graph that `document` replaces in this editor ("New" over unsaved work): one Ctrl+Z away. */
  replaces?: GraphDocument;
  notice?: string;
}

export function Editor(props: EditorProps) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}

let messageId = 0;

function EditorInner(props: EditorProps) {
  const client = useTRPCClient();
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const [store] = useState(() => {
    if (!props.replaces) return new EditorStore(props.document);
    const s = new EditorStore(props.replaces);
    s.load(props.document, { resetHistory: false });
    return s;
  });
  const [runs] = useState(() => new RunStore());
  const [validation] = useState(() => new ValidationStore());
  const [status, setStatus] = useState<StatusMessage | null>(
    props.notice ? { id: ++messageId, text: props.notice, kind: "info" } : null,
  );
  const [search, setSearch] = useState<SearchRequest | null>(null);
  const [panel, setPanel] = useState<PanelTab | null>("queue");
  const [results, setResults] = useState<ResultSet[]>([]);
  const [sweepSource, setSweepSource] = useState<SweepSource>({
    document: null,
    label: "the graph on the canvas",
  });

  // A graph just imported from ComfyUI / A1111: what did not come over, listed and shown on its nodes.
  const [importReport, setImportReport] = useState(() =>
    props.graphId && typeof window !== "undefined" ? readImportReport(props.graphId) : null,
  );
  useEffect(() => {
    if (importReport) validation.setImported(nodeProblemsOf(importReport));
  }, [importReport, validation]);
  // Editing a node settles its import problems: they leave the report (and this tab's copy of it).
  useEffect(() => {
    const graphId = props.graphId;
    validation.onImportedCleared = (nodeId) =>
      setImportReport((r) => {
        const next = r && withoutNode(r, nodeId);
        if (graphId) next ? keepImportReport(graphId, next) : dropImportReport(graphId);
        return next;
      });
    return () => {
      validation.onImportedCleared = null;
    };
  }, [validation, props.graphId]);
  const dismissImportReport = useCallback(() => {
    if (props.graphId) dropImportReport(props.graphId);
    setImportReport(null);
  }, [props.graphId]);

  const notify = useCallback((text: string, kind: "info" | "error" = "info", about?: string[]) => {
    setStatus({ id: ++messageId, text, kind, about });
  }, []);
  // A message about nodes (their problems, a failed run) goes when those nodes are deleted.
  useEffect(
    () =>
      store.subscribe(() =>
        setStatus((s) =>
          s?.about?.length && !messageStillApplies(s, new Set(store.getState().nodes.map((n) => n.id)))
            ? null
            : s,
        ),
      ),
    [store],
  );

  const persistence = usePersistence({
    store,
    graphId: props.graphId,
    graphName: props.graphName,
    savedJson: props.head ? comparableJson(props.head.document) : null,
    // A template or an empty graph, as opened, has nothing to lose yet; restored work has.
    pristineJson:
      !props.head && (props.document.nodes.length === 0 || templateOf(props.document))
        ? comparableJson(props.document)
        : null,
    headVersionId: props.head?.id ?? null,
    headVersionNumber: props.head?.number ?? null,
    notify,
  });
  const graphId = persistence.graphId;

  const runner = useRunner({
    store,
    runs,
    validation,
    graphId,
    notify,
    onQueued: (runIds, label) => {
      setResults((r) => [{ runIds, label }, ...r].slice(0, 6));
      setPanel("results");
    },
  });

  /** Sets the seed of every unlinked seed widget (or of one node) without touching anything else. */
  const applySeed = useCallback(
    (seed: string, nodeId?: string) => {
      const parsed = parseSeed(seed);
      if (parsed === null) return;
      const doc = store.toDocument();
      const linked = new Set(doc.edges.map((e) => `${e.to.node}\0${e.to.port}`));
      store.checkpoint();
      const updates = doc.nodes.flatMap((n) =>
        Object.entries(registry.get(n.type)?.widgets ?? {})
          .filter(
            ([k, w]) => w.kind === "seed" && (!nodeId || n.id === nodeId) && !linked.has(`${n.id}\0${k}`),
          )
          .map(([k]) => ({ nodeId: n.id, key: k, value: seedToJson(parsed) })),
      );
      store.setParamsQuietly(updates);
      notify(
        updates.length ? `Seed set to ${seed}` : "This graph has no seed to set",
        updates.length ? "info" : "error",
      );
    },
    [store, notify],
  );

  const actions: EditorActions = useMemo(
    () => ({ notify, openSearch: setSearch, applySeed }),
    [notify, applySeed],
  );
  const ctx: EditorContextValue = useMemo(
    () => ({ store, runs, validation, actions, readOnly: false }),
    [store, runs, validation, actions],
  );

  // A saved graph opens with the images of its latest run; a run still queued or running (e.g. across
  // a reload) is followed again, so its progress and images arrive on the canvas.
  const resumeRuns = runner.resume;
  const headId = props.head?.id ?? null;
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      try {
        if (props.graphId) {
          const list = await client.runs.list.query({
            graphId: props.graphId,
            status: ["succeeded"],
            limit: 30,
          });
          // The images of the head version (as the library's thumbnail), e.g. after a restore.
          const last = list.items.find((r) => r.graphVersionId === headId) ?? list.items[0];
          if (last && !cancelled) {
            const run = await client.runs.get.query({ id: last.id });
            if (!cancelled) runs.showResults(resultsByNode(run.artifacts, run.seeds), run.id);
          }
        }
        if (!cancelled) await resumeRuns();
      } catch {
        // no history to show
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [client, runs, props.graphId, headId, resumeRuns]);

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

  const onPick = useCallback(
    (def: NodeDefinition) => {
      const req = search;
      setSearch(null);
      if (!req) return;
      const id = store.addNode(def.id, req.position);
      const from = req.connectFrom;
      if (!id || !from) return;
      const port = compatiblePort(def, { socket: from.socket, handleType: from.handleType });
      if (!port) return;
      const link =
        from.handleType === "source"
          ? { source: from.nodeId, sourceHandle: from.handleId, target: id, targetHandle: port }
          : { source: id, sourceHandle: port, target: from.nodeId, targetHandle: from.handleId };
      const r = store.connect(link);
      if (!r.ok) notify(r.reason, "error");
      else validation.clearNode(link.target);
    },
    [search, store, notify, validation],
  );

  const run = useCallback(() => void runner.enqueue(), [runner]);
  // Problems found on another state of the graph would mislead: undo/redo clears them.
  const undo = useCallback(() => {
    store.undo();
    validation.set([]);
  }, [store, validation]);
  const redo = useCallback(() => {
    store.redo();
    validation.set([]);
  }, [store, validation]);
  const save = useCallback(() => void persistence.save(), [persistence]);

  const ensureSaved = useCallback(async () => {
    if (persistence.state === "saved" && persistence.graphId && persistence.headVersion.id)
      return { graphId: persistence.graphId, versionId: persistence.headVersion.id };
    return persistence.save();
  }, [persistence]);

  const duplicate = useCallback(() => store.paste(store.selectedFragment(), { x: 40, y: 40 }), [store]);

  const groupSelection = useCallback(() => {
    const sel = store.getState().nodes.filter((n) => n.selected && n.type !== "frame");
    if (sel.length === 0) {
      const { position } = viewCentre();
      store.addFrame({ x: position.x - 200, y: position.y - 40, width: 400, height: 300 });
      return;
    }
    const xs = sel.map((n) => n.position.x);
    const ys = sel.map((n) => n.position.y);
    const x2 = sel.map((n) => n.position.x + (n.measured?.width ?? 250));
    const y2 = sel.map((n) => n.position.y + (n.measured?.height ?? 150));
    const x = Math.min(...xs) - 20;
    const y = Math.min(...ys) - 50;
    store.addFrame({ x, y, width: Math.max(...x2) + 20 - x, height: Math.max(...y2) + 20 - y });
  }, [store, viewCentre]);

  const autoLayout = useCallback(() => {
    const { nodes, edges } = store.getState();
    store.setPositions(layoutPositions(nodes, edges));
    requestAnimationFrame(() => void rf.fitView({ padding: 0.1, duration: 200 }));
  }, [store, rf]);

  useShortcuts({
    run,
    save,
    undo,
    redo,
    search: () => setSearch(viewCentre()),
    deleteSelection: () => store.deleteSelected(),
    duplicate,
    bypass: () => store.toggleMode("bypass"),
    mute: () => store.toggleMode("mute"),
    group: groupSelection,
    selectAll: () =>
      store.onNodesChange(store.getState().nodes.map((n) => ({ type: "select", id: n.id, selected: true }))),
  });

  useClipboard(store, viewCentre, rf.screenToFlowPosition);
  const { importFiles, exportJson, exportComfy, newFrom } = useGraphFiles(store, notify);
  const dropFiles = useFileDrop({ store, importFiles, viewCentre, notify });
  useTabTitle(store);

  // "New" opens the scratch editor on the template; this browser's copy of the work is written first.
  const flushBackup = persistence.flushBackup;
  const onNewFrom = useCallback(
    (templateId: string | null) => {
      flushBackup();
      newFrom(templateId);
    },
    [flushBackup, newFrom],
  );

  const showRun = useCallback(
    async (runId: string) => {
      try {
        const r = await client.runs.get.query({ id: runId });
        runs.showResults(resultsByNode(r.artifacts, r.seeds), r.id);
      } catch (e) {
        notify(errorMessage(e), "error");
      }
    },
    [client, runs, notify],
  );

  return (
    <EditorContext.Provider value={ctx}>
      <div className="pf-app">
        <Toolbar
          onUndo={undo}
          onRedo={redo}
          saveState={persistence.state}
          versionNumber={persistence.headVersion.number}
          onSave={save}
          onRun={run}
          onLayout={autoLayout}
          onGroup={groupSelection}
          onNote={() => store.addNote(viewCentre().position)}
          onExport={(format) =>
            format === "petalflow"
              ? exportJson()
              : void exportComfy(format === "comfy-api" ? "api" : "workflow")
          }
          onImportFiles={(f) => void importFiles(f)}
          onNewFrom={onNewFrom}
        />
        <div className={`pf-workspace${panel ? "" : " pf-workspace--no-panel"}`}>
          <NodePalette onAdd={addAtCentre} />
          <FlowCanvas onDropFiles={(f, at) => void dropFiles(f, at)}>
            <TemplatePicker onPick={onNewFrom} />
            {importReport && <ImportReport report={importReport} onDismiss={dismissImportReport} />}
          </FlowCanvas>
          <SidePanel
            tab={panel}
            onTab={setPanel}
            graphId={graphId}
            notify={notify}
            results={results}
            sweepSource={sweepSource}
            onClearSweepSource={() => setSweepSource({ document: null, label: "the graph on the canvas" })}
            onSeeds={(count, from) => void runner.enqueue({ count, seeds: "sequential" }, from ?? undefined)}
            onSweep={(axes, label, from, axisInfo) => {
              void runner.sweep(axes, label, from ?? undefined).then((runIds) => {
                if (runIds) setResults((r) => [{ runIds, label, axes: axisInfo }, ...r].slice(0, 6));
              });
            }}
            onUseSeed={(s) => applySeed(s)}
            onRerun={(id, seed) => void runner.rerun(id, seed)}
            onSweepFrom={(document, label) => {
              setSweepSource({ document, label });
              setPanel("results");
            }}
            onUseSeeds={(seeds) => {
              for (const [key, seed] of Object.entries(seeds))
                applySeed(seed, key.slice(0, key.lastIndexOf(".")));
            }}
            onShowRun={(id) => void showRun(id)}
            ensureSaved={ensureSaved}
          />
        </div>
        <StatusLine message={status} onDismiss={() => setStatus(null)}>
          <RunProgress />
        </StatusLine>
      </div>
      {search && <NodeSearch request={search} onPick={onPick} onClose={() => setSearch(null)} />}
    </EditorContext.Provider>
  );
}
