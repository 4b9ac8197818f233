import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { batchNoise, TorchGenerator, torchRandn } from "../../server/diffusion/noise";

interface Summary {
  count: number;
  head: string[];
  tail: string[];
  sum: number;
}
interface Fixture {
  generator: string;
  cases: (Summary & { seed: string; shape: number[] })[];
  continuations: { seed: string; draws: Summary[] }[];
}

const fixture: Fixture = JSON.parse(
  readFileSync(new URL("../fixtures/torch-randn.json", import.meta.url), "utf8"),
);

const hex = (a: Float32Array): string[] =>
  Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (b) => b.toString(16).padStart(8, "0"));

function expectMatches(values: Float32Array, ref: Summary): void {
  expect(values.length).toBe(ref.count);
  const bits = hex(values);
  expect(bits.slice(0, ref.head.length)).toEqual(ref.head);
  if (ref.tail.length > 0) expect(bits.slice(-ref.tail.length)).toEqual(ref.tail);
  let sum = 0;
  for (const v of values) sum += v;
  expect(sum).toBeCloseTo(ref.sum, 6);
}

describe("torchRandn", () => {
  it("matches the REFERENCE.md values for seed 0, shape [1,4,8,8]", () => {
    const head = Array.from(torchRandn(0n, [1, 4, 8, 8]).slice(0, 8));
    const expected = [
      -1.1258398, -1.1523602, -0.2505786, -0.4338788, 0.8487104, 0.6920092, -0.3160128, -2.1152194,
    ];
    head.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 6);
    });
  });

  it.each(fixture.cases.map((c) => [`seed ${c.seed} shape [${c.shape}]`, c] as const))(
    "is bit-exact with torch for %s",
    (_, c) => {
      expectMatches(torchRandn(BigInt(c.seed), c.shape), c);
    },
  );

  it("uses only the low 32 bits of the seed, as torch's mt19937 does", () => {
    expect(hex(torchRandn(2n ** 32n + 5n, [33]))).toEqual(hex(torchRandn(5n, [33])));
  });

  it("rejects seeds outside 0 … 2^64−1 with a hint", () => {
    expect(() => new TorchGenerator(-1n)).toThrow(/asUintN/);
    expect(() => new TorchGenerator(2n ** 64n)).toThrow(/2\^64/);
  });
});

describe("TorchGenerator continuation", () => {
  it.each(fixture.continuations.map((c) => [c.seed, c] as const))(
    "continues the stream like one torch generator (seed %s)",
    (_, c) => {
      const gen = new TorchGenerator(BigInt(c.seed));
      for (const draw of c.draws) expectMatches(gen.randn(draw.count), draw);
    },
  );

  it("hands out the cached sin half of a small draw on the next small draw", () => {
    const gen = new TorchGenerator(3n);
    const joined = [...gen.randn(1), ...gen.randn(1)];
    expect(joined).toEqual(Array.from(torchRandn(3n, [2])));
  });
});

describe("batchNoise", () => {
  it("makes item i from seed + i so each image reproduces alone", () => {
    const { data, seeds } = batchNoise(41n, 3, [4, 8, 8]);
    expect(seeds).toEqual(["41", "42", "43"]);
    for (let i = 0; i < 3; i++) {
      expect(hex(data.subarray(i * 256, (i + 1) * 256))).toEqual(
        hex(torchRandn(BigInt(seeds[i]), [1, 4, 8, 8])),
      );
    }
  });

  it("wraps seeds past 2^64−1 to 0", () => {
    const max = 2n ** 64n - 1n;
    const { data, seeds } = batchNoise(max, 2, [4, 8, 8]);
    expect(seeds).toEqual([max.toString(), "0"]);
    const seed0 = fixture.cases.find((c) => c.seed === "0" && c.count === 256)!;
    expect(hex(data.subarray(256, 256 + 40))).toEqual(seed0.head);
  });
});
