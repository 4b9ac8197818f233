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
  /** Queue limits are counted per client: the `x-petalflow-client` header, else the address. */
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
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim() || headers.get("x-real-ip");
  return forwarded ? `addr:${forwarded.slice(0, 64)}` : "local";
}
