"use client";
/** The browser tab shows the graph's name (several open graphs were all "Petalflow"). */
import { useEffect, useSyncExternalStore } from "react";
import type { EditorStore } from "@/app/_lib/editor-store";

export function tabTitle(graphName: string): string {
  const name = graphName.trim();
  return name ? `${name} — Petalflow` : "Untitled — Petalflow";
}

export function useTabTitle(store: EditorStore) {
  const name = useSyncExternalStore(
    store.subscribe,
    () => store.getState().meta.name,
    () => store.getState().meta.name,
  );
  useEffect(() => {
    document.title = tabTitle(name);
  }, [name]);
}
