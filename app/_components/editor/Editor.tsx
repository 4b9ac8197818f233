"use client";
/**
 * The graph editor: toolbar, node palette, canvas and side panels around one document store. It owns
 * the stores (document, live run state, validation problems) and wires shortcuts, clipboard, autosave,
 * running, import/export and templates to them, each through a named hook (use-*.ts).
 */
import { ReactFlowProvider } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { type EditorActions, EditorContext, type EditorContextValue } from "@/app/_lib/editor-context";
import { EditorStore } from "@/app/_lib/editor-store";
import {
  dropImportReport,
  keepImportReport,
  nodeProblemsOf,
  readImportReport,
  withoutNode,
} from "@/app/_lib/import-report";
import { RunStore } from "@/app/_lib/run-store";
import { comparableJson, seedUpdates } from "@/app/_lib/seed-control";
import { templateOf } from "@/app/_lib/templates";
import { ValidationStore } from "@/app/_lib/validation-store";
import type { GraphDocument } from "@/core/graph/document";
import { parseSeed } from "@/core/node/define";
import { FlowCanvas } from "../canvas/FlowCanvas";
import { NodePalette } from "../canvas/NodePalette";
import { StatusLine } from "../canvas/StatusLine";
import type { ResultSet } from "../panels/ResultsGrid";
import type { SweepSource } from "../panels/ResultsPanel";
import { ImportReport, NodeSearch, preloadEditorParts } from "./lazy-parts";
import { type PanelTab, SidePanel } from "./SidePanel";
import { TemplatePicker } from "./TemplatePicker";
import { RunProgress, Toolbar } from "./Toolbar";
import { useCanvasPlacement } from "./use-canvas-placement";
import { useClipboard } from "./use-clipboard";
import { useFileDrop } from "./use-file-drop";
import { useGraphFiles } from "./use-graph-files";
import { useNodeSearch } from "./use-node-search";
import { usePersistence } from "./use-persistence";
import { useRunResults } from "./use-run-results";
import { useRunner } from "./use-runner";
import { useShortcuts } from "./use-shortcuts";
import { useStatus } from "./use-status";
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

/** The parts left out of the first scripts (lazy-parts.tsx), fetched once the opened editor is idle. */
function usePreloadWhenIdle() {
  useEffect(() => {
    const preload = () => void preloadEditorParts().catch(() => undefined);
    if (typeof requestIdleCallback === "function") {
      const id = requestIdleCallback(preload, { timeout: 5000 });
      return () => cancelIdleCallback(id);
    }
    const id = setTimeout(preload, 1000);
    return () => clearTimeout(id);
  }, []);
}

/** The editor's stores: the document (one Ctrl+Z from the graph it replaced), live runs, problems. */
function useEditorStores(props: EditorProps) {
  const [store] = useState(() => {
    if (!props.replaces) return new EditorStore(props.document);
    const s = new EditorStore(props.replaces);
    s.load(props.document, { resetHistory: false });
    return s;
  });
  const [runs] = useState(() => new RunStore());
  const [validation] = useState(() => new ValidationStore());
  return { store, runs, validation };
}

/** The side panel's tab, the result sets it lists, and the graph a sweep starts from. */
function useSidePanelState() {
  const [panel, setPanel] = useState<PanelTab | null>("queue");
  const [results, setResults] = useState<ResultSet[]>([]);
  const [sweepSource, setSweepSource] = useState<SweepSource>(CANVAS_SOURCE);
  const addResults = useCallback((set: ResultSet) => setResults((r) => [set, ...r].slice(0, 6)), []);
  return { panel, setPanel, results, addResults, sweepSource, setSweepSource };
}
const CANVAS_SOURCE: SweepSource = { document: null, label: "the graph on the canvas" };

/** "Use this seed": sets every unlinked seed widget (or one node's) without touching anything else. */
function useApplySeed(store: EditorStore, notify: (text: string, kind?: "info" | "error") => void) {
  return useCallback(
    (seed: string, nodeId?: string) => {
      const parsed = parseSeed(seed);
      if (parsed === null) return;
      store.checkpoint();
      const updates = seedUpdates(store.toDocument(), parsed, nodeId);
      store.setParamsQuietly(updates);
      notify(
        updates.length ? `Seed set to ${seed}` : "This graph has no seed to set",
        updates.length ? "info" : "error",
      );
    },
    [store, notify],
  );
}

/** A graph just imported from ComfyUI / A1111: what did not come over, listed and shown on its nodes. */
function useImportReport(graphId: string | null, validation: ValidationStore) {
  const [importReport, setImportReport] = useState(() =>
    graphId && typeof window !== "undefined" ? readImportReport(graphId) : null,
  );
  useEffect(() => {
    if (importReport) validation.setImported(nodeProblemsOf(importReport));
  }, [importReport, validation]);
  // Editing a node settles its import problems: they leave the report (and this tab's copy of it).
  useEffect(() => {
    validation.onImportedCleared = (nodeId) =>
      setImportReport((r) => {
        const next = r && withoutNode(r, nodeId);
        if (graphId) next ? keepImportReport(graphId, next) : dropImportReport(graphId);
        return next;
      });
    return () => {
      validation.onImportedCleared = null;
    };
  }, [validation, graphId]);
  const dismissImportReport = useCallback(() => {
    if (graphId) dropImportReport(graphId);
    setImportReport(null);
  }, [graphId]);

  return { importReport, dismissImportReport };
}

function EditorInner(props: EditorProps) {
  const { store, runs, validation } = useEditorStores(props);
  const { status, notify, dismiss } = useStatus(store, props.notice);
  const side = useSidePanelState();
  const { panel, setPanel, addResults } = side;
  const { importReport, dismissImportReport } = useImportReport(props.graphId, validation);

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
      addResults({ runIds, label });
      setPanel("results");
    },
  });
  const showRun = useRunResults({
    runs,
    graphId: props.graphId,
    headId: props.head?.id ?? null,
    resume: runner.resume,
    notify,
  });

  const applySeed = useApplySeed(store, notify);
  const search = useNodeSearch(store, validation, notify);
  const actions: EditorActions = useMemo(
    () => ({ notify, openSearch: search.open, applySeed }),
    [notify, search.open, applySeed],
  );
  const ctx: EditorContextValue = useMemo(
    () => ({ store, runs, validation, actions, readOnly: false }),
    [store, runs, validation, actions],
  );

  const { viewCentre, addAtCentre, groupSelection, autoLayout, screenToFlowPosition } =
    useCanvasPlacement(store);

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

  useShortcuts({
    run,
    save,
    undo,
    redo,
    search: () => search.open(viewCentre()),
    deleteSelection: () => store.deleteSelected(),
    duplicate,
    bypass: () => store.toggleMode("bypass"),
    mute: () => store.toggleMode("mute"),
    group: groupSelection,
    selectAll: () =>
      store.onNodesChange(store.getState().nodes.map((n) => ({ type: "select", id: n.id, selected: true }))),
  });

  useClipboard(store, viewCentre, screenToFlowPosition);
  const { importFiles, exportJson, exportComfy, newFrom } = useGraphFiles(store, notify);
  const dropFiles = useFileDrop({ store, importFiles, viewCentre, notify });
  useTabTitle(store);
  usePreloadWhenIdle();

  // "New" opens the scratch editor on the template; this browser's copy of the work is written first.
  const flushBackup = persistence.flushBackup;
  const onNewFrom = useCallback(
    (templateId: string | null) => {
      flushBackup();
      newFrom(templateId);
    },
    [flushBackup, newFrom],
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
            results={side.results}
            sweepSource={side.sweepSource}
            onClearSweepSource={() => side.setSweepSource(CANVAS_SOURCE)}
            onSeeds={(count, from) => void runner.enqueue({ count, seeds: "sequential" }, from ?? undefined)}
            onSweep={(axes, label, from, axisInfo) => {
              void runner.sweep(axes, label, from ?? undefined).then((runIds) => {
                if (runIds) addResults({ runIds, label, axes: axisInfo });
              });
            }}
            onUseSeed={(s) => applySeed(s)}
            onRerun={(id, seed) => void runner.rerun(id, seed)}
            onSweepFrom={(document, label) => {
              side.setSweepSource({ document, label });
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
        <StatusLine message={status} onDismiss={dismiss}>
          <RunProgress />
        </StatusLine>
      </div>
      {search.search && <NodeSearch request={search.search} onPick={search.onPick} onClose={search.close} />}
    </EditorContext.Provider>
  );
}
