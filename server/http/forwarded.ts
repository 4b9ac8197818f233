/**
 * X-Forwarded-For is believed only from the configured reverse proxy (PETALFLOW_TRUSTED_PROXY).
 * Route handlers never see the connection, so this works where they cannot: on the Node HTTP server,
 * before Next reads the request. From any other peer the forwarding headers are dropped, and Next then
 * sets X-Forwarded-For to the connection's own address — so whatever reaches the routes is true.
 */
import http from "node:http";

const FORWARDING = ["x-forwarded-for", "x-real-ip"] as const;

/** "::ffff:127.0.0.1" and "127.0.0.1" are one address; "[::1]" and "::1" too. */
export function normalizeAddress(address: string): string {
  const a = address
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}

/** Removes the forwarding headers unless `remoteAddress` is the trusted proxy. */
export function dropUntrustedForwarding(
  headers: http.IncomingHttpHeaders,
  remoteAddress: string | undefined,
  trustedProxy: string | undefined,
): void {
  const trusted =
    trustedProxy && remoteAddress && normalizeAddress(remoteAddress) === normalizeAddress(trustedProxy);
  if (trusted) return;
  for (const h of FORWARDING) delete headers[h];
}

const INSTALLED = Symbol.for("petalflow.forwardingGuard");

/** Applies dropUntrustedForwarding to every request of every HTTP server in this process (once). */
export function installForwardingGuard(trustedProxy: string | undefined): void {
  const proto = http.Server.prototype as http.Server & { [INSTALLED]?: boolean };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const emit = proto.emit;
  proto.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const req = args[0] as http.IncomingMessage;
      dropUntrustedForwarding(req.headers, req.socket?.remoteAddress, trustedProxy);
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof proto.emit;
}
