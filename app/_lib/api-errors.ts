/** Reading the server's error data: graph problems keyed by node, and input problems by field. */
import type { ValidationError } from "@/core/graph/validate";

interface ErrorData {
  fieldErrors?: Record<string, string[]> | null;
  graphErrors?: { errors: ValidationError[]; byNode: Record<string, ValidationError[]> } | null;
  code?: string;
}

function dataOf(e: unknown): ErrorData | null {
  if (e && typeof e === "object" && "data" in e) return ((e as { data: unknown }).data as ErrorData) ?? null;
  return null;
}

export function graphErrorsOf(e: unknown): ValidationError[] | null {
  return dataOf(e)?.graphErrors?.errors ?? null;
}

export function isUnauthorized(e: unknown): boolean {
  return dataOf(e)?.code === "UNAUTHORIZED";
}
