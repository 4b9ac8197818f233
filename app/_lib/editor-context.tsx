"use client";
/**
 * What every canvas component can reach without props: the document store, the live run store, and a
 * few editor actions. The context value never changes after mount, so it causes no re-renders;
 * components pick what they need with `useEditor(selector)` / `useNodeRun(id)`.
 */
import { createContext, useCallback, useContext, useSyncExternalStore } from "react";
import type { EditorState, EditorStore } from "./editor-store";
import type { NodeRunState, RunProgress, RunStore } from "./run-store";
import type { SearchRequest } from "./search-request";
import type { ValidationStore } from "./validation-store";

export interface EditorActions {
  /** A message in the status line (errors are announced to screen readers too). */
  notify(message: string, kind?: "info" | "error"): void;
  openSearch(request: SearchRequest): void;
  /** Copy a result's seed back into the graph's Noise node(s). */
  applySeed(seed: string, nodeId?: string): void;
}

export interface EditorContextValue {
  store: EditorStore;
  runs: RunStore;
  validation: ValidationStore;
  actions: EditorActions;
  readOnly: boolean;
}

export const EditorContext = createContext<EditorContextValue | null>(null);

export function useEditorContext(): EditorContextValue {
  const ctx = useContext(EditorContext);
  if (!ctx) throw new Error("useEditorContext must be used inside <EditorContext.Provider>");
  return ctx;
}

/** Subscribes to a slice of the document state; `selector` must return a stable value (primitive or existing object). */
export function useEditor<T>(selector: (s: EditorState) => T): T {
  const { store } = useEditorContext();
  return useSyncExternalStore(
    store.subscribe,
    () => selector(store.getState()),
    () => selector(store.getState()),
  );
}

/** This node's live run state only: other nodes' progress never re-renders it. */
export function useNodeRun(nodeId: string): NodeRunState | undefined {
  const { runs } = useEditorContext();
  const subscribe = useCallback((fn: () => void) => runs.subscribeNode(nodeId, fn), [runs, nodeId]);
  const get = () => runs.getNode(nodeId);
  return useSyncExternalStore(subscribe, get, get);
}

export function useCurrentRun(): RunProgress | null {
  const { runs } = useEditorContext();
  return useSyncExternalStore(runs.subscribeRun, runs.getCurrent, runs.getCurrent);
}

/** This node's validation problems (from the last validate / enqueue). */
export function useNodeProblems(nodeId: string) {
  const { validation } = useEditorContext();
  const subscribe = useCallback((fn: () => void) => validation.subscribe(nodeId, fn), [validation, nodeId]);
  const get = () => validation.get(nodeId);
  return useSyncExternalStore(subscribe, get, get);
}
