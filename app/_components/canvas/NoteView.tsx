"use client";
/** A free-text note on the canvas (not part of the computation, but saved with the graph). */
import { type NodeProps, NodeResizer } from "@xyflow/react";
import { memo } from "react";
import { useEditorContext } from "@/app/_lib/editor-context";
import type { NoteNode } from "@/app/_lib/flow-types";

export const NoteView = memo(function NoteView({ id, data, selected }: NodeProps<NoteNode>) {
  const { store, readOnly } = useEditorContext();
  return (
    <div className="pf-note" data-testid="note">
      {!readOnly && (
        <NodeResizer
          isVisible={selected}
          minWidth={140}
          minHeight={60}
          onResizeStart={() => store.checkpoint()}
        />
      )}
      <textarea
        className="pf-note__text nodrag nowheel"
        aria-label="Note"
        placeholder="Note…"
        value={data.text}
        readOnly={readOnly}
        onChange={(e) => store.setNoteText(id, e.target.value)}
      />
    </div>
  );
});
