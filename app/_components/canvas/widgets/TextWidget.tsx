"use client";
/** Multiline text (prompts) and single-line strings. Edits are written as typed; undo groups them. */
import type { StringWidget, TextWidget as TextSpec } from "@/core/node/define";

interface Props {
  id: string;
  label: string;
  spec: TextSpec | StringWidget;
  value: unknown;
  disabled?: boolean;
  onChange(value: string): void;
}

export function TextWidget({ id, label, spec, value, disabled, onChange }: Props) {
  const text = typeof value === "string" ? value : "";
  if (spec.kind === "string") {
    return (
      <>
        <label htmlFor={id} className="pf-widget__label">
          {label}
        </label>
        <input
          id={id}
          className="pf-input nodrag"
          value={text}
          maxLength={spec.maxLength}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value)}
        />
      </>
    );
  }
  return (
    <>
      <label htmlFor={id} className="pf-widget__label pf-widget__label--block">
        {label}
      </label>
      <textarea
        id={id}
        className="pf-input pf-textarea nodrag nowheel"
        value={text}
        rows={3}
        maxLength={spec.maxLength}
        disabled={disabled}
        placeholder={spec.description}
        onChange={(e) => onChange(e.target.value)}
      />
    </>
  );
}
