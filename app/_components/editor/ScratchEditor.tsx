"use client";
/** "/": an editor for a graph not saved yet, restored from this browser's backup when there is one. */
import { useEffect, useState } from "react";
import { readBackup } from "@/app/_lib/local-backup";
import { emptyDocument, type GraphDocument } from "@/server/engine/document";
import { Editor } from "./Editor";

export function ScratchEditor() {
  const [doc, setDoc] = useState<{ document: GraphDocument; restored: boolean } | null>(null);
  // localStorage exists only in the browser: decide after mount.
  useEffect(() => {
    const backup = readBackup(null);
    setDoc(
      backup
        ? { document: backup.document, restored: backup.document.nodes.length > 0 }
        : { document: emptyDocument(), restored: false },
    );
  }, []);
  if (!doc) return <p className="pf-page pf-muted">Loading…</p>;
  return (
    <Editor
      graphId={null}
      graphName={null}
      head={null}
      document={doc.document}
      notice={
        doc.restored
          ? "Restored your unsaved graph from this browser"
          : "Double-click the canvas or press / to add a node"
      }
    />
  );
}
