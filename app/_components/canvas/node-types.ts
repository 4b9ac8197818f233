/** Module-scope node types: React Flow must receive the same object on every render. */
import type { NodeTypes } from "@xyflow/react";
import { FrameView } from "./FrameView";
import { NodeView } from "./NodeView";
import { NoteView } from "./NoteView";

export const nodeTypes: NodeTypes = { petal: NodeView, frame: FrameView, note: NoteView };
