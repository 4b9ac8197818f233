/**
 * The CLIP tokenizer that Stable Diffusion text encoders expect, run by @huggingface/tokenizers.
 *
 * A folder with `tokenizer.json` is loaded as is. Most SD exports ship only `vocab.json` +
 * `merges.txt` (the slow `CLIPTokenizer` files); for those the equivalent `tokenizer.json` object
 * (what `CLIPTokenizerFast` would write) is built in memory and loaded by the same library, so
 * there is one BPE implementation. Without ftfy: the text is NFC-normalised, runs of whitespace
 * become one space, the ends are trimmed and it is lower-cased, as CLIP's `whitespace_clean` +
 * `lower()` do.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

export const CLIP_BOS = "<|startoftext|>";
export const CLIP_EOS = "<|endoftext|>";
export const CLIP_END_OF_WORD = "</w>";
/** CLIP's pre-tokenizer pattern (Hugging Face's `CLIPTokenizerFast` spelling). */
export const CLIP_SPLIT_REGEX =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";
const DEFAULT_MAX_LENGTH = 77;

/** A tokenizer folder that cannot be loaded; the message names the file and the reason. */
export class TokenizerLoadError extends Error {
  override readonly name = "TokenizerLoadError";
}

/**
 * The `tokenizer.json` object equivalent to a CLIP `vocab.json` + `merges.txt` pair.
 * `merges` are the lines of merges.txt without the `#version` header ("a b" strings).
 */
export function buildClipTokenizerJson(
  vocab: Record<string, number>,
  merges: string[],
  special: { bos?: string; eos?: string; unk?: string } = {},
): object {
  const bos = special.bos ?? CLIP_BOS;
  const eos = special.eos ?? CLIP_EOS;
  const unk = special.unk ?? eos;
  const addedToken = (content: string) => {
    const id = vocab[content];
    if (id === undefined) throw new TokenizerLoadError(`vocab.json has no special token ${content}`);
    return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true };
  };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [addedToken(bos), addedToken(eos)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Strip", strip_left: true, strip_right: true },
        { type: "Lowercase" },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: CLIP_SPLIT_REGEX }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [eos, vocab[eos]],
      cls: [bos, vocab[bos]],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: "",
      end_of_word_suffix: CLIP_END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** merges.txt lines → "a b" strings (drops the `#version` header and blank lines). */
export function parseMergesTxt(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "" || (i === 0 && line.startsWith("#version"))) continue;
    out.push(line);
  }
  return out;
}

/** A special token in tokenizer_config.json / special_tokens_map.json: a string or {content}. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

async function readJsonFile(file: string, optional: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TokenizerLoadError(`${file}: ${(err as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (err) {
    throw new TokenizerLoadError(`${file}: ${(err as Error).message}`);
  }
}

export interface ClipEncoding {
  /** Exactly `maxLength` ids: BOS, the prompt's tokens, EOS, then the pad id. */
  ids: number[];
  /** How many tokens the prompt has (BOS/EOS not counted), before any truncation. */
  tokenCount: number;
  /** True when tokens were dropped to fit `maxLength - 2`. */
  truncated: boolean;
}

export class ClipTokenizer {
  /** Sequence length the text encoder takes (tokenizer_config.json `model_max_length`, else 77). */
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  /** `pad_token`'s id: EOS (49407) for SD 1.x, "!" (0) for SD 2.x exports. */
  readonly padId: number;
  readonly #tokenizer: Tokenizer;

  private constructor(tokenizer: Tokenizer, maxLength: number, bosId: number, eosId: number, padId: number) {
    this.#tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.bosId = bosId;
    this.eosId = eosId;
    this.padId = padId;
  }

  /** Loads `dir` (a model's `tokenizer/` folder). Throws TokenizerLoadError naming the bad file. */
  static async load(dir: string): Promise<ClipTokenizer> {
    const config = (await readJsonFile(path.join(dir, "tokenizer_config.json"), true)) ?? {};
    const specialMap = (await readJsonFile(path.join(dir, "special_tokens_map.json"), true)) ?? {};
    const special = (key: string) => tokenContent(specialMap[key]) ?? tokenContent(config[key]);
    const bos = special("bos_token") ?? CLIP_BOS;
    const eos = special("eos_token") ?? CLIP_EOS;
    const unk = special("unk_token") ?? eos;
    const pad = special("pad_token") ?? eos;

    let json: Record<string, unknown> | object;
    const tokenizerJsonFile = path.join(dir, "tokenizer.json");
    const fromJson = await readJsonFile(tokenizerJsonFile, true);
    if (fromJson) {
      json = fromJson;
    } else {
      const vocabFile = path.join(dir, "vocab.json");
      const mergesFile = path.join(dir, "merges.txt");
      const vocab = await readJsonFile(vocabFile, true);
      let mergesText: string | undefined;
      try {
        mergesText = await fs.readFile(mergesFile, "utf8");
      } catch {
        mergesText = undefined;
      }
      if (!vocab || mergesText === undefined) {
        throw new TokenizerLoadError(
          `${dir} has neither tokenizer.json nor vocab.json + merges.txt (missing: ${[
            !vocab && "vocab.json",
            mergesText === undefined && "merges.txt",
          ]
            .filter(Boolean)
            .join(", ")})`,
        );
      }
      for (const [token, id] of Object.entries(vocab)) {
        if (!Number.isInteger(id)) {
          throw new TokenizerLoadError(`${vocabFile}: id of ${JSON.stringify(token)} is not an integer`);
        }
      }
      json = buildClipTokenizerJson(vocab as Record<string, number>, parseMergesTxt(mergesText), {
        bos,
        eos,
        unk,
      });
    }

    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, config);
    } catch (err) {
      throw new TokenizerLoadError(`${dir}: the tokenizer cannot be built: ${(err as Error).message}`);
    }
    const idOf = (token: string, role: string) => {
      const id = tokenizer.token_to_id(token);
      if (id === undefined)
        throw new TokenizerLoadError(`${dir}: ${role} ${JSON.stringify(token)} is not in the vocabulary`);
      return id;
    };
    const rawMax = config.model_max_length;
    const maxLength =
      typeof rawMax === "number" && Number.isInteger(rawMax) && rawMax >= 3 && rawMax <= 4096
        ? rawMax
        : DEFAULT_MAX_LENGTH;
    return new ClipTokenizer(
      tokenizer,
      maxLength,
      idOf(bos, "bos_token"),
      idOf(eos, "eos_token"),
      idOf(pad, "pad_token"),
    );
  }

  /** The prompt's token ids without BOS/EOS or padding. */
  tokenize(text: string): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** BOS + the first `maxLength - 2` tokens + EOS, padded with the pad id to `maxLength`. */
  encode(text: string): ClipEncoding {
    const tokens = this.tokenize(text);
    const room = this.maxLength - 2;
    const kept = tokens.length > room ? tokens.slice(0, room) : tokens;
    const ids = [this.bosId, ...kept, this.eosId];
    while (ids.length < this.maxLength) ids.push(this.padId);
    return { ids, tokenCount: tokens.length, truncated: tokens.length > room };
  }

  /** Token ids → text (special tokens dropped). */
  decode(ids: number[]): string {
    return ids.length === 0 ? "" : this.#tokenizer.decode(ids, { skip_special_tokens: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Prompt weighting
// ---------------------------------------------------------------------------------------------

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;
/** One lexical unit of the weighting syntax (AUTOMATIC1111's `re_attention`). */
const ATTENTION_TOKEN = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/g;

/**
 * Splits a prompt written in the ComfyUI / AUTOMATIC1111 emphasis syntax into runs of text with a
 * weight:
 * - `(text)` multiplies by 1.1, `[text]` divides by 1.1, and they nest: `((text))` = 1.21;
 * - `(text:1.3)` multiplies by 1.3;
 * - `\(`, `\)`, `\[`, `\]`, `\\` are literal characters;
 * - an unclosed `(` or `[` applies to the rest of the prompt; a stray `)` or `]` is literal text.
 *
 * Adjacent runs with the same weight are merged; plain text has weight 1. An empty prompt gives
 * `[{ text: "", weight: 1 }]`.
 */
export function parseWeightedPrompt(text: string): { text: string; weight: number }[] {
  const res: { text: string; weight: number }[] = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiply = (from: number, by: number) => {
    for (let i = from; i < res.length; i++) res[i].weight *= by;
  };

  for (const m of text.matchAll(ATTENTION_TOKEN)) {
    const tok = m[0];
    const weight = m[1];
    if (tok.startsWith("\\")) {
      res.push({ text: tok.length > 1 ? tok.slice(1) : tok, weight: 1 });
    } else if (tok === "(") {
      round.push(res.length);
    } else if (tok === "[") {
      square.push(res.length);
    } else if (weight !== undefined && round.length > 0) {
      const w = Number(weight);
      multiply(round.pop()!, Number.isFinite(w) ? w : 1);
    } else if (tok === ")" && round.length > 0) {
      multiply(round.pop()!, ROUND_MULTIPLIER);
    } else if (tok === "]" && square.length > 0) {
      multiply(square.pop()!, SQUARE_MULTIPLIER);
    } else {
      res.push({ text: tok, weight: 1 });
    }
  }
  for (const pos of round) multiply(pos, ROUND_MULTIPLIER);
  for (const pos of square) multiply(pos, SQUARE_MULTIPLIER);

  if (res.length === 0) return [{ text: "", weight: 1 }];
  const merged: { text: string; weight: number }[] = [res[0]];
  for (let i = 1; i < res.length; i++) {
    const last = merged[merged.length - 1];
    if (last.weight === res[i].weight) last.text += res[i].text;
    else merged.push(res[i]);
  }
  return merged;
}
