"use client";
/**
 * /graphs/[id]: loads the graph and opens the newest copy of the work — this browser's backup if it is
 * newer than the server's draft, else the draft, else the head version.
 *
 * The page hands over the server's read of the graph taken while it rendered (`opened`), so the editor
 * opens as soon as the page has hydrated. Each read opens the editor once: a page shown again from the
 * router's cache (Back) asks the server afresh, as does a page whose read failed (its error comes from
 * that request, as always).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { readBackup } from "@/app/_lib/local-backup";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import type { GraphAtOpen } from "@/core/graph/at-open";
import { canonicalJson, emptyDocument } from "@/core/graph/document";
import { Editor, type EditorProps } from "./Editor";

/** Server reads already opened in this tab (see the module comment). */
const usedReads = new Set<string>();
const noSubscription = () => () => {};

export function SavedGraphEditor({ id, opened }: { id: string; opened?: GraphAtOpen | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = trpc.graphs.get.queryOptions({ id });
  // The server's read, when this page brings one not used before: it is the server's head at open. It
  // goes into the query's cache before the query starts, so later refreshes (after a save) work as before.
  const [read] = useState(() => {
    if (!opened || opened.graphId !== id || usedReads.has(opened.readId)) return null;
    queryClient.setQueryData(options.queryKey, JSON.parse(opened.json));
    return opened;
  });
  useEffect(() => {
    if (read) usedReads.add(read.readId);
  }, [read]);
  // Always the server's head at open: a cached copy from an earlier visit would hide a version
  // restored since (and saving from it would silently undo the restore).
  const graph = useQuery({
    ...options,
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnMount: read ? false : "always",
    retry: 1,
  });
  const fresh = read !== null || graph.isFetchedAfterMount;
  // The editor is built in the browser only (it reads this browser's backup); the server's HTML is the
  // loading line, and the editor replaces it right after hydration.
  const inBrowser = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );

  const props = useMemo((): EditorProps | null => {
    const g = graph.data;
    if (!g || !fresh || !inBrowser) return null;
    const head = g.headVersion
      ? { id: g.headVersion.id, number: g.headVersion.number, document: g.headVersion.document }
      : null;
    let document = g.draft?.document ?? head?.document ?? emptyDocument(g.name);
    let notice: string | undefined = g.draft
      ? "Opened your autosaved draft (not yet saved as a version)"
      : undefined;
    const backup = readBackup(id);
    const serverTime = Math.max(g.draft ? Date.parse(g.draft.updatedAt) : 0, Date.parse(g.updatedAt));
    // The backup wins only when it is newer, was made on the same head (not before a restore or a save
    // elsewhere) and really differs: e.g. the server was down while editing, or the tab closed too soon.
    if (
      backup &&
      backup.savedAt > serverTime &&
      backup.baseVersionId === (head?.id ?? null) &&
      canonicalJson(backup.document) !== canonicalJson(document)
    ) {
      document = backup.document;
      notice = "Restored unsaved changes kept in this browser";
    }
    // The library's name is the graph's name (a rename or a copy there is newer than the document's
    // copy of it), so the editor, the card and the next version agree. Not an edit of its own: the
    // head reads the same, and the next save records the name.
    if (document.name !== g.name) document = { ...document, name: g.name };
    if (head && head.document.name !== g.name) head.document = { ...head.document, name: g.name };
    return { graphId: id, graphName: g.name, head, document, notice };
  }, [graph.data, fresh, inBrowser, id]);

  if (graph.error && !props)
    return (
      <div className="pf-page">
        <h1>Cannot open this graph</h1>
        <p role="alert">{errorMessage(graph.error)}</p>
        <Link href="/library">Back to the library</Link>
      </div>
    );
  if (!props) return <p className="pf-page pf-muted">Loading the graph…</p>;
  return <Editor key={id} {...props} />;
}
