/**
 * The browser's way to hold the access token: POST it once, get an HttpOnly, SameSite=Strict cookie
 * that every later request carries. GET says whether a token is needed and whether this browser has it.
 */
import type { App } from "../app";
import { isAuthorized, isRequestAuthorized, TOKEN_COOKIE } from "../auth";
import { jsonError, readBodyLimited } from "./body";
import { guardLocalRequest } from "./guard";

const MAX_AGE_S = 30 * 24 * 60 * 60;

function cookie(req: Request, value: string, maxAge: number): string {
  const secure = new URL(req.url).protocol === "https:" ? "; Secure" : "";
  return `${TOKEN_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
}

export function sessionState(app: App, req: Request): Response {
  return Response.json(
    {
      tokenRequired: Boolean(app.env.PETALFLOW_TOKEN),
      authenticated: isRequestAuthorized(app.env.PETALFLOW_TOKEN, req.headers),
    },
    { headers: { "cache-control": "no-store" } },
  );
}

/** POST { token } → 204 with the cookie, or 401. */
export async function signIn(app: App, req: Request): Promise<Response> {
  const refused = guardLocalRequest(app.env, req);
  if (refused) return refused;
  let token: unknown;
  try {
    token = (JSON.parse(new TextDecoder().decode(await readBodyLimited(req, 4096))) as { token?: unknown })
      .token;
  } catch {
    return jsonError(400, 'send JSON: { "token": "…" }');
  }
  if (typeof token !== "string" || !app.env.PETALFLOW_TOKEN || !isAuthorized(app.env.PETALFLOW_TOKEN, token))
    return jsonError(401, "wrong access token");
  return new Response(null, { status: 204, headers: { "set-cookie": cookie(req, token, MAX_AGE_S) } });
}

export function signOut(req: Request): Response {
  return new Response(null, { status: 204, headers: { "set-cookie": cookie(req, "", 0) } });
}
