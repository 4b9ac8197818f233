"use client";
/**
 * An int/float field: type a value, use the arrows/step, or drag the label sideways to scrub (as in
 * ComfyUI). Values are clamped to the declared bounds, with a note at the field saying so; a value
 * that breaks another rule (a multiple of 8) is kept and flagged; a half-typed value is never written.
 */
import { type PointerEvent, useEffect, useRef, useState } from "react";
import { clampNumber as clamp, readNumberInput } from "@/app/_lib/number-input";
import { checkWidgetValue, type FloatWidget, type IntWidget } from "@/core/node/define";

interface Props {
  id: string;
  label: string;
  spec: IntWidget | FloatWidget;
  value: unknown;
  disabled?: boolean;
  /** The server already reports a problem on this field (shown by the row): no second note. */
  invalid?: boolean;
  onChange(value: number): void;
}

function show(spec: IntWidget | FloatWidget, v: unknown): string {
  if (typeof v !== "number") return String(v ?? "");
  return spec.kind === "float" && spec.precision !== undefined ? v.toFixed(spec.precision) : String(v);
}

export function NumberWidget({ id, label, spec, value, disabled, invalid, onChange }: Props) {
  const [text, setText] = useState(() => show(spec, value));
  // What the last commit changed (clamped, rounded), until the value changes again.
  const [note, setNote] = useState<{ text: string; value: unknown } | null>(null);
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setText(show(spec, value));
  }, [spec, value]);

  const step = spec.step ?? (spec.kind === "int" ? 1 : 0.01);
  const commit = (raw: string) => {
    const r = readNumberInput(spec, raw);
    if (r.value === null) {
      setText(show(spec, value));
      setNote(raw.trim() === "" ? null : { text: `${r.note}: kept ${show(spec, value)}`, value });
      return;
    }
    setText(show(spec, r.value));
    setNote(r.note ? { text: r.note, value: r.value } : null);
    if (r.value !== value) onChange(r.value);
  };
  const rule = typeof value === "number" && !invalid ? checkWidgetValue(spec, value) : null;
  const shown = note && note.value === value ? note.text : rule ? `${label} ${rule}` : null;

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
        aria-describedby={shown ? `${id}-note` : undefined}
      />
      {shown && (
        <p id={`${id}-note`} className="pf-widget__note" role="status" data-testid="field-note">
          {shown}
        </p>
      )}
    </>
  );
}
