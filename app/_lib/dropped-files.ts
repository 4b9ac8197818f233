/**
 * What a file dropped on the canvas is: a graph to open (JSON, a PNG that Petalflow saved with its graph
 * inside, or a ComfyUI / AUTOMATIC1111 PNG with theirs) or an ordinary image, which becomes a Load Image node holding it (as in ComfyUI).
 * The PNG is told apart by its text chunks alone, without decoding pixels.
 */

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** The keyword of the text chunk holding a saved graph (server/media/png.ts PNG_TEXT_KEYS.document). */
const GRAPH_KEYWORD = "petalflow";

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Keywords of text chunks that carry a graph another tool wrote: ComfyUI's `workflow` / `prompt`, and
 * AUTOMATIC1111/Forge's `parameters` (only with a "Steps: " line, as graphs.import requires).
 */
const FOREIGN_KEYWORDS = new Set(["workflow", "prompt", "parameters"]);
const STEPS = [...new TextEncoder().encode("Steps: ")];

function containsSteps(bytes: Uint8Array): boolean {
  outer: for (let i = 0; i + STEPS.length <= bytes.length; i++) {
    for (let j = 0; j < STEPS.length; j++) if (bytes[i + j] !== STEPS[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * True when a PNG has a tEXt/zTXt/iTXt chunk whose keyword is "petalflow" (the graph), or a ComfyUI
 * `workflow`/`prompt` or A1111 `parameters` chunk: ComfyUI opens those on a drop too.
 */
export function pngHasGraph(bytes: Uint8Array): boolean {
  if (!isPng(bytes)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = at + 8;
    if (data + length > bytes.length) return false; // truncated: let the server say what is wrong
    if (type === "tEXt" || type === "zTXt" || type === "iTXt") {
      let end = data;
      while (end < data + length && bytes[end] !== 0) end++;
      const keyword = String.fromCharCode(...bytes.subarray(data, end));
      if (keyword === GRAPH_KEYWORD) return true;
      if (FOREIGN_KEYWORDS.has(keyword)) {
        if (keyword !== "parameters" || containsSteps(bytes.subarray(end, data + length))) return true;
      }
    }
    if (type === "IEND") return false;
    at = data + length + 4; // + CRC
  }
  return false;
}

export type DroppedFileKind = "graph-json" | "graph-png" | "image" | "unknown";

export function droppedFileKind(file: { name: string; type: string }, head: Uint8Array): DroppedFileKind {
  const name = file.name.toLowerCase();
  if (isPng(head)) return pngHasGraph(head) ? "graph-png" : "image";
  if (file.type === "image/jpeg" || /\.jpe?g$/.test(name) || (head[0] === 0xff && head[1] === 0xd8))
    return "image";
  if (file.type === "application/json" || name.endsWith(".json")) return "graph-json";
  return "unknown";
}
