"use client";
/**
 * An int/float field: type a value, use the arrows/step, or drag the label sideways to scrub (as in
 * ComfyUI). Values are clamped to the declared bounds; a half-typed value is never written.
 */
import { type PointerEvent, useEffect, useRef, useState } from "react";
import type { FloatWidget, IntWidget } from "@/nodes/define";

interface Props {
  id: string;
  label: string;
  spec: IntWidget | FloatWidget;
  value: unknown;
  disabled?: boolean;
  onChange(value: number): void;
}

function clamp(spec: IntWidget | FloatWidget, v: number): number {
  const bounded = Math.min(spec.max, Math.max(spec.min, v));
  if (spec.kind === "int") return Math.round(bounded);
  const p = spec.precision ?? 4;
  return Number(bounded.toFixed(Math.max(p, 2)));
}

function show(spec: IntWidget | FloatWidget, v: unknown): string {
  if (typeof v !== "number") return String(v ?? "");
  return spec.kind === "float" && spec.precision !== undefined ? v.toFixed(spec.precision) : String(v);
}

export function NumberWidget({ id, label, spec, value, disabled, onChange }: Props) {
  const [text, setText] = useState(() => show(spec, value));
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setText(show(spec, value));
  }, [spec, value]);

  const step = spec.step ?? (spec.kind === "int" ? 1 : 0.01);
  const commit = (raw: string) => {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) {
      setText(show(spec, value));
      return;
    }
    const v = clamp(spec, n);
    setText(show(spec, v));
    if (v !== value) onChange(v);
  };

  // Drag-to-scrub on the label: one step per 6 px.
  const drag = useRef<{ x: number; start: number } | null>(null);
  const onPointerDown = (e: PointerEvent<HTMLLabelElement>) => {
    if (disabled || typeof value !== "number") return;
    drag.current = { x: e.clientX, start: value };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent<HTMLLabelElement>) => {
    if (!drag.current) return;
    const steps = Math.round((e.clientX - drag.current.x) / 6);
    const v = clamp(spec, drag.current.start + steps * step);
    if (v !== value) onChange(v);
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  return (
    <>
      <label
        htmlFor={id}
        className="pf-widget__label pf-widget__label--scrub nodrag"
        title="Drag sideways to change"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
      >
        {label}
      </label>
      <input
        id={id}
        className="pf-input nodrag"
        type="number"
        inputMode={spec.kind === "int" ? "numeric" : "decimal"}
        min={spec.min}
        max={spec.max}
        step={step}
        value={text}
        disabled={disabled}
        onFocus={() => {
          focused.current = true;
        }}
        onChange={(e) => {
          setText(e.target.value);
          // Spinner clicks and arrow keys produce valid numbers: apply them at once.
          const n = Number(e.target.value);
          if (e.target.value !== "" && Number.isFinite(n) && n >= spec.min && n <= spec.max) {
            const v = clamp(spec, n);
            if (v === n && v !== value) onChange(v);
          }
        }}
        onBlur={(e) => {
          focused.current = false;
          commit(e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit(e.currentTarget.value);
        }}
      />
    </>
  );
}
