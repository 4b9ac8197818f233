/**
 * The one mapping between a saved graph document and the canvas's React Flow nodes and edges.
 * Nodes, groups (as "frame" nodes drawn behind) and notes all become React Flow nodes; everything the
 * document holds survives a round trip, and canvas-only state (selection, measurements) never leaks out.
 */

import {
  DOCUMENT_FORMAT,
  DOCUMENT_FORMAT_VERSION,
  type DocumentEdge,
  type DocumentNode,
  type GraphDocument,
} from "@/core/graph/document";
import type { NodeDefinition } from "@/core/node/define";
import { SOCKET_COLORS, type SocketType } from "@/core/node/sockets";
import { registry } from "@/nodes/registry";
import type { FlowEdge, FlowNode, FrameNode, NoteNode, PetalNode } from "./flow-types";

export interface DocumentMeta {
  name: string;
  description: string;
  metadata: Record<string, unknown>;
}

const round = (v: number) => Math.round(v * 10) / 10;

export function documentToFlow(doc: GraphDocument): {
  nodes: FlowNode[];
  edges: FlowEdge[];
  meta: DocumentMeta;
} {
  const frames: FrameNode[] = doc.groups.map((g) => ({
    id: g.id,
    type: "frame",
    position: { x: g.bounds.x, y: g.bounds.y },
    width: g.bounds.width,
    height: g.bounds.height,
    zIndex: -1,
    data: { title: g.title, color: g.color },
  }));
  const petals: PetalNode[] = doc.nodes.map((n) => ({
    id: n.id,
    type: "petal",
    position: { ...n.position },
    ...(n.size ? { width: n.size.width, height: n.size.height } : {}),
    ...(n.pinned ? { draggable: false } : {}),
    data: {
      type: n.type,
      version: n.version,
      params: { ...n.params },
      title: n.title,
      mode: n.mode ?? "normal",
      ...(n.color ? { color: n.color } : {}),
    },
  }));
  const notes: NoteNode[] = doc.notes.map((n) => ({
    id: n.id,
    type: "note",
    position: { ...n.position },
    ...(n.size ? { width: n.size.width, height: n.size.height } : {}),
    data: { text: n.text },
  }));
  const types = new Map(doc.nodes.map((n) => [n.id, n.type]));
  const edges = doc.edges.map((e) => documentEdgeToFlow(e, types.get(e.from.node)));
  return {
    nodes: [...frames, ...petals, ...notes],
    edges,
    meta: { name: doc.name, description: doc.description, metadata: doc.metadata ?? {} },
  };
}

export function documentEdgeToFlow(e: DocumentEdge, sourceType: string | undefined): FlowEdge {
  return linkEdge(e, sourceType ? outputSocket(registry.get(sourceType), e.from.port) : undefined);
}

/** A React Flow edge for a document link, coloured by the socket type it carries. */
export function linkEdge(e: DocumentEdge, socket: SocketType | undefined): FlowEdge {
  return {
    id: e.id,
    source: e.from.node,
    sourceHandle: e.from.port,
    target: e.to.node,
    targetHandle: e.to.port,
    data: { socket },
    ...(socket ? { style: { stroke: SOCKET_COLORS[socket], strokeWidth: 2 } } : {}),
  };
}

function outputSocket(def: NodeDefinition | undefined, port: string): SocketType | undefined {
  return def?.outputs[port]?.type;
}

export function flowToDocument(
  nodes: readonly FlowNode[],
  edges: readonly FlowEdge[],
  meta: DocumentMeta,
): GraphDocument {
  const docNodes: DocumentNode[] = [];
  const groups: GraphDocument["groups"] = [];
  const notes: GraphDocument["notes"] = [];
  for (const n of nodes) {
    const position = { x: round(n.position.x), y: round(n.position.y) };
    if (n.type === "petal") {
      const d = n.data;
      docNodes.push({
        id: n.id,
        type: d.type,
        version: d.version,
        position,
        ...(d.title ? { title: d.title } : {}),
        params: { ...d.params },
        mode: d.mode,
        ...(n.width && n.height ? { size: { width: round(n.width), height: round(n.height) } } : {}),
        ...(d.color ? { color: d.color } : {}),
        ...(n.draggable === false ? { pinned: true } : {}),
      });
    } else if (n.type === "frame") {
      groups.push({
        id: n.id,
        title: n.data.title,
        bounds: {
          ...position,
          width: round(n.width ?? n.measured?.width ?? 300),
          height: round(n.height ?? n.measured?.height ?? 200),
        },
        ...(n.data.color ? { color: n.data.color } : {}),
      });
    } else if (n.type === "note") {
      notes.push({
        id: n.id,
        text: n.data.text,
        position,
        ...(n.width && n.height ? { size: { width: round(n.width), height: round(n.height) } } : {}),
      });
    }
  }
  const docEdges: DocumentEdge[] = edges.map((e) => ({
    id: e.id,
    from: { node: e.source, port: e.sourceHandle ?? "" },
    to: { node: e.target, port: e.targetHandle ?? "" },
  }));
  return {
    format: DOCUMENT_FORMAT,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    name: meta.name,
    description: meta.description,
    nodes: docNodes,
    edges: docEdges,
    groups,
    notes,
    metadata: meta.metadata,
  };
}
