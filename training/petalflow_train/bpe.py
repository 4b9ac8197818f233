"""The core of a CLIP-style byte-level BPE: the byte -> character map, end-of-word symbols,
merge training and the vocabulary layout. Plain Python with no imports, so that the demo model's
tokenizer (tokenizer.py) and the test fixtures' tiny tokenizer (scripts/fixtures/make_tiny_models.py)
are built by the same code.
"""
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
SUFFIX = "</w>"


def bytes_to_unicode():
    """GPT-2/CLIP's reversible byte -> printable character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()


def word_symbols(word):
    """A word's byte symbols, the last one carrying the end-of-word suffix."""
    chars = [BYTE_ENCODER[b] for b in word.encode("utf-8")]
    return chars[:-1] + [chars[-1] + SUFFIX]


def train_merges(words):
    """Plain BPE: merge the most frequent pair until every vocabulary word is one symbol."""
    corpus = [word_symbols(w) for w in words]
    merges = []
    while True:
        counts = {}
        for syms in corpus:
            for a, b in zip(syms, syms[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + 1
        if not counts:
            return merges
        best = max(sorted(counts), key=lambda p: counts[p])  # sorted first: ties break the same way every run
        merges.append(best)
        for syms in corpus:
            i = 0
            while i < len(syms) - 1:
                if (syms[i], syms[i + 1]) == best:
                    syms[i:i + 2] = [syms[i] + syms[i + 1]]
                i += 1


def build_vocab(merges):
    """Ids as CLIP lays them out: bytes, bytes with the suffix, merges, then BOS and EOS (EOS the
    largest id: pooling takes the first EOS)."""
    chars = list(BYTE_ENCODER.values())
    vocab = {}
    for t in chars + [c + SUFFIX for c in chars] + ["".join(m) for m in merges]:
        vocab.setdefault(t, len(vocab))
    vocab[BOS] = len(vocab)
    vocab[EOS] = len(vocab)
    return vocab
