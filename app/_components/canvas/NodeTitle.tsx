"use client";
/** A node's title; double-click to rename it (the title is saved with the graph; empty = the type's name). */
import { useState } from "react";
import { useEditorContext } from "@/app/_lib/editor-context";

export function NodeTitle({
  nodeId,
  title,
  fallback,
}: {
  nodeId: string;
  title: string | undefined;
  fallback: string;
}) {
  const { store, readOnly } = useEditorContext();
  const [editing, setEditing] = useState(false);
  if (editing)
    return (
      <input
        className="pf-input nodrag pf-node__title-input"
        aria-label="Node title"
        defaultValue={title ?? fallback}
        // biome-ignore lint/a11y/noAutofocus: the user just asked to rename this node
        autoFocus
        onBlur={(e) => {
          const v = e.target.value.trim();
          store.setPetalData(nodeId, { title: v && v !== fallback ? v : undefined });
          setEditing(false);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") e.currentTarget.blur();
          if (e.key === "Escape") setEditing(false);
        }}
      />
    );
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: double-click to rename, as in ComfyUI
    <span
      className="pf-node__title"
      title={readOnly ? undefined : "Double-click to rename"}
      onDoubleClick={() => !readOnly && setEditing(true)}
    >
      {title || fallback}
    </span>
  );
}
