/**
 * POST /upload/mask as ComfyUI's mask editor uses it: the form's `image` is the painted mask (RGBA) and
 * `original_ref` ({filename, subfolder, type}) names the image it was painted on. As ComfyUI's server
 * does, the mask's alpha channel replaces the original's (converted to RGBA) and the original's PNG text
 * chunks are kept; the result is stored as an upload under the mask's file name (ComfyUI's input folder).
 * ComfyUI then loads it with LoadImage, whose MASK output comes from that alpha.
 */
import type { App } from "../../../app";
import { storeUpload } from "../../../artifacts/store";
import { decodeImageAsync } from "../../../media/decode";
import { encodePng, isPng, readPngText } from "../../../media/png";
import { viewFile } from "./history";
import { inputKey, rememberInput } from "./inputs";

type Failure = { status: number; message: string };

/** The original named by `original_ref` (ComfyUI's default type there is "output"). */
function originalRef(
  raw: FormDataEntryValue | null,
): { filename: string; type: string; subfolder: string } | Failure {
  let ref: unknown;
  try {
    ref = typeof raw === "string" ? JSON.parse(raw) : null;
  } catch {
    ref = null;
  }
  const r = ref as { filename?: unknown; type?: unknown; subfolder?: unknown } | null;
  if (!r || typeof r !== "object" || typeof r.filename !== "string" || !r.filename)
    return {
      status: 400,
      message:
        'original_ref must be JSON naming the image the mask was painted on: {"filename": …, "type": …}',
    };
  if (r.filename.startsWith("/") || r.filename.includes(".."))
    return { status: 400, message: "original_ref.filename must be a plain file name" };
  return {
    filename: r.filename,
    type: typeof r.type === "string" ? r.type : "output",
    subfolder: typeof r.subfolder === "string" ? r.subfolder : "",
  };
}

export async function uploadMask(
  app: App,
  form: FormData,
  mask: File,
  maxBytes: number,
): Promise<{ name: string; subfolder: string; type: "input" } | Failure> {
  const ref = originalRef(form.get("original_ref"));
  if ("status" in ref) return ref;
  const original = await viewFile(app, new URLSearchParams(ref));
  if ("status" in original)
    return {
      status: original.status,
      message: `original_ref: ${original.message} ("${ref.filename}", type ${ref.type})`,
    };
  const limits = { maxPixels: app.env.PETALFLOW_MAX_PIXELS, maxBytes };
  const maskBytes = new Uint8Array(await mask.arrayBuffer());
  let base: Awaited<ReturnType<typeof decodeImageAsync>>;
  let painted: Awaited<ReturnType<typeof decodeImageAsync>>;
  try {
    base = await decodeImageAsync(original.bytes, limits);
    painted = await decodeImageAsync(maskBytes, limits);
  } catch (e) {
    return { status: 400, message: `not accepted: ${(e as Error).message}` };
  }
  if (base.width !== painted.width || base.height !== painted.height)
    return {
      status: 400,
      message: `the mask is ${painted.width}×${painted.height} but the original is ${base.width}×${base.height}`,
    };
  // RGB from the original, alpha from the mask (PIL's putalpha(mask.getchannel("A"))).
  const data = Uint8Array.from(base.data);
  for (let i = 3; i < data.length; i += 4) data[i] = painted.data[i];
  let text: Record<string, string> = {};
  try {
    if (isPng(original.bytes)) text = readPngText(original.bytes);
  } catch {
    text = {}; // unreadable text chunks: the pixels still go
  }
  const rgba = { width: base.width, height: base.height, data, channels: 4 as const };
  let png: Uint8Array;
  try {
    png = encodePng(rgba, text);
  } catch {
    png = encodePng(rgba); // text the encoder refuses (over its limits) is dropped, not the mask
  }
  const stored = await storeUpload(app.db, app.dataDir, png, limits);
  const subfolder = String(form.get("subfolder") ?? "");
  const key = inputKey(mask.name, subfolder);
  if (!key) return { name: stored.name, subfolder: "", type: "input" };
  await rememberInput(app, key, stored.name);
  return { name: mask.name, subfolder, type: "input" };
}

/**
 * GET /view's `channel` (ComfyUI's mask editor reads an image's alpha with `channel=a`): "rgb" is the
 * image without its alpha, "a" an RGBA image holding only the alpha (255 where there is none), as PNGs;
 * "rgba" (the default) the file as stored.
 */
export async function viewChannel(
  bytes: Uint8Array,
  channel: string,
  limits: { maxPixels: number; maxBytes: number },
): Promise<Uint8Array | Failure> {
  if (channel === "rgba") return bytes;
  if (channel !== "rgb" && channel !== "a") return { status: 400, message: "channel is rgba, rgb or a" };
  const img = await decodeImageAsync(bytes, limits);
  const n = img.width * img.height;
  if (channel === "rgb") {
    const rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) rgb.set(img.data.subarray(i * 4, i * 4 + 3), i * 3);
    return encodePng({ width: img.width, height: img.height, data: rgb, channels: 3 });
  }
  const alpha = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) alpha[i * 4 + 3] = img.data[i * 4 + 3];
  return encodePng({ width: img.width, height: img.height, data: alpha, channels: 4 });
}
