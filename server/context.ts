/**
 * The tRPC context: the app singletons, whether the caller presented the access token, and who the
 * caller is for per-client queue limits. `createContextInner` takes no request (tests, scripts);
 * `createContext` is what the HTTP adapter calls.
 */
import { type App, getApp } from "./app";
import { isRequestAuthorized } from "./auth";

export interface ContextInner {
  app: App;
  /** True when no token is configured or the request carried it. */
  authenticated: boolean;
  /**
   * Queue limits are counted per client: the `x-petalflow-client` header, else the address. Both can be
   * chosen by the caller (the header freely, the address only through PETALFLOW_TRUSTED_PROXY), so the
   * global PETALFLOW_MAX_QUEUE is what bounds the queue.
   */
  clientId: string;
}

export function createContextInner(opts: {
  app: App;
  authenticated?: boolean;
  clientId?: string;
}): ContextInner {
  return { app: opts.app, authenticated: opts.authenticated ?? true, clientId: opts.clientId ?? "local" };
}

export async function createContext(opts: { req: Request; app?: App }): Promise<ContextInner> {
  const app = opts.app ?? (await getApp());
  return createContextInner({
    app,
    authenticated: isRequestAuthorized(app.env.PETALFLOW_TOKEN, opts.req.headers),
    clientId: clientIdOf(opts.req.headers),
  });
}

export type Context = ContextInner;

function clientIdOf(headers: Headers): string {
  const named = headers.get("x-petalflow-client");
  if (named && /^[A-Za-z0-9_-]{1,64}$/.test(named)) return `client:${named}`;
  // The server drops X-Forwarded-For unless it came from PETALFLOW_TRUSTED_PROXY (server/http/forwarded.ts);
  // a proxy appends the address it saw, so the last entry is the one it vouches for.
  const forwarded = headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() || headers.get("x-real-ip");
  return forwarded ? `addr:${forwarded.slice(0, 64)}` : "local";
}
