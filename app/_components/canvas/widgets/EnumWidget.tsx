"use client";
import type { EnumWidget as EnumSpec } from "@/core/node/define";

interface Props {
  id: string;
  label: string;
  spec: EnumSpec;
  value: unknown;
  disabled?: boolean;
  onChange(value: string): void;
}

export function EnumWidget({ id, label, spec, value, disabled, onChange }: Props) {
  const current = typeof value === "string" ? value : spec.default;
  const known = spec.options.includes(current);
  return (
    <>
      <label htmlFor={id} className="pf-widget__label">
        {label}
      </label>
      <select
        id={id}
        className="pf-input nodrag nowheel"
        value={current}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
      >
        {!known && <option value={current}>{current} (unknown)</option>}
        {spec.options.map((o) => (
          <option key={o} value={o}>
            {spec.optionLabels?.[o] ?? o}
          </option>
        ))}
      </select>
    </>
  );
}
