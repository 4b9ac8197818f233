import type { SocketType } from "@/core/node/sockets";

/** Where the node search was opened, and (when a link was dropped on empty canvas) what to connect. */
export interface SearchRequest {
  /** Flow coordinates for the new node. */
  position: { x: number; y: number };
  /** Screen coordinates to place the search box near. */
  screen?: { x: number; y: number };
  connectFrom?: {
    nodeId: string;
    handleId: string;
    /** "source": dragged from an output, so the new node needs a compatible input. */
    handleType: "source" | "target";
    socket: SocketType;
  };
}
