"""A tiny CLIP-style byte-level BPE tokenizer, trained on the caption vocabulary.

Same conventions as openai/clip-vit-*: lower-case text, CLIP's split regex,
byte-level symbols with an end-of-word suffix "</w>", <|startoftext|> and
<|endoftext|> as the last two ids, 77 tokens padded with <|endoftext|>. Every
caption word becomes a single token; unknown words fall back to bytes, so any
prompt still encodes. The files load in Hugging Face `tokenizers`
(@huggingface/tokenizers in the app) and give the same ids as `encode` below.
"""
import json
import os
import re
import unicodedata

from .bpe import BOS, EOS, SUFFIX, build_vocab, train_merges, word_symbols
from .data import vocabulary_words

MAX_LEN = 77
# CLIP's pattern uses \p{L}/\p{N}; Python's `re` lacks them, so letters are [^\W\d_] here.
_SPLIT_PY = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+", re.UNICODE)
_SPLIT_HF = r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"


class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.merges = merges
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.bos_id, self.eos_id = vocab[BOS], vocab[EOS]
        self.cache = {}

    @classmethod
    def build(cls):
        merges = train_merges(vocabulary_words())
        return cls(build_vocab(merges), merges)

    def _bpe(self, token):
        syms = word_symbols(token)
        while len(syms) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(syms, syms[1:]))]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            a, b = syms[i], syms[i + 1]
            out, j = [], 0
            while j < len(syms):  # merge every occurrence of the pair, left to right
                if j < len(syms) - 1 and syms[j] == a and syms[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            syms = out
        return syms

    def tokenize(self, text):
        text = unicodedata.normalize("NFC", text)
        text = re.sub(r"\s+", " ", text).lower()
        out = []
        for piece in _SPLIT_PY.findall(text):
            if piece in (BOS, EOS):
                out.append(piece)
            else:
                out.extend(self._bpe(piece))
        return out

    def encode(self, text):
        """Ids with start/end tokens, unpadded (what @huggingface/tokenizers returns)."""
        if text not in self.cache:
            ids = [self.vocab[t] for t in self.tokenize(text)]
            self.cache[text] = [self.bos_id] + ids[: MAX_LEN - 2] + [self.eos_id]
        return self.cache[text]

    def encode_padded(self, text):
        """Padded to 77 with <|endoftext|>, as the app and CLIP pipelines feed the text encoder."""
        ids = self.encode(text)
        return ids + [self.eos_id] * (MAX_LEN - len(ids))

    # --- files -----------------------------------------------------------------------------
    def tokenizer_json(self):
        special = [dict(id=self.vocab[t], content=t, single_word=False, lstrip=False, rstrip=False,
                        normalized=False, special=True) for t in (BOS, EOS)]
        return {
            "version": "1.0",
            "truncation": {"direction": "Right", "max_length": MAX_LEN, "strategy": "LongestFirst", "stride": 0},
            "padding": None,
            "added_tokens": special,
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}, {"type": "Lowercase"}]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": _SPLIT_HF}, "behavior": "Removed", "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "post_processor": {"type": "RobertaProcessing", "sep": [EOS, self.eos_id], "cls": [BOS, self.bos_id],
                               "trim_offsets": False, "add_prefix_space": False},
            "decoder": {"type": "BPEDecoder", "suffix": SUFFIX},
            "model": {"type": "BPE", "dropout": None, "unk_token": EOS, "continuing_subword_prefix": "",
                      "end_of_word_suffix": SUFFIX, "fuse_unk": False, "byte_fallback": False,
                      "vocab": self.vocab, "merges": [" ".join(m) for m in self.merges]},
        }

    def save(self, folder):
        os.makedirs(folder, exist_ok=True)

        def dump(name, obj):
            with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
                json.dump(obj, f, indent=2 if name != "tokenizer.json" else None, ensure_ascii=False)
                f.write("\n")

        dump("tokenizer.json", self.tokenizer_json())
        dump("vocab.json", self.vocab)
        with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "".join(" ".join(m) + "\n" for m in self.merges))
        dump("special_tokens_map.json", {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS})
        dump("tokenizer_config.json", {
            "tokenizer_class": "CLIPTokenizer", "model_max_length": MAX_LEN, "do_lower_case": True,
            "bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS,
            "add_prefix_space": False, "clean_up_tokenization_spaces": True, "errors": "replace"})
