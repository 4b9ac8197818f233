"use client";
/** A group: a titled, resizable frame drawn behind nodes. Dragging it moves the nodes inside (see FlowCanvas). */
import { type NodeProps, NodeResizer } from "@xyflow/react";
import { memo } from "react";
import { useEditorContext } from "@/app/_lib/editor-context";
import type { FrameNode } from "@/app/_lib/flow-types";

export const FrameView = memo(function FrameView({ id, data, selected }: NodeProps<FrameNode>) {
  const { store, readOnly } = useEditorContext();
  return (
    <div
      className="pf-frame"
      data-testid="group"
      style={data.color ? { borderColor: data.color } : undefined}
    >
      {!readOnly && (
        <NodeResizer
          isVisible={selected}
          minWidth={160}
          minHeight={100}
          onResizeStart={() => store.checkpoint()}
        />
      )}
      <input
        className="pf-frame__title nodrag"
        aria-label="Group title"
        value={data.title}
        readOnly={readOnly}
        onChange={(e) => store.setFrameTitle(id, e.target.value)}
      />
    </div>
  );
});
