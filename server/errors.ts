/**
 * Errors that carry data to the client through the tRPC error formatter: a graph's node-keyed
 * validation errors, and field-level messages for bad inputs.
 */
import { TRPCError } from "@trpc/server";
import type { ValidationError } from "../core/graph/validate";

/** The graph cannot run: the errors go to the client keyed by node id (`error.data.graphErrors`). */
export class GraphInvalidError extends Error {
  readonly code = "GRAPH_INVALID";
  constructor(
    readonly errors: ValidationError[],
    readonly byNode: Record<string, ValidationError[]>,
    /** The sweep cell or batch item the errors belong to, when there are several documents. */
    readonly label?: string,
  ) {
    const first = errors
      .slice(0, 3)
      .map((e) => `${e.nodeId ? `${e.nodeId}${e.field ? `.${e.field}` : ""}: ` : ""}${e.message}`);
    super(
      `${label ? `${label}: ` : ""}the graph is not valid (${errors.length} problem${errors.length === 1 ? "" : "s"}): ${first.join("; ")}`,
    );
    this.name = "GraphInvalidError";
  }
}

/** One input field's problems (`error.data.fieldErrors`), e.g. `{"batch.count": ["…"]}`. */
export class FieldError extends Error {
  readonly code = "FIELD_ERROR";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "FieldError";
  }
}

export function fieldError(field: string, message: string): TRPCError {
  const cause = new FieldError(field, message);
  return new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
}

export function notFound(what: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });
}

export function graphInvalid(err: GraphInvalidError): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message: err.message, cause: err });
}

interface IssueLike {
  path?: readonly (PropertyKey | { key: PropertyKey })[];
  message: string;
}

/** `{ "a.b[0]": ["message"] }` from zod / Standard Schema issues (any error with an `issues` list). */
export function issuesToFieldErrors(issues: readonly IssueLike[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of issues) {
    const key = formatPath(issue.path ?? []) || "input";
    out[key] = [...(out[key] ?? []), issue.message];
  }
  return out;
}

function formatPath(path: readonly (PropertyKey | { key: PropertyKey })[]): string {
  let s = "";
  for (const seg of path) {
    const k = typeof seg === "object" && seg !== null ? seg.key : seg;
    if (typeof k === "number") s += `[${k}]`;
    else s += s ? `.${String(k)}` : String(k);
  }
  return s;
}

export function hasIssues(e: unknown): e is { issues: IssueLike[] } {
  return (
    typeof e === "object" &&
    e !== null &&
    Array.isArray((e as { issues?: unknown }).issues) &&
    e instanceof Error
  );
}
