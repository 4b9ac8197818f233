/**
 * What graphs.import accepts: a Petalflow document (JSON or PNG), a ComfyUI workflow or API prompt
 * (JSON, or a PNG's `workflow` / `prompt` text chunks), or an AUTOMATIC1111/Forge PNG's `parameters`
 * text. Foreign formats come with a per-node list of what could not be brought over.
 */

import type { GraphDocument } from "../../core/graph/document";
import { LIMITS } from "../../core/graph/document";
import { fieldError } from "../errors";
import { type ComfyImport, importA1111, importComfyJson, importFromPngText } from "../interop/comfy";
import { parseComfyJson } from "../interop/comfy/json";
import { PNG_TEXT_KEYS, PngError, readPngText } from "../media/png";
import { documentFromJsonText, documentFromPngBase64 } from "./documents";

export interface ImportedDocument {
  document: GraphDocument;
  /** Present for foreign formats: where it came from and what did not map. */
  foreign?: Pick<ComfyImport, "source" | "problems">;
}

function foreign(got: ComfyImport): ImportedDocument {
  return { document: got.document, foreign: { source: got.source, problems: got.problems } };
}

export function importJsonText(
  text: string,
  models: readonly string[],
  field = "source.text",
): ImportedDocument {
  let raw: unknown;
  try {
    // Seeds above 2^53 in ComfyUI JSON stay exact (a Petalflow document is re-read from `text` below).
    raw = text.length <= LIMITS.maxDocumentBytes ? parseComfyJson(text) : undefined;
  } catch {
    raw = undefined;
  }
  const isPetalflow = raw !== null && typeof raw === "object" && "format" in raw;
  if (raw !== undefined && !isPetalflow) {
    const got = importComfyJson(raw, models);
    if (got) return foreign(got);
  }
  // Pasted A1111 parameters text is not JSON.
  if (raw === undefined && /(^|\n)Steps: \d+/.test(text)) return foreign(importA1111(text, models));
  return { document: documentFromJsonText(text, "the file", field) };
}

export function importPngBase64(
  base64: string,
  models: readonly string[],
  field = "source.base64",
): ImportedDocument {
  const clean = base64.replace(/^data:image\/png;base64,/, "").replace(/\s+/g, "");
  let text: Record<string, string> | null = null;
  try {
    text = readPngText(Buffer.from(clean, "base64"));
  } catch (e) {
    if (!(e instanceof PngError)) throw e;
  }
  // Petalflow's own chunk wins; invalid PNGs get documentFromPngBase64's specific errors.
  if (!text || text[PNG_TEXT_KEYS.document] !== undefined)
    return { document: documentFromPngBase64(base64, field) };
  const got = importFromPngText(text, models);
  if (got === null)
    throw fieldError(
      field,
      "this PNG has no Petalflow graph in it (no 'petalflow' text chunk), no ComfyUI 'workflow'/'prompt' chunk and no AUTOMATIC1111 'parameters' text",
    );
  if ("error" in got) throw fieldError(field, got.error);
  return foreign(got);
}
