/**
 * The access token check. When PETALFLOW_TOKEN is set, every API call must carry it as
 * `Authorization: Bearer <token>` or in the `petalflow_token` cookie; share links and /api/health
 * are the only paths that do not ask for it.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export const TOKEN_COOKIE = "petalflow_token";

/** The token a request carries (bearer header first, then the cookie), or null. */
export function tokenFromHeaders(headers: Headers): string | null {
  const auth = headers.get("authorization");
  const bearer = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  if (bearer) return bearer;
  const cookie = headers.get("cookie");
  if (!cookie) return null;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** True when no token is configured, or when `presented` equals it (compared in constant time). */
export function isAuthorized(required: string | undefined, presented: string | null): boolean {
  if (!required) return true;
  if (!presented) return false;
  // Hash both sides so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(required).digest();
  const b = createHash("sha256").update(presented).digest();
  return timingSafeEqual(a, b);
}

export function isRequestAuthorized(required: string | undefined, headers: Headers): boolean {
  return isAuthorized(required, tokenFromHeaders(headers));
}
