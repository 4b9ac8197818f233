/** The tRPC fetch handler behind app/api/trpc/[trpc]/route.ts, with the request size limit. */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { hasErrorCode } from "../../core/error-codes";
import { type App, getApp } from "../app";
import { isRequestAuthorized } from "../auth";
import { createContext } from "../context";
import { appRouter } from "../routers/_app";
import { jsonError, readBodyLimited } from "./body";
import { guardLocalRequest } from "./guard";

const MiB = 1024 * 1024;
/** The most an unauthenticated POST may send before it is refused unread. */
export const MAX_ANONYMOUS_BODY = 8 * 1024;

/** tRPC's error shape, so a client's link reads it like any other UNAUTHORIZED. */
function unauthorized(): Response {
  return Response.json(
    {
      error: {
        message: "this server needs its access token",
        code: -32001,
        data: { code: "UNAUTHORIZED", httpStatus: 401 },
      },
    },
    // The rest of the body is not wanted: close the connection instead of draining it.
    { status: 401, headers: { "cache-control": "no-store", connection: "close" } },
  );
}

function oneLine(e: unknown): string {
  const m = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return m.replace(/\s+/g, " ").slice(0, 200);
}

/** A handler serving `appOf()`'s app (the process's app in production, a test app in tests). */
export function trpcHandler(appOf: () => Promise<App>): (req: Request) => Promise<Response> {
  return (req) => handle(req, appOf);
}

export const handleTrpcRequest = trpcHandler(getApp);

async function handle(req: Request, appOf: () => Promise<App>): Promise<Response> {
  const app = await appOf();
  const refused = guardLocalRequest(app.env, req);
  if (refused) return refused;
  let request = req;
  if (req.method !== "GET" && req.method !== "HEAD") {
    // The token is checked before the body is read: without it, only a few KB are ever read (every
    // procedure a POST reaches needs the token, so a small body just gets tRPC's own 401).
    const authed = isRequestAuthorized(app.env.PETALFLOW_TOKEN, req.headers);
    try {
      const body = await readBodyLimited(
        req,
        authed ? app.env.PETALFLOW_MAX_REQUEST_MB * MiB : MAX_ANONYMOUS_BODY,
      );
      request = new Request(req.url, {
        method: req.method,
        headers: req.headers,
        body: body as Uint8Array<ArrayBuffer>,
        signal: req.signal,
      });
    } catch (e) {
      if (hasErrorCode(e, "BODY_TOO_LARGE")) return authed ? jsonError(413, e.message) : unauthorized();
      // The client went away mid-body (or sent a broken one): one log line, not a stack per request.
      app.log(`request body not received (${req.method} ${new URL(req.url).pathname}): ${oneLine(e)}`);
      return jsonError(400, "the request body could not be read completely");
    }
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => createContext({ req: request, app }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR")
        app.log(`tRPC ${path ?? "?"} failed: ${error.cause?.stack ?? error.message}`);
    },
  });
}
