"use client";
/**
 * The Scheduler node's inline plot: β_t, ᾱ_t or σ_t (log scale) over the training steps t = 0 … T−1,
 * with ticks at the timesteps the chosen sampler will visit (thinned: 1000 ticks merged into a bar) and
 * marks at the timesteps that linked nodes use (the forward-process rows' Add Noise t). Computed in the browser by the
 * same resolveScheduleConfig the node runs, so people see the schedule a run will use as they edit it.
 */
import { memo, useMemo, useState } from "react";
import { schedulePlotData, thinTicks } from "@/app/_lib/schedule-marks";

type Series = "beta" | "alphaBar" | "sigma";
const SERIES_LABELS: Record<Series, string> = { beta: "β_t", alphaBar: "ᾱ_t", sigma: "σ_t (log)" };
const W = 232;
const H = 96;
const PAD = { l: 34, r: 6, t: 6, b: 16 };

interface Props {
  params: Record<string, unknown>;
  /** The linked model's raw scheduler_config.json, when known (for β schedule = "model"). */
  modelConfig?: unknown;
  /** Timesteps that linked nodes use (Add Noise's t), marked on the plot. */
  marks?: readonly number[];
}

export const SchedulePlot = memo(function SchedulePlot({ params, modelConfig, marks = [] }: Props) {
  const [which, setWhich] = useState<Series>("alphaBar");
  // Every parameter (the plot is the run's schedule: resolveScheduleConfig reads them all).
  const key = JSON.stringify(params);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` captures the params that shape the plot
  const data = useMemo(() => schedulePlotData(params, modelConfig), [key, modelConfig]);

  const path = useMemo(() => {
    if (!data.ok) return null;
    const ys = Array.from(data.series[which]);
    const log = which === "sigma";
    const vals = log ? ys.map((v) => Math.log10(Math.max(v, 1e-6))) : ys;
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const span = hi - lo || 1;
    const n = vals.length;
    const x = (i: number) => PAD.l + (i / Math.max(n - 1, 1)) * (W - PAD.l - PAD.r);
    const y = (v: number) => PAD.t + (1 - (v - lo) / span) * (H - PAD.t - PAD.b);
    // At most ~200 points: a 1000-step series drawn in 232 px needs no more.
    const stride = Math.max(1, Math.floor(n / 200));
    let d = "";
    for (let i = 0; i < n; i += stride) d += `${d ? "L" : "M"}${x(i).toFixed(1)},${y(vals[i]).toFixed(1)}`;
    d += `L${x(n - 1).toFixed(1)},${y(vals[n - 1]).toFixed(1)}`;
    const fmt = (v: number) => (log ? `1e${v.toFixed(0)}` : v < 0.01 ? v.toExponential(0) : v.toFixed(2));
    const ticks = thinTicks(data.timesteps).map((t) => x(Math.min(Math.max(t, 0), n - 1)));
    const marked = marks
      .filter((t) => t >= 0 && t < n)
      .map((t) => ({ t, x: x(t), y: y(vals[Math.round(t)]) }));
    return { d, top: fmt(hi), bottom: fmt(lo), T: n, ticks, marked };
  }, [data, which, marks]);

  if (!data.ok) return <p className="pf-node__error">Schedule: {data.error}</p>;
  return (
    <div className="pf-plot nodrag" data-testid="schedule-plot">
      <div className="pf-plot__tabs" role="radiogroup" aria-label="Plotted series">
        {(Object.keys(SERIES_LABELS) as Series[]).map((s) => (
          // biome-ignore lint/a11y/useSemanticElements: compact segmented control
          <button
            key={s}
            type="button"
            role="radio"
            aria-checked={which === s}
            className={`pf-plot__tab${which === s ? " is-active" : ""}`}
            onClick={() => setWhich(s)}
          >
            {SERIES_LABELS[s]}
          </button>
        ))}
      </div>
      {path && (
        <svg
          width={W}
          height={H}
          viewBox={`0 0 ${W} ${H}`}
          role="img"
          aria-label={`${SERIES_LABELS[which]} over t = 0…${path.T - 1}`}
        >
          <line x1={PAD.l} y1={H - PAD.b} x2={W - PAD.r} y2={H - PAD.b} className="pf-plot__axis" />
          <line x1={PAD.l} y1={PAD.t} x2={PAD.l} y2={H - PAD.b} className="pf-plot__axis" />
          {path.ticks.map((x, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: ticks are positional
            <line key={i} x1={x} x2={x} y1={H - PAD.b} y2={H - PAD.b + 4} className="pf-plot__tick" />
          ))}
          <path d={path.d} className="pf-plot__line" fill="none" />
          {path.marked.map((m) => (
            <g key={m.t} className="pf-plot__mark" data-testid="plot-mark" data-t={m.t}>
              <line x1={m.x} x2={m.x} y1={PAD.t} y2={H - PAD.b} />
              <circle cx={m.x} cy={m.y} r={2.5} />
              <title>t = {m.t} (a linked node)</title>
            </g>
          ))}
          <text x={PAD.l - 3} y={PAD.t + 8} textAnchor="end" className="pf-plot__label">
            {path.top}
          </text>
          <text x={PAD.l - 3} y={H - PAD.b} textAnchor="end" className="pf-plot__label">
            {path.bottom}
          </text>
          <text x={W - PAD.r} y={H - 2} textAnchor="end" className="pf-plot__label">
            t = {path.T - 1}
          </text>
          <text x={PAD.l} y={H - 2} className="pf-plot__label">
            0
          </text>
        </svg>
      )}
      <p className="pf-muted pf-plot__caption">
        {data.config.betaSchedule}, T = {data.config.numTrainTimesteps}; ticks: the {data.timesteps.length}{" "}
        timesteps sampled
        {data.timesteps.length > thinTicks(data.timesteps).length ? " (every few drawn)" : ""}
        {path?.marked.length ? `; marked: t = ${path.marked.map((m) => m.t).join(", ")} (linked nodes)` : ""}
      </p>
      {data.warnings.map((w) => (
        <p key={w} className="pf-muted pf-plot__caption">
          ⚠ {w}
        </p>
      ))}
    </div>
  );
});
