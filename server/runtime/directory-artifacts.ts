/**
 * The CLI's artifact sink: writes images and latents into one output folder, never overwriting
 * (ComfyUI-style counters: prefix_00001.png). Inputs (Load Image, Load Latent) are read from paths
 * relative to the working directory — the CLI runs on the user's own files.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { FileOutput } from "../../core/run/events";
import { readExampleAsset } from "../artifacts/example-assets";
import type { ArtifactSink, SaveImageRequest, SaveLatentRequest } from "./services";

export class DirectoryArtifacts implements ArtifactSink {
  private counter: number | null = null;

  constructor(
    private readonly outDir: string,
    private readonly inputDir: string,
  ) {}

  private async next(): Promise<number> {
    if (this.counter === null) {
      await mkdir(this.outDir, { recursive: true });
      const numbers = (await readdir(this.outDir)).map((f) => Number(/_(\d{5,})\.\w+$/.exec(f)?.[1] ?? 0));
      this.counter = Math.max(0, ...numbers);
    }
    this.counter += 1;
    return this.counter;
  }

  async saveImage(req: SaveImageRequest): Promise<FileOutput> {
    const name = `${safePrefix(req.prefix)}_${String(await this.next()).padStart(5, "0")}.png`;
    const file = path.join(this.outDir, name);
    // Blocking: three thread-pool hops (open, write, close) cost milliseconds on a loaded machine, on
    // the run's critical path; the CLI's event loop has nothing else to do meanwhile.
    writeFileSync(file, req.png, { flag: "wx" });
    return {
      path: file,
      kind: "image",
      width: req.width,
      height: req.height,
      seed: req.seed,
      sha256: createHash("sha256").update(req.png).digest("hex"),
    };
  }

  async saveLatent(req: SaveLatentRequest): Promise<FileOutput> {
    const name = `${safePrefix(req.prefix)}_${String(await this.next()).padStart(5, "0")}.latent`;
    const file = path.join(this.outDir, name);
    writeFileSync(file, req.bytes, { flag: "wx" });
    return { path: file, kind: "latent", sha256: createHash("sha256").update(req.bytes).digest("hex") };
  }

  readLatent(name: string): Promise<Uint8Array> {
    return readFile(path.resolve(this.inputDir, name));
  }

  /** A path relative to the working directory, or the name of one of the bundled example images. */
  async readUpload(name: string): Promise<Uint8Array> {
    try {
      return await readFile(path.resolve(this.inputDir, name));
    } catch (e) {
      if (path.basename(name) !== name) throw e;
      const example = await readExampleAsset(name);
      if (!example) throw e;
      return example.bytes;
    }
  }
}

/** File prefixes keep to letters, digits, - and _ (no path tricks). */
export function safePrefix(prefix: string): string {
  return prefix.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 64) || "image";
}
