"""Parallel counting gives exactly the one-process encoding: same vocabulary, ids and sentences."""

import gzip

import numpy as np
import pytest

from w2v import count
from w2v.corpus import cut_points
from w2v.count_kernels import UNICODE_SPACE, TokenTable
from w2v.errors import W2VError
from w2v.vocab import encode_corpus, sentence_bounds


def random_text(seed, n_lines, max_len=30, long_every=0):
    """Lines of Zipf-ish words (with non-ASCII ones), some empty, some very long, odd spacing."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(300)] + ["café", "naïve", "Straße", "日本", "ÉTÉ"]
    p = 1.0 / np.arange(1, len(words) + 1)
    p /= p.sum()
    lines = []
    for i in range(n_lines):
        n = rng.integers(0, max_len)
        if long_every and i % long_every == 0:
            n = rng.integers(50, 400)
        sep = [" ", "  ", "\t", " \r"][i % 4]
        lines.append(sep.join(rng.choice(words, size=n, p=p)))
    return "\n".join(lines)


def same(a, b):
    assert a.vocab.words == b.vocab.words
    assert a.vocab.counts.tolist() == b.vocab.counts.tolist()
    assert np.array_equal(np.asarray(a.ids), np.asarray(b.ids))
    assert a.starts.tolist() == b.starts.tolist()
    for key in ("files", "bytes", "lines", "tokens", "word_types", "kept_tokens", "sentences", "invalid_utf8"):
        assert a.stats[key] == b.stats[key], key


@pytest.fixture
def small_shards(monkeypatch):
    monkeypatch.setattr(count, "MIN_SHARD_BYTES", 1)  # shard even tiny corpora


@pytest.mark.parametrize("workers", [2, 3, 7])
@pytest.mark.parametrize("kw", [dict(min_count=1), dict(min_count=3, max_sentence_length=17, lowercase=True),
                                dict(min_count=2, max_vocab=50, max_sentence_length=1)])
def test_byte_ranges_of_one_file_match_one_process(tmp_path, small_shards, workers, kw):
    path = tmp_path / "c.txt"
    path.write_text(random_text(1, 2000, long_every=97) + "\n\n")
    serial = encode_corpus(path, tmp_path / "s", progress=False, workers=1, **kw)
    parallel = encode_corpus(path, tmp_path / f"p{workers}", progress=False, workers=workers, **kw)
    assert parallel.stats["count_processes"] == workers
    same(serial, parallel)


def test_many_files_match_one_process(tmp_path, small_shards):
    root = tmp_path / "dir"
    for i in range(23):
        sub = root / f"part{i % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        text = random_text(i, int(np.random.default_rng(i).integers(0, 60)))  # some files empty
        if i % 5 == 0:
            with gzip.open(sub / f"f{i:02d}.txt.gz", "wt") as fh:
                fh.write(text)
        else:
            (sub / f"f{i:02d}.txt").write_text(text)  # mostly no final newline: the file ends a line anyway
    serial = encode_corpus(root, tmp_path / "s", min_count=2, max_sentence_length=25, progress=False, workers=1)
    for workers in (2, 4):
        parallel = encode_corpus(root, tmp_path / f"p{workers}", min_count=2, max_sentence_length=25,
                                 progress=False, workers=workers)
        assert parallel.stats["count_processes"] > 1
        same(serial, parallel)


def test_one_line_corpus_cut_anywhere(tmp_path, small_shards):
    # text8's shape: one long line; every shard boundary falls inside the line.
    path = tmp_path / "one-line.txt"
    path.write_text(" ".join(random_text(3, 300).split()))
    serial = encode_corpus(path, tmp_path / "s", min_count=1, max_sentence_length=1000, progress=False, workers=1)
    parallel = encode_corpus(path, tmp_path / "p", min_count=1, max_sentence_length=1000, progress=False, workers=5)
    same(serial, parallel)
    assert np.diff(parallel.starts).max() == 1000


def test_cut_points_fall_after_whitespace(tmp_path):
    path = tmp_path / "c.txt"
    data = "aé b\n\nccc  dd\té\n".encode() * 50 + b"x" * 500  # multi-byte characters, a long last token
    path.write_bytes(data)
    cuts = cut_points(path, 40)
    assert cuts[0] == 0 and cuts[-1] == len(data) and cuts == sorted(cuts)
    for c in cuts[1:-1]:
        assert c == len(data) or data[c - 1:c] in (b" ", b"\n", b"\t")


def test_sentence_bounds():
    # lines end at 3, 3 (an empty line), 10 and 25; sentences of at most 4 tokens
    assert sentence_bounds(np.array([3, 3, 10, 25]), 25, 4).tolist() == [0, 3, 7, 10, 14, 18, 22, 25]
    assert sentence_bounds(np.array([8]), 8, 4).tolist() == [0, 4, 8]
    assert sentence_bounds(np.zeros(0, np.int64), 9, 100).tolist() == [0, 9]


def test_a_bad_file_in_a_worker_is_a_one_line_error(tmp_path, small_shards):
    root = tmp_path / "dir"
    root.mkdir()
    (root / "a.txt").write_text(random_text(0, 200))
    (root / "b.bin").write_bytes(b"\x00\x01" * 3000)
    with pytest.raises(W2VError, match="binary"):
        encode_corpus(root, tmp_path / "w", progress=False, workers=2)
    assert not list((tmp_path / "w").glob("*.i32"))


def test_tokens_are_those_of_str_split():
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert all(UNICODE_SPACE.fullmatch(c) for c in spaces if ord(c) >= 128)
    assert not UNICODE_SPACE.search("".join(chr(c) for c in range(128, 0x3100) if not chr(c).isspace()))
    rng = np.random.default_rng(0)
    alphabet = list("abcé日\ufffd") + spaces
    text = "".join(rng.choice(alphabet, size=5000))
    table = TokenTable()
    ids, ends = table.encode(text, 100)
    tokens = text.split()
    words = table.words()
    assert [words[i] for i in ids] == tokens
    assert words == list(dict.fromkeys(tokens))
    assert table.counts[:table.n_words].tolist() == [tokens.count(w) for w in words]
    lines = text.split("\n")
    assert ends.tolist() == (100 + np.cumsum([len(line.split()) for line in lines[:-1]])).tolist()


def test_table_grows_and_keeps_ids():
    table = TokenTable()
    first, _ = table.encode(" ".join(f"w{i}" for i in range(50_000)), 0)
    again, _ = table.encode(" ".join(f"w{i}" for i in range(100_000)), 0)  # forces a rehash
    assert first.tolist() == list(range(50_000)) and again.tolist() == list(range(100_000))
    assert table.counts[:5].tolist() == [2] * 5 and table.counts[99_999] == 1
