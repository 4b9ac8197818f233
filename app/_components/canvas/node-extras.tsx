"use client";
/**
 * The parts a node draws besides widgets and sockets, by the names its declaration lists in
 * `ui.extras` (core/node/define.ts NODE_EXTRAS): the generic node view looks them up here, so it holds
 * no node type's knowledge. Adding one: a name in NODE_EXTRAS and an entry in EXTRAS (tsc checks both).
 */
import { type ComponentType, useMemo } from "react";
import { useModelSchedulerConfig } from "@/app/_lib/api-hooks";
import { useEditor } from "@/app/_lib/editor-context";
import { isPetal, type PetalNode } from "@/app/_lib/flow-types";
import { forwardCoefficients, scheduleParamsOf } from "@/app/_lib/schedule-marks";
import type { NodeDefinition, NodeExtra } from "@/core/node/define";
import type { SocketType } from "@/core/node/sockets";
import { scheduleSeries } from "@/core/schedulers/betas";
import { resolveScheduleConfig } from "@/core/schedulers/resolve";
import { registry } from "@/nodes/registry";
import { MaskBrushButton } from "./MaskBrush";
import { LivePreview, OutputImages, SeedsUsed } from "./NodeOutputs";
import { SchedulePlot } from "./SchedulePlot";
import { PLOT_HEIGHT } from "./zoom";

interface ExtraProps {
  id: string;
  def: NodeDefinition;
  data: PetalNode["data"];
}

interface ExtraEntry {
  Component: ComponentType<ExtraProps>;
  /**
   * Zoomed out past FAR_OUT_ZOOM: "keep" draws it anyway (small, run-time state), "hide" drops it, a
   * number draws a placeholder that tall (px) so the node keeps its size.
   */
  far: "keep" | "hide" | number;
}

const EXTRAS: Record<NodeExtra, ExtraEntry> = {
  "schedule-plot": { Component: ScheduleExtra, far: PLOT_HEIGHT },
  "forward-coefficients": { Component: ForwardCoefficientsExtra, far: "hide" },
  "latent-preview": { Component: ({ id }) => <LivePreview nodeId={id} />, far: "keep" },
  "seeds-used": { Component: ({ id }) => <SeedsUsed nodeId={id} />, far: "keep" },
  images: { Component: ({ id }) => <OutputImages nodeId={id} />, far: "keep" },
  "mask-brush": { Component: MaskBrushButton, far: "hide" },
};

/** Every extra the node's declaration asks for, in its order. */
export function NodeExtras({ id, def, data, far }: ExtraProps & { far: boolean }) {
  const extras = def.ui?.extras;
  if (!extras?.length) return null;
  return extras.map((name) => {
    const { Component, far: whenFar } = EXTRAS[name];
    if (far && whenFar === "hide") return null;
    if (far && typeof whenFar === "number")
      return <div key={name} className="pf-plot" data-far style={{ height: whenFar }} />;
    return <Component key={name} id={id} def={def} data={data} />;
  });
}

/** The node feeding `nodeId`'s first input of socket type `socket`, with its declaration. */
function useUpstream(nodeId: string | null, socket: SocketType) {
  const targetDef = useEditor((s) => {
    const n = nodeId ? s.nodes.find((x) => x.id === nodeId) : undefined;
    return n && isPetal(n) ? registry.get(n.data.type) : undefined;
  });
  const port = targetDef && Object.entries(targetDef.inputs).find(([, spec]) => spec.type === socket)?.[0];
  return useEditor((s) => {
    const link = port && s.edges.find((e) => e.target === nodeId && e.targetHandle === port);
    const n = link && s.nodes.find((x) => x.id === link.source);
    return n && isPetal(n) ? n : null;
  });
}

/**
 * The model a node's U-Net comes from: the value of the `kind: "model"` widget of the node feeding its
 * UNET input (a Model Loader, or any node that declares one), by declaration rather than by type id.
 */
function useModelIdFeeding(nodeId: string | null): string | null {
  const source = useUpstream(nodeId, "UNET");
  if (!source) return null;
  const def = registry.get(source.data.type);
  const widget = def && Object.entries(def.widgets).find(([, w]) => w.kind === "model")?.[0];
  const value = widget ? source.data.params[widget] : undefined;
  return typeof value === "string" ? value : null;
}

function ScheduleExtra({ id, data }: ExtraProps) {
  const modelConfig = useModelSchedulerConfig(useModelIdFeeding(id));
  // The t of every node fed by this schedule that shows forward coefficients at its t (Add Noise), as a
  // string so the selector's value is stable.
  const marksKey = useEditor((s) =>
    s.edges
      .filter((e) => e.source === id)
      .map((e) => s.nodes.find((n) => n.id === e.target))
      .flatMap((n) =>
        n && isPetal(n) && registry.get(n.data.type)?.ui?.extras?.includes("forward-coefficients")
          ? [Number(n.data.params.timestep)]
          : [],
      )
      .filter(Number.isFinite)
      .sort((a, b) => a - b)
      .join(","),
  );
  const marks = useMemo(() => (marksKey ? [...new Set(marksKey.split(",").map(Number))] : []), [marksKey]);
  return <SchedulePlot params={data.params} modelConfig={modelConfig} marks={marks} />;
}

/** x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε at the node's t, from the schedule on its SCHEDULE input. */
function ForwardCoefficientsExtra({ id, data }: ExtraProps) {
  const source = useUpstream(id, "SCHEDULE");
  // Only a node whose params are a schedule (it declares the schedule plot) tells ᾱ before a run.
  const scheduler =
    source && registry.get(source.data.type)?.ui?.extras?.includes("schedule-plot") ? source : null;
  const modelConfig = useModelSchedulerConfig(useModelIdFeeding(scheduler?.id ?? null));
  // t fed by a link: the value of the widget of the same name on the node feeding it (an Integer node).
  const linkedT = useEditor((s) => {
    const link = s.edges.find((e) => e.target === id && e.targetHandle === "timestep");
    if (!link) return undefined;
    const n = s.nodes.find((x) => x.id === link.source);
    if (!n || !isPetal(n)) return null;
    const def = registry.get(n.data.type);
    const constant =
      def && Object.keys(def.inputs).length === 0 && link.sourceHandle && link.sourceHandle in def.widgets;
    return constant ? n.data.params[link.sourceHandle as string] : null;
  });
  const t = linkedT === undefined ? data.params.timestep : linkedT;
  const params = scheduler?.data.params;
  const c = useMemo(() => {
    if (!params) return null;
    try {
      const { config } = resolveScheduleConfig(scheduleParamsOf(params), modelConfig);
      return t === null ? null : forwardCoefficients(scheduleSeries(config).alphaBar, Number(t));
    } catch {
      return null;
    }
  }, [params, modelConfig, t]);
  if (!scheduler) return <p className="pf-muted pf-node__note">Link a Scheduler to see ᾱ_t at this t.</p>;
  if (t === null)
    return <p className="pf-muted pf-node__note">t comes from a link: ᾱ_t is known at run time.</p>;
  if (!c) return <p className="pf-muted pf-node__note">t is outside the schedule.</p>;
  const f = (v: number) => (v < 1e-3 ? v.toExponential(2) : v.toFixed(4));
  return (
    <dl className="pf-coefficients" data-testid="forward-coefficients" aria-label="Forward process at t">
      <dt>t</dt>
      <dd>{c.t}</dd>
      <dt>ᾱ_t</dt>
      <dd>{f(c.alphaBar)}</dd>
      <dt>√ᾱ_t (x₀)</dt>
      <dd>{f(c.signal)}</dd>
      <dt>√(1−ᾱ_t) (ε)</dt>
      <dd>{f(c.noise)}</dd>
    </dl>
  );
}
