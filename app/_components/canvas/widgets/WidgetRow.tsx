"use client";
/**
 * One parameter row of a node: the right control for the widget kind, plus — for linkable widgets — a
 * small input socket on the node's edge (ComfyUI's "convert widget to input"). A linked widget shows
 * where its value comes from instead of the control.
 */
import { Handle, Position } from "@xyflow/react";
import { memo } from "react";
import type { FieldProblem } from "@/app/_lib/validation-store";
import { type WidgetSpec, widgetSocketType } from "@/core/node/define";
import { SOCKET_COLORS } from "@/core/node/sockets";
import { BooleanWidget } from "./BooleanWidget";
import { EnumWidget } from "./EnumWidget";
import { ImageWidget } from "./ImageWidget";
import { ModelWidget } from "./ModelWidget";
import { NumberWidget } from "./NumberWidget";
import { SeedWidget } from "./SeedWidget";
import { TextWidget } from "./TextWidget";

interface Props {
  nodeId: string;
  name: string;
  spec: WidgetSpec;
  value: unknown;
  linked: boolean;
  readOnly: boolean;
  problems: readonly FieldProblem[];
  onChange(nodeId: string, name: string, value: unknown): void;
  onError(message: string): void;
}

export const WidgetRow = memo(function WidgetRow(props: Props) {
  const { nodeId, name, spec, value, linked, readOnly, problems } = props;
  const id = `w-${nodeId}-${name}`;
  const label = spec.label ?? name;
  const change = (v: unknown) => props.onChange(nodeId, name, v);
  const socket = spec.linkable ? widgetSocketType(spec) : null;
  return (
    <div
      className="pf-widget"
      data-testid={`widget-${name}`}
      data-invalid={problems.length > 0 || undefined}
      title={spec.description}
    >
      {socket && (
        <Handle
          type="target"
          position={Position.Left}
          id={name}
          className="pf-handle pf-handle--widget"
          style={{ background: SOCKET_COLORS[socket] }}
          data-testid={`handle-in-${name}`}
          aria-label={`${label} input (${socket})`}
        />
      )}
      {linked ? (
        <>
          <span className="pf-widget__label">{label}</span>
          <span className="pf-muted">← from link</span>
        </>
      ) : (
        <WidgetControl
          id={id}
          label={label}
          spec={spec}
          value={value}
          disabled={readOnly}
          invalid={problems.length > 0}
          onChange={change}
          onError={props.onError}
        />
      )}
      {problems.map((p) => (
        <p key={p.message} className="pf-widget__problem" role="alert">
          {p.message}
        </p>
      ))}
    </div>
  );
});

function WidgetControl(p: {
  id: string;
  label: string;
  spec: WidgetSpec;
  value: unknown;
  disabled: boolean;
  invalid: boolean;
  onChange(v: unknown): void;
  onError(message: string): void;
}) {
  const { spec } = p;
  switch (spec.kind) {
    case "int":
    case "float":
      return <NumberWidget {...p} spec={spec} />;
    case "seed":
      return <SeedWidget {...p} />;
    case "boolean":
      return <BooleanWidget {...p} />;
    case "enum":
      return <EnumWidget {...p} spec={spec} />;
    case "string":
    case "text":
      return <TextWidget {...p} spec={spec} />;
    case "model":
      return <ModelWidget {...p} />;
    case "image":
      return <ImageWidget {...p} />;
  }
}
