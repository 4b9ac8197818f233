/**
 * A run's saved files are written without thread-pool hops (writeContentSync): the file is in place
 * before saveImage yields to the event loop, still through a temporary file and a rename, and its row
 * (onArtifact) is only reported once the file is stored.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ContentArtifacts } from "../../server/artifacts/content";
import { contentPath, sha256Hex, writeContentSync } from "../../server/artifacts/files";
import { encodePng } from "../../server/media/png";

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "pf-content-"));
});

const png = encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(200) });

describe("writeContentSync", () => {
  it("stores the bytes under their content path and leaves no temporary file", () => {
    const rel = contentPath("artifacts", sha256Hex(png), "png");
    writeContentSync(dataDir, rel, png);
    expect(readFileSync(path.join(dataDir, rel))).toEqual(Buffer.from(png));
    expect(readdirSync(path.dirname(path.join(dataDir, rel)))).toEqual([path.basename(rel)]);
  });

  it("a failed write throws and leaves no temporary file behind", () => {
    const rel = contentPath("artifacts", sha256Hex(png), "png");
    // The final name is taken by a directory: the rename fails after the temporary file was written.
    mkdirSync(path.join(dataDir, rel), { recursive: true });
    writeFileSync(path.join(dataDir, rel, "x"), "occupied");
    expect(() => writeContentSync(dataDir, rel, png)).toThrow();
    expect(readdirSync(path.dirname(path.join(dataDir, rel)))).toEqual([path.basename(rel)]);
  });
});

describe("ContentArtifacts.saveImage", () => {
  it("has the file stored before it first yields, and reports the row only after", async () => {
    const reported: boolean[] = [];
    const sink = new ContentArtifacts(dataDir, {
      onArtifact: (meta) => reported.push(existsSync(path.join(dataDir, meta.path))),
      findLatent: async () => null,
    });
    const file = path.join(dataDir, contentPath("artifacts", sha256Hex(png), "png"));
    const pending = sink.saveImage({
      runId: "r",
      nodeId: "save",
      index: 0,
      png,
      width: 2,
      height: 2,
      prefix: "t",
      temporary: false,
    });
    // Not awaited yet: with async fs calls the file would only appear after thread-pool round trips.
    expect(existsSync(file)).toBe(true);
    const out = await pending;
    expect(out.sha256).toBe(sha256Hex(png));
    expect(reported).toEqual([true]);
    expect(readFileSync(file)).toEqual(Buffer.from(png));
  });
});
