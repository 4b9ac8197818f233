import { describe, expect, it } from "vitest";
import { droppedFileKind, pngHasGraph } from "../../../app/_lib/dropped-files";
import { encodePng, PNG_TEXT_KEYS } from "../../../server/media/png";

const pixels = { width: 2, height: 2, channels: 3 as const, data: new Uint8Array(12).fill(200) };

describe("dropped files: a saved graph or an ordinary image", () => {
  it("finds the graph chunk that Petalflow writes, and not in a plain PNG", () => {
    const saved = encodePng(pixels, { [PNG_TEXT_KEYS.document]: '{"format":"petalflow"}' });
    const plain = encodePng(pixels, {});
    const other = encodePng(pixels, { Software: "petalflow" });
    expect(pngHasGraph(saved)).toBe(true);
    expect(pngHasGraph(plain)).toBe(false);
    expect(pngHasGraph(other)).toBe(false);
    expect(droppedFileKind({ name: "a.png", type: "image/png" }, saved)).toBe("graph-png");
    expect(droppedFileKind({ name: "a.png", type: "image/png" }, plain)).toBe("image");
  });

  it("a ComfyUI PNG (workflow / prompt chunk) or an AUTOMATIC1111 one (parameters with Steps) opens as a graph", () => {
    const comfy = encodePng(pixels, { prompt: '{"3":{"class_type":"KSampler","inputs":{}}}' });
    const workflow = encodePng(pixels, { workflow: '{"nodes":[],"links":[]}' });
    const a1111 = encodePng(pixels, { parameters: "a cat\nSteps: 20, Sampler: Euler a, Seed: 1" });
    const notA1111 = encodePng(pixels, { parameters: "exposure +1" });
    expect(droppedFileKind({ name: "c.png", type: "image/png" }, comfy)).toBe("graph-png");
    expect(droppedFileKind({ name: "w.png", type: "image/png" }, workflow)).toBe("graph-png");
    expect(droppedFileKind({ name: "a.png", type: "image/png" }, a1111)).toBe("graph-png");
    expect(droppedFileKind({ name: "p.png", type: "image/png" }, notA1111)).toBe("image");
  });

  it("tells JPEG and JSON apart by content and name", () => {
    expect(droppedFileKind({ name: "x.jpg", type: "" }, new Uint8Array([0xff, 0xd8, 0xff]))).toBe("image");
    expect(droppedFileKind({ name: "g.json", type: "" }, new TextEncoder().encode("{}"))).toBe("graph-json");
    expect(droppedFileKind({ name: "notes.txt", type: "text/plain" }, new Uint8Array([65]))).toBe("unknown");
  });
});
