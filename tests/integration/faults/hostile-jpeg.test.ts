/**
 * Hostile progressive JPEGs (issue #13, item 2). A 2048² JPEG of 50 000 tiny scans (~1 MB) kept
 * jpeg-js busy on the server's only JavaScript thread for 25–50 s, then was accepted. Now: scans are
 * counted before decoding (refused in a marker walk), and JPEGs are decoded by sharp on libuv's pool,
 * so the event loop keeps running while one decodes. Uploads and Load Image (runner) share the path.
 * Also checked against an independent decoder: sharp's pixels match jpeg-js's on a normal JPEG.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import jpeg from "jpeg-js";
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readContent, sha256Hex } from "../../../server/artifacts/files";
import { receiveUpload } from "../../../server/http/files";
import { decodeImageAsync } from "../../../server/media/decode";
import { MAX_JPEG_SCANS } from "../../../server/media/jpeg-scans";
import { decodeImage } from "../../../server/media/png";
import { makeTestApp, type TestApp, waitForRun } from "../helpers/app";
import { loadAndSave } from "../helpers/documents";
import { hostileProgressiveJpeg } from "./hostile-jpeg";

const LIMITS = { maxPixels: 4_194_304, maxBytes: 20 * 1024 * 1024 };
let t: TestApp;
const counts = { refused: 0, decodedOffThread: 0, ticksDuringDecode: 0 };
beforeAll(async () => {
  t = await makeTestApp({ startWorker: false });
});
afterAll(async () => {
  await t?.close();
  console.log(
    `[faults] hostile JPEG: ${counts.refused} many-scan JPEG(s) refused before decoding, ${counts.decodedOffThread} ` +
      `decoded off the event loop (${counts.ticksDuringDecode} timer ticks ran during the decode)`,
  );
});

const upload = (bytes: Uint8Array) =>
  receiveUpload(
    t.app,
    new Request("http://localhost/api/uploads", {
      method: "POST",
      headers: { host: "localhost", "content-type": "image/jpeg" },
      body: bytes as Uint8Array<ArrayBuffer>,
    }),
  );

it("refuses a 2048² progressive JPEG of 50 000 tiny scans without decoding it", async () => {
  const hostile = hostileProgressiveJpeg(2048, 50_000);
  expect(hostile.length).toBeLessThan(LIMITS.maxBytes);
  const res = await upload(hostile);
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toMatch(
    new RegExp(`more than ${MAX_JPEG_SCANS} scans`),
  );
  // The same bound on every path: Load Image's decoder and the synchronous one.
  await expect(decodeImageAsync(hostile, LIMITS)).rejects.toThrow(/scans/);
  expect(() => decodeImage(hostile, LIMITS)).toThrow(/scans/);
  counts.refused++;
});

it("decodes an allowed JPEG off the event loop: timers keep firing while it decodes", async () => {
  // Just under the scan bound, and large: the most work an accepted JPEG may ask for.
  const heavy = hostileProgressiveJpeg(2048, MAX_JPEG_SCANS - 2);
  let ticks = 0;
  let decoding = true;
  const tick = () => {
    ticks++;
    if (decoding) setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  const res = await upload(heavy);
  decoding = false;
  expect(res.status).toBe(201);
  // A decode on this thread would let at most one timer run; on the pool, they keep firing.
  expect(ticks).toBeGreaterThan(5);
  counts.decodedOffThread++;
  counts.ticksDuringDecode += ticks;
});

it("sharp's pixels match jpeg-js's (an independent decoder) on a normal photo-like JPEG", async () => {
  const w = 96;
  const h = 64;
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      px[i] = (x * 255) / w;
      px[i + 1] = (y * 255) / h;
      px[i + 2] = 128 + 100 * Math.sin(x / 7);
    }
  const file = await sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 92, progressive: true })
    .toBuffer();
  const ours = await decodeImageAsync(new Uint8Array(file), LIMITS);
  const ref = jpeg.decode(file, { useTArray: true, formatAsRGBA: true });
  expect([ours.width, ours.height]).toEqual([ref.width, ref.height]);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ours.data.length; i++) {
    const d = Math.abs(ours.data[i] - ref.data[i]);
    sum += d;
    max = Math.max(max, d);
  }
  // Both are IEEE-1180-conformant IDCTs with different chroma upsampling: close, not identical.
  expect(sum / ours.data.length).toBeLessThan(2);
  expect(max).toBeLessThan(40);
});

it("Load Image in the runner process decodes JPEGs the same way, and refuses a many-scan one already on disk", async () => {
  const r = await makeTestApp({ runner: "process" });
  try {
    // A normal JPEG, uploaded, loaded and saved as PNG: the saved pixels are the decoded ones.
    const px = Buffer.alloc(48 * 32 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 37) % 251;
    const file = new Uint8Array(
      await sharp(px, { raw: { width: 48, height: 32, channels: 3 } })
        .jpeg()
        .toBuffer(),
    );
    const res = await receiveUpload(
      r.app,
      new Request("http://localhost/api/uploads", {
        method: "POST",
        headers: { host: "localhost" },
        body: file as Uint8Array<ArrayBuffer>,
      }),
    );
    const up = (await res.json()) as { name: string };
    const ok = (await r.caller.runs.enqueue({ document: loadAndSave(up.name) })).runs[0].id;
    expect(await waitForRun(r.app, ok, 60_000)).toBe("succeeded");
    const art = await r.app.db.artifact.findFirstOrThrow({ where: { runId: ok, kind: "image" } });
    const saved = decodeImage(await readContent(r.app.dataDir, art.path), LIMITS);
    const want = await decodeImageAsync(file, LIMITS);
    let max = 0;
    for (let i = 0; i < want.data.length; i++) max = Math.max(max, Math.abs(saved.data[i] - want.data[i]));
    expect(max).toBeLessThanOrEqual(1);

    // A many-scan JPEG stored by an older version (no scan bound then): the run fails with the reason.
    const hostile = hostileProgressiveJpeg(256, 5_000);
    const sha = sha256Hex(hostile);
    const rel = `uploads/${sha.slice(0, 2)}/${sha}.jpg`;
    await mkdir(path.dirname(path.join(r.app.dataDir, rel)), { recursive: true });
    await writeFile(path.join(r.app.dataDir, rel), hostile);
    await r.app.db.upload.create({
      data: {
        sha256: sha,
        path: rel,
        mimeType: "image/jpeg",
        width: 256,
        height: 256,
        bytes: hostile.length,
      },
    });
    const bad = (await r.caller.runs.enqueue({ document: loadAndSave(`${sha}.jpg`) })).runs[0].id;
    expect(await waitForRun(r.app, bad, 60_000)).toBe("failed");
    const run = await r.app.db.run.findUniqueOrThrow({ where: { id: bad } });
    expect(run.error).toMatch(/more than \d+ scans/);
    counts.refused++;
  } finally {
    await r.close();
  }
}, 120_000);
