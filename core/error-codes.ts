/**
 * Our own errors are recognised by a `code` string, never by `instanceof`: Next bundles a module
 * once per entry (instrumentation, each route), so an error made by the app singleton's copy of a
 * class is not an instance of the route's copy (the per-client queue limit answered 500 that way).
 */
export type ErrorCode =
  | "QUEUE_FULL"
  | "GRAPH_INVALID"
  | "FIELD_ERROR"
  | "BODY_TOO_LARGE"
  | "UPLOAD_REJECTED"
  | "PNG_ERROR"
  | "DOCUMENT_TOO_DEEP";

/** True when `e` is an Error carrying this code (whichever copy of its class made it). */
export function hasErrorCode(e: unknown, code: ErrorCode): e is Error & { code: ErrorCode } {
  return e instanceof Error && (e as { code?: unknown }).code === code;
}
