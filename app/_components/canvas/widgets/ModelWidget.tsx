"use client";
/**
 * A model folder picker fed by models.list. A name this server does not have stays selected and is
 * flagged on the node, so a shared graph says exactly which model is missing.
 */
import { useModelList } from "@/app/_lib/api-hooks";

interface Props {
  id: string;
  label: string;
  value: unknown;
  disabled?: boolean;
  onChange(value: string): void;
}

export function ModelWidget({ id, label, value, disabled, onChange }: Props) {
  const models = useModelList();
  const current = typeof value === "string" ? value : "";
  const known = models.data?.find((m) => m.id === current);
  const missing = models.data !== undefined && !known;
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
        aria-invalid={missing || (known && !known.usable) || undefined}
        title={known?.family ? `detected family: ${known.family}` : undefined}
        onChange={(e) => onChange(e.target.value)}
      >
        {(missing || models.data === undefined) && (
          <option value={current}>{current || "(choose a model)"}</option>
        )}
        {models.data?.map((m) => (
          <option key={m.id} value={m.id} disabled={!m.usable}>
            {m.id}
            {m.usable ? (m.family ? ` — ${m.family}` : "") : " (unusable)"}
          </option>
        ))}
      </select>
      {missing && (
        <p className="pf-widget__problem" role="alert" data-testid="missing-model">
          Model “{current}” is not installed on this server.
        </p>
      )}
      {known && !known.usable && (
        <p className="pf-widget__problem" role="alert">
          Model “{current}” cannot be used: {known.reason}
        </p>
      )}
    </>
  );
}
