/**
 * Serving stored files: artifacts by id and uploads by name. Content-addressed, so responses are
 * immutable (cached for a year, ETag = sha256). Ids and names are checked against strict patterns and
 * looked up in the database; the file path always comes from the row, never from the URL.
 */

import { hasErrorCode } from "../../core/error-codes";
import type { App } from "../app";
import { readExampleAsset } from "../artifacts/example-assets";
import { readContent } from "../artifacts/files";
import { ARTIFACT_ID, type StoredUpload, storeUpload, UPLOAD_NAME } from "../artifacts/store";
import { isRequestAuthorized } from "../auth";
import { DISK_FULL_MESSAGE, isDiskFull } from "../db/disk-full";
import { sharedImagesWhere } from "../routers/shares";
import { jsonError, readBodyLimited } from "./body";
import { guardLocalRequest } from "./guard";

const MiB = 1024 * 1024;
const IMMUTABLE = "public, max-age=31536000, immutable";

function fileResponse(
  req: Request,
  bytes: Uint8Array,
  mimeType: string,
  sha256: string,
  cacheControl = IMMUTABLE,
): Response {
  const etag = `"${sha256}"`;
  const headers = {
    "content-type": mimeType,
    "cache-control": cacheControl,
    etag,
    "x-content-type-options": "nosniff",
  };
  if (
    req.headers
      .get("if-none-match")
      ?.split(",")
      .some((t) => t.trim() === etag)
  )
    return new Response(null, { status: 304, headers });
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { ...headers, "content-length": String(bytes.byteLength) },
  });
}

/** GET /api/artifacts/:id — with the access token, or `?share=<token>` for that share's images. */
export async function serveArtifact(app: App, req: Request, id: string): Promise<Response> {
  const refused = guardLocalRequest(app.env, req);
  if (refused) return refused;
  if (!ARTIFACT_ID.test(id)) return jsonError(404, "no such artifact");
  const row = await app.db.artifact.findUnique({
    where: { id },
    select: {
      path: true,
      mimeType: true,
      sha256: true,
      kind: true,
      run: { select: { graphVersionId: true } },
    },
  });
  if (!isRequestAuthorized(app.env.PETALFLOW_TOKEN, req.headers)) {
    const token = new URL(req.url).searchParams.get("share");
    if (!token || !row || !(await shareCovers(app, id, token, row.kind, row.run.graphVersionId)))
      return jsonError(401, "this server needs its access token");
  }
  if (!row) return jsonError(404, "no such artifact");
  let bytes: Uint8Array;
  try {
    bytes = await readContent(app.dataDir, row.path);
  } catch {
    return jsonError(404, "the artifact's file is missing");
  }
  return fileResponse(req, bytes, row.mimeType, row.sha256);
}

/** An active share of the version whose run made this image. */
async function shareCovers(
  app: App,
  artifactId: string,
  token: string,
  kind: string,
  versionId: string | null,
): Promise<boolean> {
  if (kind !== "image" || !versionId || !/^[A-Za-z0-9_-]{20,64}$/.test(token)) return false;
  const share = await app.db.share.findUnique({
    where: { token },
    select: { graphVersionId: true, revokedAt: true, expiresAt: true },
  });
  if (
    !share ||
    share.graphVersionId !== versionId ||
    share.revokedAt ||
    (share.expiresAt && share.expiresAt.getTime() <= Date.now())
  )
    return false;
  // Only images made from exactly the shared document (not a run with overrides of it).
  const v = await app.db.graphVersion.findUnique({
    where: { id: versionId },
    select: { id: true, document: true },
  });
  return !!v && (await app.db.artifact.count({ where: { id: artifactId, ...sharedImagesWhere(v) } })) === 1;
}

/** GET /api/uploads/:name — an uploaded image, for the Load Image preview on the canvas. */
export async function serveUpload(app: App, req: Request, name: string): Promise<Response> {
  const refused = guardLocalRequest(app.env, req);
  if (refused) return refused;
  if (!isRequestAuthorized(app.env.PETALFLOW_TOKEN, req.headers))
    return jsonError(401, "this server needs its access token");
  const m = UPLOAD_NAME.exec(name);
  const row = m
    ? await app.db.upload.findUnique({
        where: { sha256: m[1] },
        select: { path: true, mimeType: true, sha256: true },
      })
    : null;
  if (!row) {
    // A bundled example image, by name: revalidated (ETag), since a name is not its content.
    const example = m ? null : await readExampleAsset(name);
    if (example) return fileResponse(req, example.bytes, example.mimeType, example.sha256, "no-cache");
    return jsonError(404, "no such upload");
  }
  let bytes: Uint8Array;
  try {
    bytes = await readContent(app.dataDir, row.path);
  } catch {
    return jsonError(404, "the upload's file is missing");
  }
  return fileResponse(req, bytes, row.mimeType, row.sha256);
}

/**
 * POST /api/uploads — the image as the raw body, or as the first file of a multipart form. Checked
 * to be a real PNG/JPEG within the size and pixel limits, stored once per content hash.
 * Answers `{ name, width, height }` (name goes into the Load Image widget).
 */
export async function receiveUpload(app: App, req: Request): Promise<Response> {
  const refused = guardLocalRequest(app.env, req);
  if (refused) return refused;
  if (!isRequestAuthorized(app.env.PETALFLOW_TOKEN, req.headers))
    return jsonError(401, "this server needs its access token");
  const maxFile = app.env.PETALFLOW_MAX_UPLOAD_MB * MiB;
  let body: Uint8Array;
  try {
    // Multipart framing adds a little: allow 64 KiB over the file limit for it.
    body = await readBodyLimited(req, maxFile + 64 * 1024);
  } catch (e) {
    if (hasErrorCode(e, "BODY_TOO_LARGE"))
      return jsonError(413, `the image is over the upload limit of ${app.env.PETALFLOW_MAX_UPLOAD_MB} MiB`);
    throw e;
  }
  let bytes = body;
  const type = req.headers.get("content-type") ?? "";
  if (type.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await new Response(body as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": type },
      }).formData();
    } catch {
      return jsonError(400, "the multipart form could not be read");
    }
    const file = [...form.values()].find(
      (v): v is File => typeof v === "object" && v !== null && "arrayBuffer" in v,
    );
    if (!file) return jsonError(400, "the form has no file");
    bytes = new Uint8Array(await file.arrayBuffer());
  }
  if (bytes.byteLength > maxFile)
    return jsonError(413, `the image is over the upload limit of ${app.env.PETALFLOW_MAX_UPLOAD_MB} MiB`);
  let stored: StoredUpload;
  try {
    stored = await storeUpload(app.db, app.dataDir, bytes, {
      maxPixels: app.env.PETALFLOW_MAX_PIXELS,
      maxBytes: maxFile,
    });
  } catch (e) {
    if (hasErrorCode(e, "UPLOAD_REJECTED")) return jsonError(400, `not accepted: ${e.message}`);
    if (isDiskFull(e)) return jsonError(507, DISK_FULL_MESSAGE);
    throw e;
  }
  return Response.json(
    { name: stored.name, width: stored.width, height: stored.height, url: `/api/uploads/${stored.name}` },
    { status: 201, headers: { "cache-control": "no-store" } },
  );
}
