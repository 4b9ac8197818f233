/**
 * The status line's message: `notify` replaces it; a message about nodes (their problems, a failed
 * run) goes when those nodes are deleted.
 */
import { useCallback, useEffect, useState } from "react";
import type { EditorStore } from "@/app/_lib/editor-store";
import { messageStillApplies, type StatusMessage } from "../canvas/StatusLine";

let messageId = 0;

export function useStatus(store: EditorStore, notice?: string) {
  const [status, setStatus] = useState<StatusMessage | null>(
    notice ? { id: ++messageId, text: notice, kind: "info" } : null,
  );
  const notify = useCallback((text: string, kind: "info" | "error" = "info", about?: string[]) => {
    setStatus({ id: ++messageId, text, kind, about });
  }, []);
  useEffect(
    () =>
      store.subscribe(() =>
        setStatus((s) =>
          s?.about?.length && !messageStillApplies(s, new Set(store.getState().nodes.map((n) => n.id)))
            ? null
            : s,
        ),
      ),
    [store],
  );
  const dismiss = useCallback(() => setStatus(null), []);
  return { status, notify, dismiss };
}
