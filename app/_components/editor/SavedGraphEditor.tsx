"use client";
/**
 * /graphs/[id]: loads the graph and opens the newest copy of the work — this browser's backup if it is
 * newer than the server's draft, else the draft, else the head version.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo } from "react";
import { readBackup } from "@/app/_lib/local-backup";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import { canonicalJson, emptyDocument } from "@/core/graph/document";
import { Editor, type EditorProps } from "./Editor";

export function SavedGraphEditor({ id }: { id: string }) {
  const trpc = useTRPC();
  // Always the server's head at open: a cached copy from an earlier visit would hide a version
  // restored since (and saving from it would silently undo the restore).
  const graph = useQuery({
    ...trpc.graphs.get.queryOptions({ id }),
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnMount: "always",
    retry: 1,
  });
  const fresh = graph.isFetchedAfterMount;

  const props = useMemo((): EditorProps | null => {
    const g = graph.data;
    if (!g || !fresh) return null;
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
  }, [graph.data, fresh, id]);

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
