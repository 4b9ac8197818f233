"use client";
/**
 * Never lose an edit: every change is copied to localStorage at once (debounced a little) and, for a
 * saved graph, to the server's draft (debounced more); closing the tab flushes both. Ctrl+S saves a
 * new immutable version (creating the graph on its first save). "Unsaved" compares the document with
 * the last saved version, so undoing back to it reads as saved again.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import type { EditorStore } from "@/app/_lib/editor-store";
import { clearBackup, clearRecentRuns, writeBackup } from "@/app/_lib/local-backup";
import { comparableJson } from "@/app/_lib/seed-control";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";

/** "new": never saved and unchanged since opened (a template, an empty graph): nothing to lose yet. */
export type SaveState = "new" | "saved" | "unsaved" | "saving";

interface Options {
  store: EditorStore;
  graphId: string | null;
  /** `comparableJson` of the head version (null for a graph never saved). */
  savedJson: string | null;
  /** Canonical JSON of the document as opened, for a graph never saved ("new" until it changes). */
  pristineJson?: string | null;
  headVersionId: string | null;
  headVersionNumber: number | null;
  /** The library name of the graph; a save renames it when the document's name changed. */
  graphName: string | null;
  notify(message: string, kind?: "info" | "error"): void;
}

const BACKUP_MS = 300;
const DRAFT_MS = 1500;

export function usePersistence(opts: Options) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { store } = opts;
  const [graphId, setGraphId] = useState(opts.graphId);
  const [headVersion, setHeadVersion] = useState<{ id: string | null; number: number | null }>({
    id: opts.headVersionId,
    number: opts.headVersionNumber,
  });
  const graphName = useRef(opts.graphName);
  const savedJson = useRef(opts.savedJson);
  const pristineJson = useRef(opts.pristineJson ?? null);
  /** What an unedited state reads as: "saved" (equal to the head) or "new" (equal to what was opened). */
  const restingState = useCallback((): SaveState => {
    const json = comparableJson(store.toDocument());
    if (savedJson.current !== null) return json === savedJson.current ? "saved" : "unsaved";
    return json === pristineJson.current ? "new" : "unsaved";
  }, [store]);
  const [state, setState] = useState<SaveState>(restingState);
  const [draftSavedAt, setDraftSavedAt] = useState<Date | null>(null);
  const refs = useRef({ graphId, headVersionId: headVersion.id });
  refs.current = { graphId, headVersionId: headVersion.id };

  const backupNow = useCallback(() => {
    writeBackup(refs.current.graphId, {
      document: store.toDocument(),
      savedAt: Date.now(),
      baseVersionId: refs.current.headVersionId,
    });
  }, [store]);

  const draftNow = useCallback(async () => {
    const id = refs.current.graphId;
    if (!id) return;
    try {
      await client.graphs.saveDraft.mutate({ id, document: store.toDocument() });
      setDraftSavedAt(new Date());
    } catch {
      // The server may be restarting: the localStorage copy holds the edit; the next change retries.
    }
  }, [client, store]);

  // Watch the document: mark unsaved at once, back up soon, draft to the server a little later.
  useEffect(() => {
    let backupTimer: ReturnType<typeof setTimeout> | undefined;
    let draftTimer: ReturnType<typeof setTimeout> | undefined;
    let lastRevision = store.getState().revision;
    const unsubscribe = store.subscribe(() => {
      const { revision } = store.getState();
      if (revision === lastRevision) return;
      lastRevision = revision;
      // A seed moved on by "control after run" is kept (backup, draft) but is not an unsaved edit.
      if (revision !== store.seedMoveRevision) setState("unsaved");
      clearTimeout(backupTimer);
      backupTimer = setTimeout(() => {
        backupNow();
        // Exact comparison, off the keystroke path: undoing back to the saved version is "saved".
        const resting = restingState();
        if (resting !== "unsaved") setState(resting);
      }, BACKUP_MS);
      clearTimeout(draftTimer);
      draftTimer = setTimeout(() => void draftNow(), DRAFT_MS);
    });
    const onUnload = () => backupNow();
    window.addEventListener("beforeunload", onUnload);
    window.addEventListener("pagehide", onUnload);
    return () => {
      unsubscribe();
      clearTimeout(backupTimer);
      clearTimeout(draftTimer);
      window.removeEventListener("beforeunload", onUnload);
      window.removeEventListener("pagehide", onUnload);
    };
  }, [store, backupNow, draftNow, restingState]);

  const save = useCallback(
    async (message?: string) => {
      const document = store.toDocument();
      setState("saving");
      try {
        let id = refs.current.graphId;
        let version: { id: string; number: number; created: boolean };
        let headMoved: { number: number } | null = null;
        if (!id) {
          const res = await client.graphs.create.mutate({
            name: document.name.trim() || "Untitled",
            document,
          });
          id = res.graph.id;
          const head = res.graph.headVersion!;
          version = { id: head.id, number: head.number, created: true };
          clearBackup(null);
          clearRecentRuns(null);
          setGraphId(id);
          refs.current.graphId = id;
          // Keep this editor (and its undo history) mounted: only the address changes.
          window.history.replaceState(null, "", `/graphs/${id}`);
        } else {
          const res = await client.graphs.save.mutate({
            id,
            document,
            message,
            baseVersionId: refs.current.headVersionId ?? undefined,
          });
          version = res.version;
          headMoved = res.headMoved;
          const name = document.name.trim();
          if (name && name !== graphName.current) await client.graphs.rename.mutate({ id, name });
        }
        graphName.current = document.name.trim() || graphName.current;
        savedJson.current = comparableJson(document);
        setHeadVersion({ id: version.id, number: version.number });
        refs.current.headVersionId = version.id;
        backupNow();
        setState(comparableJson(store.toDocument()) === savedJson.current ? "saved" : "unsaved");
        opts.notify(
          (version.created
            ? `Saved version ${version.number}`
            : `No changes since version ${version.number}`) +
            (headMoved && headMoved.number !== version.number
              ? ` — it replaces version ${headMoved.number}, made current elsewhere since you opened this graph (Versions in the library has both)`
              : ""),
        );
        void queryClient.invalidateQueries({ queryKey: trpc.graphs.pathKey() });
        return { graphId: id, versionId: version.id };
      } catch (e) {
        setState("unsaved");
        opts.notify(`Could not save: ${errorMessage(e)}`, "error");
        return null;
      }
    },
    [client, store, backupNow, queryClient, trpc, opts.notify],
  );

  /** After a rename etc. elsewhere: the graph's identity is unchanged, only refresh lists. */
  const renamed = useCallback(
    () => void queryClient.invalidateQueries({ queryKey: trpc.graphs.pathKey() }),
    [queryClient, trpc],
  );

  return { graphId, headVersion, state, draftSavedAt, save, renamed, flushBackup: backupNow };
}
