/**
 * GET /view_metadata/{folder}?filename=: ComfyUI answers with a checkpoint's safetensors `__metadata__`
 * (a flat string → string table) and 404 when there is none. Petalflow's checkpoints are ONNX folders,
 * whose own description is `model_index.json`: its entries, as strings, plus `modelspec.title`. The
 * name may be the model id or `<id>.safetensors`, as /object_info and the exporter write it.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { App } from "../../../app";
import { matchModel } from "../map";

export async function viewMetadata(
  app: App,
  folder: string,
  filename: string | null,
): Promise<Record<string, string> | null> {
  if (folder !== "checkpoints" || !filename) return null;
  const { models } = await app.runtime.services.models.list();
  const id = matchModel(
    filename,
    models.map((m) => m.id),
  );
  const model = id ? models.find((m) => m.id === id) : undefined;
  if (!model) return null;
  let index: unknown;
  try {
    index = JSON.parse(await fs.readFile(path.join(model.dir, "model_index.json"), "utf8"));
  } catch {
    return null;
  }
  if (!index || typeof index !== "object" || Array.isArray(index)) return null;
  const out: Record<string, string> = { "modelspec.title": model.id };
  for (const [k, v] of Object.entries(index as Record<string, unknown>).slice(0, 200))
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}
