/**
 * What a typed number becomes in an int/float field: kept inside the declared bounds (as ComfyUI does),
 * but never silently: a value that had to change comes with a note saying what and why.
 * (Relative imports: unit tests load this module without the "@/" alias.)
 */
import { checkWidgetValue, type FloatWidget, type IntWidget } from "../../core/node/define";

export interface NumberInput {
  /** The value to store, or null for text that is not a number (the field goes back to its value). */
  value: number | null;
  /** Said at the field when the typed value was changed or is still not acceptable. */
  note: string | null;
}

function round(spec: IntWidget | FloatWidget, v: number): number {
  if (spec.kind === "int") return Math.round(v);
  return Number(v.toFixed(Math.max(spec.precision ?? 4, 2)));
}

/** Clamps and rounds without a note (dragging the label, spinner steps). */
export function clampNumber(spec: IntWidget | FloatWidget, v: number): number {
  return round(spec, Math.min(spec.max, Math.max(spec.min, v)));
}

export function readNumberInput(spec: IntWidget | FloatWidget, raw: string): NumberInput {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n))
    return { value: null, note: `“${raw.trim()}” is not a number` };
  let note: string | null = null;
  if (n < spec.min) note = `${n} is below the minimum ${spec.min}: set to ${spec.min}`;
  else if (n > spec.max) note = `${n} is above the maximum ${spec.max}: set to ${spec.max}`;
  const value = clampNumber(spec, n);
  if (!note && spec.kind === "int" && value !== n) note = `${n} is not a whole number: set to ${value}`;
  // Bounds are fixed silently above; other rules (a multiple of 8) stay visible until the user fixes them.
  const bad = checkWidgetValue(spec, value);
  if (bad) note = note ? `${note}; it ${bad}` : `This value ${bad}`;
  return { value, note };
}
