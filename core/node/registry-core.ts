/** A registry: node definitions by id. Checked on creation; duplicate ids fail loudly. */
import type { NodeDefinition } from "./define";

export interface NodeRegistry {
  get(id: string): NodeDefinition | undefined;
  list(): readonly NodeDefinition[];
}

export function createRegistry(defs: readonly NodeDefinition[]): NodeRegistry {
  const byId = new Map<string, NodeDefinition>();
  for (const def of defs) {
    if (byId.has(def.id)) throw new Error(`Node type "${def.id}" is registered twice`);
    byId.set(def.id, def);
  }
  return { get: (id) => byId.get(id), list: () => defs };
}
