/**
 * Results on the canvas: a saved graph opens with the images of its latest run (the head version's, as
 * the library's thumbnail); a run still queued or running (e.g. across a reload) is followed again; and
 * a past run picked in the side panel shows its images.
 */
import { useCallback, useEffect } from "react";
import { resultsByNode } from "@/app/_lib/run-results";
import type { RunStore } from "@/app/_lib/run-store";
import { errorMessage, useTRPCClient } from "@/app/_lib/trpc";

export function useRunResults(opts: {
  runs: RunStore;
  graphId: string | null;
  headId: string | null;
  resume: () => Promise<unknown>;
  notify: (text: string, kind?: "info" | "error") => void;
}) {
  const client = useTRPCClient();
  const { runs, graphId, headId, resume, notify } = opts;
  useEffect(() => {
    let cancelled = false;
    // Read in the background: a run queued before they answer keeps what it shows (the reads are older).
    const mark = runs.watchMark();
    void (async () => {
      try {
        if (graphId) {
          const list = await client.runs.list.query({ graphId, status: ["succeeded"], limit: 30 });
          const last = list.items.find((r) => r.graphVersionId === headId) ?? list.items[0];
          if (last && !cancelled) {
            const run = await client.runs.get.query({ id: last.id });
            if (!cancelled)
              runs.showResultsUnlessWatched(mark, resultsByNode(run.artifacts, run.seeds), run.id);
          }
        }
        if (!cancelled) await resume();
      } catch {
        // no history to show
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [client, runs, graphId, headId, resume]);

  return useCallback(
    async (runId: string) => {
      try {
        const r = await client.runs.get.query({ id: runId });
        runs.showResults(resultsByNode(r.artifacts, r.seeds), r.id);
      } catch (e) {
        notify(errorMessage(e), "error");
      }
    },
    [client, runs, notify],
  );
}
