/** The node search box: where it was opened, and the node picked from it (linked when it was a drag's). */
import { useCallback, useState } from "react";
import type { EditorStore } from "@/app/_lib/editor-store";
import { compatiblePort } from "@/app/_lib/node-search";
import type { SearchRequest } from "@/app/_lib/search-request";
import type { ValidationStore } from "@/app/_lib/validation-store";
import type { NodeDefinition } from "@/core/node/define";

export function useNodeSearch(
  store: EditorStore,
  validation: ValidationStore,
  notify: (text: string, kind?: "info" | "error") => void,
) {
  const [search, setSearch] = useState<SearchRequest | null>(null);
  const onPick = useCallback(
    (def: NodeDefinition) => {
      const req = search;
      setSearch(null);
      if (!req) return;
      const id = store.addNode(def.id, req.position);
      const from = req.connectFrom;
      if (!id || !from) return;
      const port = compatiblePort(def, { socket: from.socket, handleType: from.handleType });
      if (!port) return;
      const link =
        from.handleType === "source"
          ? { source: from.nodeId, sourceHandle: from.handleId, target: id, targetHandle: port }
          : { source: id, sourceHandle: port, target: from.nodeId, targetHandle: from.handleId };
      const r = store.connect(link);
      if (!r.ok) notify(r.reason, "error");
      else validation.clearNode(link.target);
    },
    [search, store, notify, validation],
  );
  const close = useCallback(() => setSearch(null), []);
  return { search, open: setSearch, close, onPick };
}
