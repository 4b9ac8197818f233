/** The React Flow node and edge types the canvas uses: one generic "petal" node plus frames and notes. */
import type { Edge, Node } from "@xyflow/react";
import type { NodeMode } from "@/core/graph/document";
import type { SocketType } from "@/core/node/sockets";

export interface PetalNodeData extends Record<string, unknown> {
  /** Node type id from the registry ("unet-step"). */
  type: string;
  version: number;
  params: Record<string, unknown>;
  title?: string;
  mode: NodeMode;
  /** The node's colour (#rrggbb), chosen from its context menu. */
  color?: string;
}
export interface FrameNodeData extends Record<string, unknown> {
  title: string;
  color?: string;
}
export interface NoteNodeData extends Record<string, unknown> {
  text: string;
}

export type PetalNode = Node<PetalNodeData, "petal">;
export type FrameNode = Node<FrameNodeData, "frame">;
export type NoteNode = Node<NoteNodeData, "note">;
export type FlowNode = PetalNode | FrameNode | NoteNode;

export interface LinkData extends Record<string, unknown> {
  socket?: SocketType;
}
export type FlowEdge = Edge<LinkData>;

export const isPetal = (n: FlowNode): n is PetalNode => n.type === "petal";
export const isFrame = (n: FlowNode): n is FrameNode => n.type === "frame";
export const isNote = (n: FlowNode): n is NoteNode => n.type === "note";
