"use client";
/**
 * A batch or sweep as a labelled image grid: one cell per run, in the order they were queued (for a
 * two-axis sweep: rows = first axis, columns = second). Cells fill in as runs finish.
 */
import { useQueries } from "@tanstack/react-query";
import { useTRPC } from "@/app/_lib/trpc";

export interface ResultSet {
  runIds: string[];
  label: string;
  /** Axis names and values, for a sweep's row/column headers. */
  axes?: { name: string; values: string[] }[];
}

const FINISHED = new Set(["succeeded", "failed", "cancelled", "interrupted"]);

export function ResultsGrid({ set, onUseSeed }: { set: ResultSet; onUseSeed(seed: string): void }) {
  const trpc = useTRPC();
  const runs = useQueries({
    queries: set.runIds.map((id) => ({
      ...trpc.runs.get.queryOptions({ id }),
      refetchInterval: (q: { state: { data?: { status: string } } }) =>
        q.state.data && FINISHED.has(q.state.data.status) ? false : 1000,
    })),
  });
  const cols = set.axes?.length === 2 ? set.axes[1].values.length : Math.min(set.runIds.length, 4);
  const done = runs.filter((r) => r.data && FINISHED.has(r.data.status)).length;
  return (
    <section data-testid="results-grid" aria-label={`Results: ${set.label}`}>
      <h3>
        {set.label} — {done}/{set.runIds.length} done
      </h3>
      {set.axes?.length === 2 && (
        <p className="pf-muted">
          rows: {set.axes[0].name} · columns: {set.axes[1].name}
        </p>
      )}
      <div className="pf-grid" style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}>
        {runs.map((q, i) => {
          const r = q.data;
          const image = r?.images[0];
          const seed = image?.seed ?? (r ? Object.values(r.seeds)[0] : undefined);
          return (
            <figure key={set.runIds[i]} data-testid="grid-cell" data-status={r?.status ?? "loading"}>
              {image ? (
                // biome-ignore lint/performance/noImgElement: run artifacts served by our API
                <img src={image.url} alt={r?.label ?? `Result ${i + 1}`} />
              ) : (
                <div className="pf-grid__cell--pending pf-muted">{r?.status ?? "…"}</div>
              )}
              <figcaption>
                <span data-testid="grid-label">{r?.label ?? `#${i + 1}`}</span>
                {seed && (
                  <button
                    type="button"
                    className="pf-link-button"
                    title={`Use seed ${seed} in the graph`}
                    onClick={() => onUseSeed(seed)}
                  >
                    use seed
                  </button>
                )}
              </figcaption>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
