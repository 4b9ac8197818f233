/**
 * Fuzzy node search over the registry (title, id, category, description, port names). When a link is
 * being dropped, only node types that can take (or give) that socket type are offered.
 */
import Fuse from "fuse.js";
import type { NodeDefinition } from "@/nodes/define";
import { NODE_DEFINITIONS } from "@/nodes/registry";
import type { SocketType } from "@/nodes/sockets";
import { firstCompatibleInput, firstCompatibleOutput } from "./connections";

interface Entry {
  def: NodeDefinition;
  title: string;
  id: string;
  category: string;
  description: string;
  ports: string;
}

const ENTRIES: Entry[] = NODE_DEFINITIONS.map((def) => ({
  def,
  title: def.title,
  id: def.id,
  category: def.category,
  description: def.description,
  ports: [...Object.keys(def.inputs), ...Object.keys(def.outputs), ...Object.keys(def.widgets)].join(" "),
}));

let fuse: Fuse<Entry> | null = null;
function index(): Fuse<Entry> {
  fuse ??= new Fuse(ENTRIES, {
    keys: [
      { name: "title", weight: 3 },
      { name: "id", weight: 2 },
      { name: "category", weight: 1 },
      { name: "ports", weight: 0.7 },
      { name: "description", weight: 0.3 },
    ],
    threshold: 0.4,
    ignoreLocation: true,
  });
  return fuse;
}

export interface SearchFilter {
  socket: SocketType;
  /** "source": the new node needs an input accepting `socket`; "target": an output feeding it. */
  handleType: "source" | "target";
}

export function compatiblePort(def: NodeDefinition, filter: SearchFilter): string | null {
  return filter.handleType === "source"
    ? firstCompatibleInput(def, filter.socket)
    : firstCompatibleOutput(def, filter.socket);
}

export function searchNodes(query: string, filter?: SearchFilter): NodeDefinition[] {
  const q = query.trim();
  const defs = q
    ? index()
        .search(q)
        .map((r) => r.item.def)
    : ENTRIES.map((e) => e.def);
  return filter ? defs.filter((d) => compatiblePort(d, filter) !== null) : defs;
}
