"""Vocabulary order and the int32 encoding against a naive Python encoder."""

from collections import Counter

import numpy as np
import pytest

from w2v.errors import W2VError
from w2v.vocab import Vocabulary, encode_corpus, select_vocab


def naive_encode(lines, min_count, max_vocab, max_len):
    tokens = [t for line in lines for t in line.split()]
    counts = Counter(tokens)
    first = {}
    for t in tokens:
        first.setdefault(t, len(first))
    words = sorted((w for w in counts if counts[w] >= min_count), key=lambda w: (-counts[w], first[w]))
    words = words[:max_vocab] if max_vocab else words
    index = {w: i for i, w in enumerate(words)}
    sentences = []
    for line in lines:
        toks = line.split()
        for k in range(0, len(toks), max_len):
            ids = [index[t] for t in toks[k:k + max_len] if t in index]
            if ids:
                sentences.append(ids)
    return words, [counts[w] for w in words], sentences


@pytest.mark.parametrize("min_count,max_vocab,max_len", [(1, None, 10_000), (2, None, 3), (1, 4, 2)])
def test_encoding_matches_naive(tmp_path, min_count, max_vocab, max_len):
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(30)]
    lines = [" ".join(rng.choice(vocab, size=rng.integers(0, 12), p=np.arange(30, 0, -1) / 465))
             for _ in range(200)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines))
    enc = encode_corpus(path, tmp_path / "work", min_count=min_count, max_vocab=max_vocab,
                        max_sentence_length=max_len, progress=False)
    words, counts, sentences = naive_encode(lines, min_count, max_vocab, max_len)
    assert enc.vocab.words == words
    assert enc.vocab.counts.tolist() == counts
    got = [enc.ids[a:b].tolist() for a, b in zip(enc.starts[:-1], enc.starts[1:])]
    assert got == sentences
    assert enc.ids.dtype == np.int32
    assert enc.stats["tokens"] == sum(len(line.split()) for line in lines)


def test_ties_keep_first_appearance_order():
    counts = np.array([3, 5, 3, 5, 1])
    assert select_vocab(counts, min_count=2).tolist() == [1, 3, 0, 2]
    assert select_vocab(counts, min_count=1, max_vocab=3).tolist() == [1, 3, 0]


def test_vocab_file_round_trip(tmp_path):
    v = Vocabulary(["the", "cat"], np.array([10, 3]))
    v.save(tmp_path / "vocab.txt")
    assert (tmp_path / "vocab.txt").read_text() == "the\t10\ncat\t3\n"
    back = Vocabulary.load(tmp_path / "vocab.txt")
    assert back.words == v.words and back.counts.tolist() == [10, 3] and back.index["cat"] == 1


def test_empty_corpus_and_empty_vocabulary(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n")
    with pytest.raises(W2VError, match="empty"):
        encode_corpus(empty, tmp_path / "w", progress=False)
    rare = tmp_path / "rare.txt"
    rare.write_text("a b c d")
    with pytest.raises(W2VError, match="min-count"):
        encode_corpus(rare, tmp_path / "w", min_count=5, progress=False)
