"use client";
/** The right-hand panel: queue, history, results (reruns and sweeps), sharing, system. */
import type { GraphDocument } from "@/core/graph/document";
import { QueuePanel } from "../panels/QueuePanel";
import type { ResultSet } from "../panels/ResultsGrid";
import { ResultsPanel, type ResultsPanelProps, type SweepSource } from "../panels/ResultsPanel";
import { HistoryPanel, SharePanel, SystemPanel } from "./lazy-parts";

export type PanelTab = "queue" | "history" | "results" | "share" | "system";

const TABS: { id: PanelTab; label: string }[] = [
  { id: "queue", label: "Queue" },
  { id: "history", label: "History" },
  { id: "results", label: "Results" },
  { id: "share", label: "Share" },
  { id: "system", label: "System" },
];

interface Props {
  tab: PanelTab | null;
  onTab(tab: PanelTab | null): void;
  graphId: string | null;
  notify(message: string, kind?: "info" | "error"): void;
  results: ResultSet[];
  sweepSource: SweepSource;
  onClearSweepSource(): void;
  onSeeds: ResultsPanelProps["onSeeds"];
  onSweep: ResultsPanelProps["onSweep"];
  onUseSeed: ResultsPanelProps["onUseSeed"];
  onRerun(runId: string, seed: "same" | "random"): void;
  onSweepFrom(document: GraphDocument, label: string): void;
  onUseSeeds(seeds: Record<string, string>): void;
  onShowRun(runId: string): void;
  ensureSaved(): Promise<{ graphId: string; versionId: string } | null>;
}

export function SidePanel(p: Props) {
  if (!p.tab)
    return (
      <button
        type="button"
        className="pf-button pf-side-open"
        onClick={() => p.onTab("queue")}
        aria-label="Open the side panel"
      >
        ◀
      </button>
    );
  return (
    <aside className="pf-side" aria-label="Side panel">
      <div className="pf-tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={p.tab === t.id}
            aria-controls="side-panel-body"
            onClick={() => p.onTab(t.id)}
          >
            {t.label}
          </button>
        ))}
        <button
          type="button"
          aria-label="Close the side panel"
          title="Close"
          style={{ flex: "none", width: 28 }}
          onClick={() => p.onTab(null)}
        >
          ×
        </button>
      </div>
      <div className="pf-panel" id="side-panel-body" role="tabpanel" aria-labelledby={`tab-${p.tab}`}>
        {p.tab === "queue" && <QueuePanel onError={(m) => p.notify(m, "error")} />}
        {p.tab === "history" && (
          <HistoryPanel
            graphId={p.graphId}
            onRerun={p.onRerun}
            onSweepFrom={p.onSweepFrom}
            onUseSeeds={p.onUseSeeds}
            onShow={p.onShowRun}
            notify={p.notify}
          />
        )}
        {p.tab === "results" && (
          <ResultsPanel
            source={p.sweepSource}
            results={p.results}
            onClearSource={p.onClearSweepSource}
            onSeeds={p.onSeeds}
            onSweep={p.onSweep}
            onUseSeed={p.onUseSeed}
          />
        )}
        {p.tab === "share" &&
          (p.graphId ? (
            <SharePanel graphId={p.graphId} ensureSaved={p.ensureSaved} notify={p.notify} />
          ) : (
            <div>
              <p className="pf-muted">Save the graph (Ctrl+S) to share it.</p>
              <SharePanel graphId={null} ensureSaved={p.ensureSaved} notify={p.notify} />
            </div>
          ))}
        {p.tab === "system" && <SystemPanel notify={p.notify} />}
      </div>
    </aside>
  );
}
