/**
 * Fuzzy node search over the registry (title, aliases, id, category, description, port names). Aliases
 * are other names people search for — ComfyUI's ("KSampler", "CLIP Text Encode", "Empty Latent Image")
 * — declared with each node type. When a link is being dropped, only node types that can take (or
 * give) that socket type are offered.
 */
import Fuse from "fuse.js";
import type { NodeDefinition } from "@/core/node/define";
import type { SocketType } from "@/core/node/sockets";
import { NODE_DEFINITIONS } from "@/nodes/registry";
import { firstCompatibleInput, firstCompatibleOutput } from "./connections";

interface Entry {
  def: NodeDefinition;
  title: string;
  aliases: readonly string[];
  id: string;
  category: string;
  description: string;
  ports: string;
}

const ENTRIES: Entry[] = NODE_DEFINITIONS.map((def) => ({
  def,
  title: def.title,
  aliases: def.aliases ?? [],
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
      { name: "aliases", weight: 3 },
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

/** The alias that best explains why `def` matched `query` (shown beside the title), if any. */
export function matchedAlias(def: NodeDefinition, query: string): string | null {
  const q = query
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
  if (q.length < 3) return null;
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (norm(def.title).includes(q)) return null;
  return def.aliases?.find((a) => norm(a).includes(q)) ?? null;
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
