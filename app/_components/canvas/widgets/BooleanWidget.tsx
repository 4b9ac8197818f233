"use client";

interface Props {
  id: string;
  label: string;
  value: unknown;
  disabled?: boolean;
  onChange(value: boolean): void;
}

export function BooleanWidget({ id, label, value, disabled, onChange }: Props) {
  return (
    <>
      <label htmlFor={id} className="pf-widget__label">
        {label}
      </label>
      <input
        id={id}
        className="pf-checkbox nodrag"
        type="checkbox"
        checked={value === true}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
      />
    </>
  );
}
