/** A model part's ONNX file: is it there, does it look like ONNX, and how many bytes with its external weights. */
import fs from "node:fs/promises";
import path from "node:path";
import { ioMessage } from "./config-json";
import type { ModelPart } from "./models";

/**
 * True when the first bytes can start a protobuf message (an ONNX ModelProto): a varint tag with
 * field number ≥ 1 and wire type 0, 1, 2 or 5. This never rejects a real model; it catches text,
 * HTML error pages, Git LFS pointers ("version https://…" starts with 'v' = field 14, wire type 6).
 */
export function looksLikeProtobuf(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  let tag = 0;
  let shift = 0;
  for (let i = 0; i < Math.min(head.length, 5); i++) {
    tag |= (head[i] & 0x7f) << shift;
    if ((head[i] & 0x80) === 0) {
      const wire = tag & 7;
      return tag >>> 3 >= 1 && (wire === 0 || wire === 1 || wire === 2 || wire === 5);
    }
    shift += 7;
  }
  return false;
}

/**
 * Bytes of an ONNX model plus the external weight files beside it (`model.onnx_data`, `weights.pb`,
 * per-tensor files…): every regular file in the folder except JSON/text files and other `.onnx` graphs.
 */
export async function onnxWeightBytes(onnxFile: string): Promise<number> {
  const dir = path.dirname(onnxFile);
  const own = path.basename(onnxFile);
  let total = (await fs.stat(onnxFile)).size;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name === own || !entry.isFile()) continue;
    if (/\.(json|txt|md|onnx)$/i.test(entry.name) || entry.name.startsWith(".")) continue;
    total += (await fs.stat(path.join(dir, entry.name))).size;
  }
  return total;
}

/** Checks `<part>/model.onnx`; returns its size with external weights, or the reason it is unusable. */
export async function inspectPart(
  dir: string,
  part: ModelPart,
): Promise<{ ok: true; file: string; bytes: number } | { ok: false; reason: string; missing: boolean }> {
  const rel = `${part}/model.onnx`;
  const file = path.join(dir, part, "model.onnx");
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    return { ok: false, missing, reason: missing ? `${rel} is missing` : `${rel}: ${ioMessage(err)}` };
  }
  if (!stat.isFile()) return { ok: false, missing: false, reason: `${rel} is not a file` };
  if (stat.size === 0) return { ok: false, missing: false, reason: `${rel} is empty (0 bytes)` };
  const head = Buffer.alloc(8);
  const handle = await fs.open(file, "r");
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (!looksLikeProtobuf(head)) {
    const hex = [...head.subarray(0, Math.min(8, stat.size))].map((b) => b.toString(16).padStart(2, "0"));
    return {
      ok: false,
      missing: false,
      reason: `${rel} is not an ONNX model (it starts with bytes ${hex.join(" ")})`,
    };
  }
  return { ok: true, file, bytes: await onnxWeightBytes(file) };
}
