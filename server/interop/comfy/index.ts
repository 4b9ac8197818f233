/**
 * ComfyUI (and AUTOMATIC1111) import: recognise the format, read it, map it to a Petalflow document.
 * Pure functions (no I/O); the caller passes the installed model ids.
 */
import { looksLikeA1111, readA1111 } from "./a1111";
import { type IrGraph, isComfyPrompt, isComfyWorkflow, readPrompt, readWorkflow } from "./ir";
import { parseComfyJson } from "./json";
import { type MapResult, mapComfyGraph } from "./map";
import type { ImportSource } from "./types";

export { type ComfyExport, type ExportProblem, exportComfyPrompt } from "./export";
export { type ComfyWorkflow, type ComfyWorkflowExport, exportComfyWorkflow } from "./export-workflow";
export { matchModel } from "./map";
export type { ImportProblem, ImportSource } from "./types";

export interface ComfyImport extends MapResult {
  source: ImportSource;
}

/** ComfyUI's API prompt (bare, or as the `{prompt, client_id}` body of POST /prompt) or UI workflow; null otherwise. */
export function importComfyJson(
  value: unknown,
  models: readonly string[],
  name?: string,
  uploads?: ReadonlyMap<string, string>,
): ComfyImport | null {
  let ir: IrGraph;
  let source: ImportSource;
  const wrapped = value && typeof value === "object" ? (value as Record<string, unknown>).prompt : undefined;
  if (isComfyWorkflow(value)) {
    ir = readWorkflow(value);
    source = "comfy-workflow";
  } else if (isComfyPrompt(value)) {
    ir = readPrompt(value);
    source = "comfy-prompt";
  } else if (isComfyPrompt(wrapped)) {
    ir = readPrompt(wrapped);
    source = "comfy-prompt";
  } else return null;
  return { source, ...mapComfyGraph(ir, { models, name: name ?? "Imported ComfyUI workflow", uploads }) };
}

/** PNG text chunks from ComfyUI (`workflow`, `prompt`) or A1111/Forge (`parameters`); null when none. */
export function importFromPngText(
  text: Record<string, string>,
  models: readonly string[],
): ComfyImport | { error: string } | null {
  for (const key of ["workflow", "prompt"] as const) {
    const raw = text[key];
    if (raw === undefined) continue;
    let parsed: unknown;
    try {
      parsed = parseComfyJson(raw);
    } catch (e) {
      if (key === "workflow" && text.prompt !== undefined) continue;
      return { error: `the PNG's "${key}" text is not valid JSON: ${(e as Error).message}` };
    }
    const got = importComfyJson(parsed, models, "Imported ComfyUI image");
    if (got) return got;
  }
  const params = text.parameters;
  if (params !== undefined && looksLikeA1111(params)) return importA1111(params, models);
  return null;
}

export function importA1111(text: string, models: readonly string[]): ComfyImport {
  return {
    source: "a1111-parameters",
    ...mapComfyGraph(readA1111(text), { models, name: "Imported AUTOMATIC1111 image" }),
  };
}
