/** Request bodies read with a byte cap, so an oversized upload or RPC batch is refused early (413). */

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  readonly code = "BODY_TOO_LARGE";
  constructor(readonly limit: number) {
    super(`the request body is over the limit of ${limit} bytes`);
  }
}

/** The whole body, or BodyTooLargeError as soon as more than `maxBytes` arrive (or are announced). */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<Uint8Array> {
  const announced = Number(req.headers.get("content-length") ?? "");
  if (Number.isFinite(announced) && announced > maxBytes) throw new BodyTooLargeError(maxBytes);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function jsonError(status: number, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: message }, { status, headers: { "cache-control": "no-store", ...headers } });
}
