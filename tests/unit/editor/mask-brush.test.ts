import { describe, expect, it } from "vitest";
import {
  channelForPaintedMask,
  emptyMask,
  maskFromRgba,
  maskToRgba,
  stampDisc,
  stampSegment,
} from "../../../core/image/mask-brush";
import { decodeImageAsync } from "../../../server/media/decode";
import { encodePng } from "../../../server/media/png";

const painted = (m: { data: Uint8Array }) => m.data.reduce((n, v) => n + (v === 255 ? 1 : 0), 0);

describe("mask brush (Load Mask's painter)", () => {
  it("a stamp covers the pixels whose centres lie within the radius, clipped at the edges", () => {
    const m = emptyMask(9, 9);
    stampDisc(m, 4.5, 4.5, 2, 255);
    // Centres at distance ≤ 2 from (4.5, 4.5): offsets (dx, dy) ∈ ℤ² with dx² + dy² ≤ 4 → 13 pixels.
    expect(painted(m)).toBe(13);
    expect(m.data[4 * 9 + 4]).toBe(255);
    expect(m.data[4 * 9 + 7]).toBe(0);
    const corner = emptyMask(4, 4);
    stampDisc(corner, 0, 0, 1.6, 255); // centres (0.5,0.5), (1.5,0.5), (0.5,1.5) only: d² 0.5, 2.5, 2.5 ≤ 2.56
    expect(painted(corner)).toBe(3);
  });

  it("a fast stroke (two pointer events far apart) leaves a continuous line; the eraser takes it away", () => {
    const m = emptyMask(64, 16);
    stampSegment(m, { x: 4, y: 8 }, { x: 60, y: 8 }, 1.5, 255);
    for (let x = 4; x < 60; x++) expect(m.data[7 * 64 + x], `x=${x}`).toBe(255);
    expect(m.data[2 * 64 + 30]).toBe(0); // far from the line
    stampSegment(m, { x: 30, y: 8 }, { x: 30, y: 8 }, 3, 0);
    expect(m.data[7 * 64 + 30]).toBe(0);
    expect(m.data[7 * 64 + 10]).toBe(255);
  });

  it("a saved mask (opaque greyscale PNG) reads back, as Load Mask reads it, to the painted values", async () => {
    const m = emptyMask(32, 24);
    stampSegment(m, { x: 3, y: 3 }, { x: 28, y: 20 }, 2.5, 255);
    m.data[0] = 128; // a soft value survives too
    const rgba = maskToRgba(m);
    const png = encodePng({ width: 32, height: 24, data: new Uint8Array(rgba.buffer), channels: 4 });
    const img = await decodeImageAsync(png, { maxPixels: 1 << 20, maxBytes: 1 << 20 });
    const channel = channelForPaintedMask("alpha");
    expect(channel).toBe("red"); // greyscale is opaque: alpha would read all-keep
    expect(Array.from(maskFromRgba(img.data, img.width, img.height, channel).data)).toEqual(
      Array.from(m.data),
    );
    expect(painted(maskFromRgba(img.data, img.width, img.height, "alpha"))).toBe(0);
  });

  it("reads an existing mask from any channel; alpha as Load Mask does (transparent = repaint)", () => {
    const rgba = new Uint8Array([10, 20, 30, 0, 200, 100, 50, 255]);
    expect(Array.from(maskFromRgba(rgba, 2, 1, "alpha").data)).toEqual([255, 0]);
    expect(Array.from(maskFromRgba(rgba, 2, 1, "green").data)).toEqual([20, 100]);
    expect(channelForPaintedMask("blue")).toBe("blue");
  });
});
