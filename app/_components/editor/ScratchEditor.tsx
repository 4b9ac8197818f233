"use client";
/**
 * "/": an editor for a graph not saved yet. A first visit opens the default Text to image graph, ready
 * to run (as ComfyUI opens its default workflow); later visits restore this browser's backup.
 * "/?new=<template id | empty>" (New ▾ from a saved graph) opens a template instead; the graph it
 * replaces stays one Ctrl+Z away. Nothing enters the library until the first save.
 */
import { useSearchParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { clearRecentRuns, readBackup } from "@/app/_lib/local-backup";
import { DEFAULT_TEMPLATE_ID, newDocument, templateNotice } from "@/app/_lib/templates";
import { canonicalJson, type GraphDocument } from "@/core/graph/document";
import { Editor } from "./Editor";

interface Opened {
  document: GraphDocument;
  /** The scratch graph a "New" replaced (kept in the undo history). */
  replaces?: GraphDocument;
  notice: string;
}

function open(requested: string | null): Opened {
  const backup = readBackup(null);
  if (requested !== null) {
    const document = newDocument(requested === "empty" ? null : requested);
    // A reload must restore the work, not reopen the template.
    window.history.replaceState(null, "", "/");
    clearRecentRuns(null);
    const keep =
      backup &&
      backup.document.nodes.length > 0 &&
      canonicalJson(backup.document) !== canonicalJson(document);
    return {
      document,
      replaces: keep ? backup.document : undefined,
      notice:
        templateNotice(document) ??
        (keep
          ? "New empty graph (Ctrl+Z brings back the previous one). Double-click the canvas or press / to add a node"
          : "Double-click the canvas or press / to add a node, or start from a template"),
    };
  }
  if (backup)
    return {
      document: backup.document,
      notice:
        templateNotice(backup.document) ??
        (backup.document.nodes.length > 0
          ? "Restored your unsaved graph from this browser"
          : "Double-click the canvas or press / to add a node, or start from a template"),
    };
  const document = newDocument(DEFAULT_TEMPLATE_ID);
  return { document, notice: templateNotice(document) ?? "" };
}

let opens = 0;

export function ScratchEditor() {
  const requested = useSearchParams().get("new");
  const [opened, setOpened] = useState<(Opened & { key: number }) | null>(null);
  const handled = useRef<string | null>(null);
  // localStorage exists only in the browser: decide after mount, and again on each "New" (open()
  // then drops ?new= from the address, which comes back here as null: nothing to open).
  useEffect(() => {
    if (requested === null) {
      handled.current = null;
      if (opened) return;
    } else if (requested === handled.current) return;
    handled.current = requested;
    setOpened({ ...open(requested), key: ++opens });
  }, [requested, opened]);
  if (!opened) return <p className="pf-page pf-muted">Loading…</p>;
  return (
    <Editor
      key={opened.key}
      graphId={null}
      graphName={null}
      head={null}
      document={opened.document}
      replaces={opened.replaces}
      notice={opened.notice}
    />
  );
}
