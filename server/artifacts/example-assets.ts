/**
 * The images the example documents (templates) use, shipped in examples/assets and found by bare
 * name ("red-circle-on-blue.png"), so every template runs on a fresh install without an upload.
 * Only plain file names listed in that folder are served: never a path from the request.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { sha256Hex } from "./files";

/** Where the bundled example images live (the server and the CLI run from the project folder). */
export const EXAMPLE_ASSETS_DIR = path.resolve("examples/assets");

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}\.(png|jpe?g)$/;

export interface ExampleAsset {
  bytes: Uint8Array;
  mimeType: string;
  sha256: string;
}

/** The bundled example image of that name, or null when there is none. */
export async function readExampleAsset(name: string, dir = EXAMPLE_ASSETS_DIR): Promise<ExampleAsset | null> {
  const m = ASSET_NAME.exec(name);
  if (!m) return null;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  if (!names.includes(name)) return null;
  const bytes = new Uint8Array(await readFile(path.join(dir, name)));
  return { bytes, mimeType: m[1] === "png" ? "image/png" : "image/jpeg", sha256: sha256Hex(bytes) };
}
