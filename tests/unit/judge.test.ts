/** The test-time pixel judge, checked on ground truth: a sample of the demo model's training images. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../server/media/png";
import { judge } from "../helpers/judge";

const DIR = "tests/fixtures/shapes-sample";
const index: { file: string; bg: string; color: string; shape: string; pos: string }[] = JSON.parse(
  readFileSync(`${DIR}/index.json`, "utf8"),
);
const judged = index.map((s) => {
  const img = decodeImage(readFileSync(`${DIR}/${s.file}`), { maxPixels: 1 << 16, maxBytes: 1 << 20 });
  return { truth: s, j: judge(img.data, img.width, img.height, 4) };
});
const rate = (ok: (x: (typeof judged)[number]) => boolean) => judged.filter(ok).length / judged.length;

describe("pixel judge on training images", () => {
  it("tells the background colour (≥ 99%)", () => {
    expect(rate(({ truth, j }) => truth.bg === j.background)).toBeGreaterThanOrEqual(0.99);
  });
  it("tells the object colour (≥ 95%)", () => {
    expect(rate(({ truth, j }) => truth.color === j.color)).toBeGreaterThanOrEqual(0.95);
  });
  it("tells the position (≥ 90%: jittered objects near a cell edge may cross it)", () => {
    const norm = (p: string) => (p === "centre" ? "centre" : p);
    expect(rate(({ truth, j }) => norm(truth.pos) === j.position)).toBeGreaterThanOrEqual(0.9);
  });
  it("separates circles, squares and triangles by the spread of their pixels", () => {
    const spread = (shape: string) =>
      judged.filter(({ truth }) => truth.shape === shape).map(({ j }) => j.spread);
    const [circles, squares, triangles] = [spread("circle"), spread("square"), spread("triangle")];
    for (const xs of [circles, squares, triangles]) expect(xs.length).toBeGreaterThan(3);
    expect(Math.max(...circles)).toBeLessThan(Math.min(...squares));
    expect(Math.max(...squares)).toBeLessThan(Math.min(...triangles));
  });
});
