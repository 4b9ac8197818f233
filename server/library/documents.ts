/**
 * Graph documents as the library stores them: structurally valid (zod), within the size limits,
 * canonical JSON with its sha256. Graph errors (a missing link, an unknown model) do not stop a save:
 * unfinished work is kept. Also reads documents out of imported JSON text and Petalflow PNGs.
 */
import { createHash } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { hasErrorCode } from "../../core/error-codes";
import {
  canonicalJson,
  documentBytes,
  type GraphDocument,
  graphDocumentSchema,
  LIMITS,
  type NestingError,
  storedJson,
} from "../../core/graph/document";
import { fieldError } from "../errors";
import { PNG_TEXT_KEYS, readPngText } from "../media/png";

/**
 * A document as a procedure input: measured as sent (documentBytes, the same measure runs.enqueue's
 * validation uses), then the zod schema. Declared with the schema's own types for the client.
 */
export const documentInput = z
  .unknown()
  .superRefine((raw, ctx) => {
    let bytes: number;
    try {
      bytes = documentBytes(raw);
    } catch (e) {
      if (hasErrorCode(e, "DOCUMENT_TOO_DEEP")) {
        ctx.addIssue({
          code: "custom",
          path: (e as NestingError).path,
          message: e.message.replace(/ \(at .*\)$/, ""),
        });
        return;
      }
      // Only in-process callers can pass such values (a bigint): HTTP inputs are JSON.
      ctx.addIssue({ code: "custom", message: `the document is not plain JSON: ${(e as Error).message}` });
      return;
    }
    if (bytes > LIMITS.maxDocumentBytes)
      ctx.addIssue({
        code: "custom",
        message: `the document is ${bytes} bytes; at most ${LIMITS.maxDocumentBytes}`,
      });
  })
  .pipe(graphDocumentSchema) as unknown as typeof graphDocumentSchema;

export interface StoredDocument {
  document: GraphDocument;
  json: string;
  hash: string;
  /**
   * The hashes a saved version of this document may have: versions saved before documents were
   * stored compact hold the indented canonical form's hash, and must still match (no duplicate
   * version, no spurious draft).
   */
  hashes: string[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export function storeForm(document: GraphDocument): StoredDocument {
  const json = storedJson(document);
  const hash = sha256(json);
  return { document, json, hash, hashes: [hash, sha256(canonicalJson(document))] };
}

/** Parses stored JSON text (written by this server, so trusted to be a document). */
export function readStored(json: string): GraphDocument {
  return JSON.parse(json) as GraphDocument;
}

/**
 * A structurally valid document from untrusted JSON text, or a BAD_REQUEST naming each problem.
 * `field` is the input field the text came in (the field-level error is keyed by it).
 */
export function documentFromJsonText(text: string, source: string, field = "source.text"): GraphDocument {
  if (text.length > LIMITS.maxDocumentBytes)
    throw fieldError(
      field,
      `${source} is ${text.length} bytes; a document may have at most ${LIMITS.maxDocumentBytes}`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw fieldError(field, `${source} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = documentInput.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `${source} is not a Petalflow graph document: ${first.path.join(".") || "document"}: ${first.message}`,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** Most base64 characters a PNG import may have (≈ 24 MiB of PNG). */
export const MAX_PNG_BASE64 = 32 * 1024 * 1024;

/** The document embedded (by Save Image) in a PNG given as base64. */
export function documentFromPngBase64(base64: string, field = "source.base64"): GraphDocument {
  const clean = base64.replace(/^data:image\/png;base64,/, "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1)
    throw fieldError(field, "the PNG is not valid base64");
  const bytes = Buffer.from(clean, "base64");
  let text: Record<string, string>;
  try {
    text = readPngText(bytes);
  } catch (e) {
    const msg = hasErrorCode(e, "PNG_ERROR") ? e.message : String(e);
    throw fieldError(field, `cannot read the PNG: ${msg}`);
  }
  const embedded = text[PNG_TEXT_KEYS.document];
  if (embedded === undefined)
    throw fieldError(
      field,
      "this PNG has no Petalflow graph in it (no 'petalflow' text chunk): only images saved by Petalflow can be imported",
    );
  return documentFromJsonText(embedded, "the graph in the PNG", field);
}

export const tagInput = z
  .string()
  .trim()
  .min(1, "a tag cannot be empty")
  .max(32, "a tag has at most 32 characters")
  .transform((t) => t.toLowerCase());

export const tagsInput = z
  .array(tagInput)
  .max(16, "at most 16 tags")
  .transform((tags) => [...new Set(tags)].sort());

/** A file name for an exported document: the graph name in kebab case. */
export function exportFileName(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 80);
  return `${slug || "graph"}.petalflow.json`;
}
