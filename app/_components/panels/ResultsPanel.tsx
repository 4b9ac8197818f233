"use client";
/**
 * Reruns and sweeps: N seeds, or a grid over one or two parameters (CFG, steps, …), of the graph on
 * the canvas or of a past run; the results show as labelled grids.
 */
import { useState } from "react";
import { useEditorContext } from "@/app/_lib/editor-context";
import type { GraphDocument } from "@/core/graph/document";
import type { WidgetSpec } from "@/core/node/define";
import { registry } from "@/nodes/registry";
import { type ResultSet, ResultsGrid } from "./ResultsGrid";

export interface SweepSource {
  /** A past run's document; null: the graph on the canvas. */
  document: GraphDocument | null;
  label: string;
}

export interface ResultsPanelProps {
  source: SweepSource;
  results: ResultSet[];
  onClearSource(): void;
  onSeeds(count: number, from: GraphDocument | null): void;
  onSweep(
    axes: { nodeId: string; param: string; values: (string | number | boolean)[] }[],
    label: string,
    from: GraphDocument | null,
    axisInfo: ResultSet["axes"],
  ): void;
  onUseSeed(seed: string): void;
}

interface ParamChoice {
  key: string;
  nodeId: string;
  param: string;
  label: string;
  spec: WidgetSpec;
}

function sweepableParams(doc: GraphDocument): ParamChoice[] {
  const out: ParamChoice[] = [];
  for (const n of doc.nodes) {
    const def = registry.get(n.type);
    if (!def) continue;
    for (const [param, spec] of Object.entries(def.widgets)) {
      if (!["int", "float", "seed", "enum", "boolean"].includes(spec.kind)) continue;
      out.push({
        key: `${n.id}.${param}`,
        nodeId: n.id,
        param,
        spec,
        label: `${n.title || def.title} (${n.id}) · ${spec.label ?? param}`,
      });
    }
  }
  return out;
}

/** "5, 7.5, 10" → typed values for the widget; throws a message naming the bad entry. */
export function parseValues(text: string, spec: WidgetSpec): (string | number | boolean)[] {
  const parts = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error("give at least one value");
  return parts.map((p) => {
    switch (spec.kind) {
      case "int":
      case "float": {
        const n = Number(p);
        if (!Number.isFinite(n) || (spec.kind === "int" && !Number.isInteger(n)))
          throw new Error(`"${p}" is not a${spec.kind === "int" ? "n integer" : " number"}`);
        return n;
      }
      case "boolean":
        if (p !== "true" && p !== "false") throw new Error(`"${p}" is not true or false`);
        return p === "true";
      case "seed":
        if (!/^\d{1,20}$/.test(p)) throw new Error(`"${p}" is not a seed`);
        return Number.isSafeInteger(Number(p)) ? Number(p) : p;
      default:
        return p;
    }
  });
}

export function ResultsPanel(p: ResultsPanelProps) {
  const { store } = useEditorContext();
  const [count, setCount] = useState(4);
  const doc = p.source.document ?? store.toDocument();
  const params = sweepableParams(doc);
  const [axis1, setAxis1] = useState<{ key: string; values: string }>({ key: "", values: "" });
  const [axis2, setAxis2] = useState<{ key: string; values: string }>({ key: "", values: "" });
  const [error, setError] = useState<string | null>(null);

  const submitGrid = () => {
    try {
      const axes = [axis1, axis2]
        .filter((a) => a.key)
        .map((a) => {
          const choice = params.find((c) => c.key === a.key);
          if (!choice) throw new Error(`unknown parameter ${a.key}`);
          return { choice, values: parseValues(a.values, choice.spec) };
        });
      if (axes.length === 0) throw new Error("choose a parameter to sweep");
      setError(null);
      const label = axes
        .map((a) => `${a.choice.spec.label ?? a.choice.param} × ${a.values.length}`)
        .join(" by ");
      p.onSweep(
        axes.map((a) => ({ nodeId: a.choice.nodeId, param: a.choice.param, values: a.values })),
        label,
        p.source.document,
        axes.map((a) => ({ name: a.choice.spec.label ?? a.choice.param, values: a.values.map(String) })),
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div data-testid="results-panel">
      <p>
        Source: <strong>{p.source.label}</strong>{" "}
        {p.source.document && (
          <button type="button" className="pf-link-button" onClick={p.onClearSource}>
            use the canvas instead
          </button>
        )}
      </p>
      <h3>Seeds</h3>
      <div className="pf-row__head">
        <label htmlFor="sweep-count">Runs</label>
        <input
          id="sweep-count"
          className="pf-input"
          style={{ width: 64 }}
          type="number"
          min={1}
          max={16}
          value={count}
          onChange={(e) => setCount(Math.max(1, Math.min(16, Number(e.target.value) || 1)))}
        />
        <button
          type="button"
          className="pf-button pf-button--small"
          data-testid="run-seeds"
          onClick={() => p.onSeeds(count, p.source.document)}
        >
          Run {count} seeds
        </button>
      </div>
      <h3>Parameter grid</h3>
      {[
        { id: "axis1", state: axis1, set: setAxis1, label: "Rows" },
        { id: "axis2", state: axis2, set: setAxis2, label: "Columns (optional)" },
      ].map((a) => (
        <fieldset key={a.id} className="pf-row" style={{ border: "1px solid var(--pf-border)" }}>
          <legend>{a.label}</legend>
          <label htmlFor={`${a.id}-param`} className="pf-visually-hidden">
            {a.label} parameter
          </label>
          <select
            id={`${a.id}-param`}
            className="pf-input"
            value={a.state.key}
            onChange={(e) => a.set({ ...a.state, key: e.target.value })}
          >
            <option value="">(none)</option>
            {params.map((c) => (
              <option key={c.key} value={c.key}>
                {c.label}
              </option>
            ))}
          </select>
          <label htmlFor={`${a.id}-values`} className="pf-visually-hidden">
            {a.label} values
          </label>
          <input
            id={`${a.id}-values`}
            className="pf-input"
            placeholder="values, e.g. 5, 7.5, 10"
            value={a.state.values}
            onChange={(e) => a.set({ ...a.state, values: e.target.value })}
          />
        </fieldset>
      ))}
      {error && (
        <p className="pf-node__error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="pf-button pf-button--small" onClick={submitGrid}>
        Run grid
      </button>
      {p.results.map((set) => (
        <ResultsGrid key={set.runIds.join()} set={set} onUseSeed={p.onUseSeed} />
      ))}
    </div>
  );
}
