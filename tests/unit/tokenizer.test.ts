import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildClipTokenizerJson,
  ClipTokenizer,
  parseWeightedPrompt,
  TokenizerLoadError,
} from "../../server/diffusion/tokenizer";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const fixtures = path.join(repoRoot, "tests/fixtures/models");
/** OpenAI's CLIP merge list: beside the checkout in CI (../shared/clip), never copied into the repo. */
const clipBpe =
  process.env.CLIP_BPE_PATH ?? path.resolve(repoRoot, "../shared/clip/bpe_simple_vocab_16e6.txt.gz");
const hasClip = fs.existsSync(clipBpe);
if (!hasClip) {
  console.warn(
    `tokenizer.test: ${clipBpe} is absent, so the checks against the real CLIP vocabulary are skipped ` +
      "(CI has it at ../shared/clip; or set CLIP_BPE_PATH).",
  );
}

const BOS = 49406;
const EOS = 49407;

/** GPT-2/CLIP's byte → printable character table, in CLIP's vocabulary order. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return cs.map((c) => String.fromCodePoint(c));
}

/** vocab.json / merges.txt exactly as OpenAI's simple_tokenizer builds them from the .gz file. */
function clipVocabFromBpe(file: string): { vocab: Record<string, number>; merges: string[] } {
  const lines = zlib.gunzipSync(fs.readFileSync(file)).toString("utf8").split("\n");
  const merges = lines.slice(1, 49152 - 256 - 2 + 1);
  const chars = bytesToUnicode();
  const tokens = [
    ...chars,
    ...chars.map((c) => `${c}</w>`),
    ...merges.map((m) => m.split(" ").join("")),
    "<|startoftext|>",
    "<|endoftext|>",
  ];
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  return { vocab, merges };
}

const padded = (tokens: number[], pad = EOS) => {
  const ids = [BOS, ...tokens, EOS];
  while (ids.length < 77) ids.push(pad);
  return ids;
};

describe.skipIf(!hasClip)("ClipTokenizer with the real CLIP vocabulary", () => {
  let tmp: string;
  let tok: ClipTokenizer;
  let tokFromJson: ClipTokenizer;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-clip-"));
    const { vocab, merges } = clipVocabFromBpe(clipBpe);
    const slow = path.join(tmp, "slow");
    fs.mkdirSync(slow);
    fs.writeFileSync(path.join(slow, "vocab.json"), JSON.stringify(vocab));
    fs.writeFileSync(path.join(slow, "merges.txt"), `#version: 0.2\n${merges.join("\n")}\n`);
    fs.writeFileSync(
      path.join(slow, "special_tokens_map.json"),
      JSON.stringify({
        bos_token: "<|startoftext|>",
        eos_token: "<|endoftext|>",
        pad_token: "<|endoftext|>",
      }),
    );
    fs.writeFileSync(path.join(slow, "tokenizer_config.json"), JSON.stringify({ model_max_length: 77 }));
    const fast = path.join(tmp, "fast");
    fs.mkdirSync(fast);
    fs.writeFileSync(
      path.join(fast, "tokenizer.json"),
      JSON.stringify(buildClipTokenizerJson(vocab, merges)),
    );
    [tok, tokFromJson] = await Promise.all([ClipTokenizer.load(slow), ClipTokenizer.load(fast)]);
  });
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("encodes 'a photo of a cat' as CLIP does, padded with EOS to 77", () => {
    const enc = tok.encode("a photo of a cat");
    expect(enc.ids.slice(0, 8)).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 49407]);
    expect(enc.ids).toEqual(padded([320, 1125, 539, 320, 2368]));
    expect(enc).toMatchObject({ tokenCount: 5, truncated: false });
    expect(tok.maxLength).toBe(77);
  });

  // Expected ids below come from OpenAI's simple_tokenizer.py (Python, `regex` module, ftfy/html
  // steps left out) run on the same .gz file: an implementation independent of @huggingface/tokenizers.
  it("lower-cases and collapses whitespace like CLIP's whitespace_clean", () => {
    expect(tok.encode("  A  PHOTO of a\tCat \n").ids).toEqual(tok.encode("a photo of a cat").ids);
  });

  it.each([
    ["a photograph of an astronaut riding a horse", [320, 8853, 539, 550, 18376, 6765, 320, 4558]],
    [
      "don't stop: it's 2024, isn't it?",
      [847, 713, 1691, 281, 585, 568, 273, 271, 273, 275, 267, 2923, 713, 585, 286],
    ],
    ["Hello, World! 123 cats & dogs", [3306, 267, 1002, 256, 272, 273, 274, 3989, 261, 3255]],
    ["café au lait, naïve", [15304, 2566, 572, 585, 267, 1097, 35689, 563]],
    ["photo,of,cats", [1125, 267, 539, 267, 3989]],
    [
      "masterpiece, best quality, 8k uhd, (detailed:1.2)",
      [12066, 267, 949, 3027, 267, 279, 330, 84, 4414, 267, 263, 12609, 281, 272, 269, 273, 264],
    ],
  ])("encodes %j like OpenAI's reference tokenizer", (text, expected) => {
    expect(tok.tokenize(text)).toEqual(expected);
    expect(tok.encode(text).ids).toEqual(padded(expected));
  });

  it("loads an equivalent tokenizer.json to the same ids", () => {
    for (const text of ["a photo of a cat", "don't stop: it's 2024", "café au lait"]) {
      expect(tokFromJson.encode(text).ids).toEqual(tok.encode(text).ids);
    }
  });

  it("truncates a long prompt to BOS + 75 tokens + EOS", () => {
    const enc = tok.encode("cat ".repeat(100));
    expect(enc.ids).toHaveLength(77);
    expect(enc.ids[0]).toBe(BOS);
    expect(enc.ids[76]).toBe(EOS);
    expect(enc.ids.slice(1, 76).every((id) => id === 2368)).toBe(true);
    expect(enc).toMatchObject({ tokenCount: 100, truncated: true });
  });

  it("keeps exactly 75 tokens without truncating", () => {
    const enc = tok.encode("cat ".repeat(75));
    expect(enc.ids[75]).toBe(2368);
    expect(enc.ids[76]).toBe(EOS);
    expect(enc).toMatchObject({ tokenCount: 75, truncated: false });
  });

  it("encodes an empty prompt as BOS, EOS and padding", () => {
    expect(tok.encode("").ids).toEqual(padded([]));
    expect(tok.encode("   ").tokenCount).toBe(0);
  });

  it("decodes ids back to the normalised text", () => {
    expect(tok.decode(tok.encode("A photo of a CAT").ids)).toBe("a photo of a cat");
  });
});

describe("ClipTokenizer on the fixture tokenizers", () => {
  const vocab: Record<string, number> = JSON.parse(
    fs.readFileSync(path.join(fixtures, "tiny-sd/tokenizer/vocab.json"), "utf8"),
  );
  const words = ["a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>"].map((w) => vocab[w]);
  const bos = vocab["<|startoftext|>"];
  const eos = vocab["<|endoftext|>"];

  it("builds the tokenizer from vocab.json + merges.txt", async () => {
    const tok = await ClipTokenizer.load(path.join(fixtures, "tiny-sd/tokenizer"));
    const enc = tok.encode("A photo of a cat");
    expect(enc.ids.slice(0, 8)).toEqual([bos, ...words, eos, eos]);
    expect(enc.ids).toHaveLength(77);
    expect(tok).toMatchObject({ bosId: bos, eosId: eos, padId: eos, maxLength: 77 });
  });

  it("loads tokenizer.json when the folder has one", async () => {
    const tok = await ClipTokenizer.load(path.join(fixtures, "tiny-sd-fp16/tokenizer"));
    expect(tok.encode("a photo of a cat").ids.slice(0, 7)).toEqual([bos, ...words, eos]);
  });

  it("pads with the configured pad_token ('!' = 0 in SD 2.x exports)", async () => {
    const tok = await ClipTokenizer.load(path.join(fixtures, "tiny-sd-int64/tokenizer"));
    const enc = tok.encode("a cat");
    expect(tok.padId).toBe(0);
    expect(enc.ids.slice(0, 5)).toEqual([bos, vocab["a</w>"], vocab["cat</w>"], eos, 0]);
    expect(enc.ids.slice(4).every((id) => id === 0)).toBe(true);
  });

  it("falls back to byte-level pieces for words outside the vocabulary", async () => {
    const tok = await ClipTokenizer.load(path.join(fixtures, "tiny-sd/tokenizer"));
    const ids = tok.tokenize("zebra!");
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.every((id) => id >= 0 && id < eos)).toBe(true);
    expect(tok.decode(ids).trim()).toBe("zebra!");
  });

  it("names the missing files of an incomplete tokenizer folder", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-tok-"));
    try {
      fs.writeFileSync(path.join(dir, "vocab.json"), "{}");
      await expect(ClipTokenizer.load(dir)).rejects.toThrow(TokenizerLoadError);
      await expect(ClipTokenizer.load(dir)).rejects.toThrow(/merges\.txt/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("parseWeightedPrompt", () => {
  const close = (got: { text: string; weight: number }[], want: [string, number][]) => {
    expect(got.map((r) => r.text)).toEqual(want.map((w) => w[0]));
    got.forEach((r, i) => {
      expect(r.weight).toBeCloseTo(want[i][1], 10);
    });
  };

  it("gives plain text weight 1", () => {
    expect(parseWeightedPrompt("normal text")).toEqual([{ text: "normal text", weight: 1 }]);
    expect(parseWeightedPrompt("")).toEqual([{ text: "", weight: 1 }]);
  });

  it("multiplies (text) by 1.1 and divides [text] by 1.1", () => {
    close(parseWeightedPrompt("an (important) word"), [
      ["an ", 1],
      ["important", 1.1],
      [" word", 1],
    ]);
    close(parseWeightedPrompt("a [faint] line"), [
      ["a ", 1],
      ["faint", 1 / 1.1],
      [" line", 1],
    ]);
  });

  it("applies explicit weights and nesting", () => {
    close(parseWeightedPrompt("(word:1.3)"), [["word", 1.3]]);
    // AUTOMATIC1111's own docstring example (its outermost "(" is never closed).
    close(parseWeightedPrompt("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky)))."), [
      ["a ", 1],
      ["house", 1.573],
      [" ", 1.1],
      ["on", 1],
      [" a ", 1.1],
      ["hill", 0.55],
      [", sun, ", 1.1],
      ["sky", 1.4641],
      [".", 1.1],
    ]);
  });

  it("treats escaped brackets as literal text", () => {
    expect(parseWeightedPrompt("\\(literal\\]")).toEqual([{ text: "(literal]", weight: 1 }]);
    close(parseWeightedPrompt("a \\(b\\) (c)"), [
      ["a (b) ", 1],
      ["c", 1.1],
    ]);
  });

  it("closes unbalanced brackets at the end and merges equal weights", () => {
    close(parseWeightedPrompt("(unbalanced"), [["unbalanced", 1.1]]);
    close(parseWeightedPrompt("(unnecessary)(parens)"), [["unnecessaryparens", 1.1]]);
    close(parseWeightedPrompt("stray) bracket: here"), [["stray) bracket: here", 1]]);
  });
});
