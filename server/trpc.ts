/**
 * tRPC is initialised here and only here. Errors carry, besides the message, `data.fieldErrors`
 * (input problems by field path, from zod) and `data.graphErrors` (a graph's validation errors keyed
 * by node id) so that the editor can put each message next to what it is about.
 * @see https://trpc.io/docs/server/routers
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { hasErrorCode } from "../core/error-codes";
import type { ValidationError } from "../core/graph/validate";
import type { Context } from "./context";
import { DISK_FULL_MESSAGE, isDiskFull } from "./db/disk-full";
import type { FieldError, GraphInvalidError } from "./errors";
import { hasIssues, issuesToFieldErrors } from "./errors";

const t = initTRPC.context<Context>().create({
  // Keeps idle event streams (a long queue wait) open through proxies; the client reconnects, with
  // its last event id, when pings stop arriving.
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 40_000 } },
  errorFormatter({ shape, error }) {
    let fieldErrors: Record<string, string[]> | null = null;
    let graphErrors: { errors: ValidationError[]; byNode: Record<string, ValidationError[]> } | null = null;
    let message = shape.message;
    const cause = error.cause;
    if (hasIssues(cause)) {
      fieldErrors = issuesToFieldErrors(cause.issues);
      message = Object.entries(fieldErrors)
        .map(([field, msgs]) => `${field}: ${msgs.join("; ")}`)
        .join("\n");
    } else if (hasErrorCode(cause, "FIELD_ERROR")) {
      const { field } = cause as unknown as FieldError;
      fieldErrors = { [field]: [cause.message.slice(field.length + 2)] };
    } else if (hasErrorCode(cause, "GRAPH_INVALID")) {
      const { errors, byNode } = cause as unknown as GraphInvalidError;
      graphErrors = { errors, byNode };
    }
    // Unexpected failures: keep internals (SQL, paths) out of the response.
    if (error.code === "INTERNAL_SERVER_ERROR") message = "internal server error";
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, message, data: { ...data, fieldErrors, graphErrors } };
  },
});

/** @see https://trpc.io/docs/server/routers */
export const router = t.router;

/** @see https://trpc.io/docs/server/server-side-calls */
export const createCallerFactory = t.createCallerFactory;

/** A full disk is a 503 that says so, not an "internal server error". */
const diskFullIsUnavailable = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR" && isDiskFull(result.error.cause))
    throw new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: DISK_FULL_MESSAGE,
      cause: result.error.cause,
    });
  return result;
});

/** Open to anyone who can reach the server: share links only. */
export const publicProcedure = t.procedure.use(diskFullIsUnavailable);

/** Every other procedure: needs the access token when one is configured. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.authenticated)
    throw new TRPCError({ code: "UNAUTHORIZED", message: "this server needs its access token" });
  return next({ ctx });
});
