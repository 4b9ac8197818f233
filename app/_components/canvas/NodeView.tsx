"use client";
/**
 * The ONE node component: draws any registered node type from its declaration — header in the
 * category colour, typed input/output handles coloured by socket type, a widget row per parameter —
 * plus run state and the extras its declaration names (`ui.extras`, drawn by node-extras.tsx). Memoised: it re-renders only when its own data or connections change,
 * or the zoom crosses FAR_OUT_ZOOM (far out, widgets and plots become placeholders: see zoom.ts);
 * live progress reaches it through per-node subscriptions in its small child components.
 */
import { Handle, type NodeProps, Position, useNodeConnections } from "@xyflow/react";
import { memo, useCallback, useMemo } from "react";
import { categoryColor } from "@/app/_lib/categories";
import { useEditorContext, useNodeProblems } from "@/app/_lib/editor-context";
import type { PetalNode } from "@/app/_lib/flow-types";
import type { NodeDefinition } from "@/core/node/define";
import { SOCKET_COLORS } from "@/core/node/sockets";
import { registry } from "@/nodes/registry";
import { NodeRunBadge, NodeRunError, NodeRunProgress, NodeRunWarnings } from "./NodeRunBadge";
import { NodeTitle } from "./NodeTitle";
import { NodeExtras } from "./node-extras";
import { WidgetRow } from "./widgets/WidgetRow";
import { useFarOut, widgetsHeight } from "./zoom";

export const NodeView = memo(function NodeView({ id, data, selected, draggable }: NodeProps<PetalNode>) {
  const def = registry.get(data.type);
  if (!def) return <MissingNodeType id={id} type={data.type} selected={!!selected} />;
  return <KnownNode id={id} def={def} data={data} selected={!!selected} pinned={draggable === false} />;
});

function KnownNode({
  id,
  def,
  data,
  selected,
  pinned,
}: {
  id: string;
  def: NodeDefinition;
  data: PetalNode["data"];
  selected: boolean;
  pinned: boolean;
}) {
  const { store, validation, actions, readOnly } = useEditorContext();
  const problems = useNodeProblems(id);
  const incoming = useNodeConnections({ handleType: "target" });
  const linked = useMemo(() => new Set(incoming.map((c) => c.targetHandle)), [incoming]);
  const far = useFarOut();

  const onChange = useCallback(
    (nodeId: string, name: string, value: unknown) => {
      store.setParam(nodeId, name, value);
      validation.clearNode(nodeId);
    },
    [store, validation],
  );
  const onError = useCallback((m: string) => actions.notify(m, "error"), [actions]);

  const inputs = Object.entries(def.inputs);
  const outputs = Object.entries(def.outputs);
  const rows = Math.max(inputs.length, outputs.length);
  const title = data.title || def.title;
  const nodeProblems = problems.filter((p) => !p.field || !(p.field in def.widgets));

  return (
    <article
      className={`pf-node${selected ? " is-selected" : ""}${problems.length ? " has-problems" : ""}`}
      data-testid="node"
      data-node-id={id}
      data-node-type={def.id}
      data-mode={data.mode}
      data-color={data.color}
      data-pinned={pinned || undefined}
      data-lod={far ? "light" : "full"}
      style={
        {
          "--pf-cat": categoryColor(def.category),
          ...(data.color ? { "--pf-node-color": data.color } : {}),
        } as React.CSSProperties
      }
      aria-label={`${title} node`}
    >
      <header className="pf-node__header" title={def.description}>
        <NodeTitle nodeId={id} title={data.title} fallback={def.title} />
        {data.mode !== "normal" && (
          <span className="pf-node__mode">{data.mode === "bypass" ? "bypassed" : "muted"}</span>
        )}
        {pinned && (
          <span className="pf-node__mode" title="Pinned: cannot be dragged (right-click → Unpin)">
            pinned
          </span>
        )}
        <NodeRunBadge nodeId={id} />
      </header>
      <NodeRunProgress nodeId={id} />
      {rows > 0 && (
        <div className="pf-node__ports">
          {Array.from({ length: rows }, (_, i) => {
            const input = inputs[i];
            const output = outputs[i];
            return (
              <div className="pf-port-row" key={`${input?.[0] ?? ""}|${output?.[0] ?? ""}`}>
                {input ? (
                  <div className="pf-port pf-port--in" title={input[1].description}>
                    <Handle
                      type="target"
                      position={Position.Left}
                      id={input[0]}
                      className="pf-handle"
                      style={{ background: SOCKET_COLORS[input[1].type] }}
                      data-testid={`handle-in-${input[0]}`}
                      aria-label={`${input[0]} input (${input[1].type})`}
                    />
                    {!far && <span className={input[1].optional ? "pf-muted" : undefined}>{input[0]}</span>}
                    <PortProblem problems={problems} field={input[0]} />
                  </div>
                ) : (
                  <span />
                )}
                {output ? (
                  <div className="pf-port pf-port--out" title={output[1].description}>
                    {!far && <span>{output[0]}</span>}
                    <Handle
                      type="source"
                      position={Position.Right}
                      id={output[0]}
                      className="pf-handle"
                      style={{ background: SOCKET_COLORS[output[1].type] }}
                      data-testid={`handle-out-${output[0]}`}
                      aria-label={`${output[0]} output (${output[1].type})`}
                    />
                  </div>
                ) : (
                  <span />
                )}
              </div>
            );
          })}
        </div>
      )}
      {Object.keys(def.widgets).length > 0 && (
        <div
          className="pf-node__widgets"
          data-far={far || undefined}
          style={far ? { height: widgetsHeight(def) } : undefined}
        >
          {/* Far out, only linked rows are drawn: their handles keep the links attached. */}
          {Object.entries(def.widgets).map(([name, spec]) =>
            far && !linked.has(name) ? null : (
              <WidgetRow
                key={name}
                nodeId={id}
                name={name}
                spec={spec}
                value={data.params[name] ?? spec.default}
                linked={linked.has(name)}
                readOnly={readOnly}
                problems={fieldProblems(problems, name)}
                onChange={onChange}
                onError={onError}
              />
            ),
          )}
        </div>
      )}
      <NodeExtras id={id} def={def} data={data} far={far} />
      <NodeRunError nodeId={id} />
      <NodeRunWarnings nodeId={id} />
      {nodeProblems.length > 0 && (
        <ul className="pf-node__problems" data-testid="node-problems">
          {nodeProblems.map((p) => (
            <li key={`${p.field}:${p.message}`} role="alert">
              {p.message}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

const NO_PROBLEMS: never[] = [];
function fieldProblems<T extends { field?: string }>(problems: readonly T[], field: string): readonly T[] {
  const mine = problems.filter((p) => p.field === field);
  return mine.length ? mine : NO_PROBLEMS;
}

function PortProblem({
  problems,
  field,
}: {
  problems: readonly { field?: string; message: string }[];
  field: string;
}) {
  const p = problems.find((x) => x.field === field);
  return p ? (
    <span className="pf-port__problem" title={p.message} role="img" aria-label={p.message}>
      ⚠
    </span>
  ) : null;
}

/** A node whose type this server lacks (an imported or shared graph): says exactly which. */
function MissingNodeType({ id, type, selected }: { id: string; type: string; selected: boolean }) {
  const { store } = useEditorContext();
  // Keep the node's links visible: give it a handle for every port its edges use.
  const edges = store.getState().edges;
  const ins = [...new Set(edges.filter((e) => e.target === id).map((e) => e.targetHandle ?? ""))];
  const outs = [...new Set(edges.filter((e) => e.source === id).map((e) => e.sourceHandle ?? ""))];
  return (
    <div
      className={`pf-node pf-node--missing${selected ? " is-selected" : ""}`}
      data-testid="node"
      data-node-id={id}
      data-node-type={type}
    >
      <header className="pf-node__header">
        <span className="pf-node__title">{type}</span>
      </header>
      <p className="pf-node__error" role="alert" data-testid="missing-node-type">
        Node type “{type}” is not available on this server.
      </p>
      {ins.map((h) => (
        <div className="pf-port pf-port--in" key={`in-${h}`}>
          <Handle type="target" position={Position.Left} id={h} className="pf-handle" />
          <span>{h}</span>
        </div>
      ))}
      {outs.map((h) => (
        <div className="pf-port pf-port--out" key={`out-${h}`}>
          <span>{h}</span>
          <Handle type="source" position={Position.Right} id={h} className="pf-handle" />
        </div>
      ))}
    </div>
  );
}
