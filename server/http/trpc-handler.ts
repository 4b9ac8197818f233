/** The tRPC fetch handler behind app/api/trpc/[trpc]/route.ts, with the request size limit. */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { type App, getApp } from "../app";
import { createContext } from "../context";
import { appRouter } from "../routers/_app";
import { BodyTooLargeError, jsonError, readBodyLimited } from "./body";
import { guardLocalRequest } from "./guard";

const MiB = 1024 * 1024;

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
    try {
      const body = await readBodyLimited(req, app.env.PETALFLOW_MAX_REQUEST_MB * MiB);
      request = new Request(req.url, {
        method: req.method,
        headers: req.headers,
        body: body as Uint8Array<ArrayBuffer>,
        signal: req.signal,
      });
    } catch (e) {
      if (e instanceof BodyTooLargeError) return jsonError(413, e.message);
      throw e;
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
