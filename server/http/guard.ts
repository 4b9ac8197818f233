/**
 * Without an access token the API trusts whoever reaches it, which is meant to be this machine only.
 * A web page the user visits can still reach 127.0.0.1 (a cross-site form post, DNS rebinding), so in
 * that mode requests must name a loopback host and must not come from another origin. With a token,
 * the token (bearer, or a SameSite=Strict cookie) is the protection and this check is off.
 */
import type { Env } from "../env";
import { jsonError } from "./body";

function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  return h.replace(/:\d+$/, "");
}

function isLoopbackName(name: string): boolean {
  return name === "localhost" || name === "[::1]" || /^127(\.\d{1,3}){3}$/.test(name);
}

/** A 403 response when a token-less server gets a request it should not trust, else null. */
export function guardLocalRequest(env: Pick<Env, "PETALFLOW_TOKEN">, req: Request): Response | null {
  if (env.PETALFLOW_TOKEN) return null;
  const host = req.headers.get("host");
  // Every browser sends Host; without it neither the name nor the origin could be checked.
  if (!host)
    return jsonError(403, "this server has no access token, so it needs a Host header naming localhost");
  if (!isLoopbackName(hostName(host)))
    return jsonError(
      403,
      "this server has no access token, so it only answers requests addressed to localhost",
    );
  const origin = req.headers.get("origin");
  if (origin && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      return jsonError(403, "bad Origin header");
    }
    if (originHost !== host.trim().toLowerCase()) return jsonError(403, "cross-site requests are refused");
  } else if (origin === "null") return jsonError(403, "cross-site requests are refused");
  return null;
}
