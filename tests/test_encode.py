"""The encoded corpus as an artefact: written once, read by train/svd, restricted exactly, cached by identity."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from w2v.encode import is_encoded, load_encoded, open_corpus, restrict
from w2v.errors import W2VError
from w2v.vocab import CorpusOptions, encode_corpus

TEXT = "".join(f"w{i % 7} w{i % 3} x{i % 11} {'rare' if i % 50 == 0 else ''}\n" for i in range(600)) + "a b\n\n"


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(TEXT)
    return path


@pytest.mark.parametrize("min_count,max_vocab", [(1, None), (5, None), (20, 8), (100, None), (1, 3)])
def test_restrict_equals_encoding_directly(corpus, tmp_path, min_count, max_vocab):
    full = encode_corpus(corpus, tmp_path / "full", min_count=1, max_sentence_length=3, progress=False)
    direct = encode_corpus(corpus, tmp_path / "direct", min_count=min_count, max_vocab=max_vocab,
                           max_sentence_length=3, progress=False)
    (tmp_path / "r").mkdir()
    got = restrict(full, min_count, max_vocab, tmp_path / "r")
    assert got.vocab.words == direct.vocab.words and np.array_equal(got.vocab.counts, direct.vocab.counts)
    assert np.array_equal(np.asarray(got.ids), np.asarray(direct.ids))
    assert np.array_equal(got.starts, direct.starts)


def test_encode_cli_then_train_and_svd_read_it(corpus, tmp_path):
    enc_dir = tmp_path / "enc"
    proc = subprocess.run([sys.executable, "-m", "w2v.encode", str(corpus), "--out", str(enc_dir), "--min-count", "2",
                           "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert is_encoded(enc_dir)
    enc, meta = load_encoded(enc_dir)
    assert meta["options"]["min_count"] == 2 and len(enc.ids) == meta["stats"]["kept_tokens"]
    import w2v
    from w2v.svd import build

    a = w2v.train_embeddings(enc_dir, dim=8, epochs=1, threads=1, min_count=5, progress=False)
    b = w2v.train_embeddings(corpus, dim=8, epochs=1, threads=1, min_count=5, progress=False)
    assert a.words == b.words and np.array_equal(a.matrix, b.matrix)  # same ids, same seed: same table
    s = build(enc_dir, dim=3, min_count=2, progress=False)
    assert s.words[:3] == enc.vocab.words[:3]
    with pytest.raises(W2VError, match="lower --min-count"):
        w2v.train_embeddings(enc_dir, min_count=1, progress=False)
    with pytest.raises(W2VError, match="lowercase"):
        w2v.train_embeddings(enc_dir, lowercase=True, progress=False)


def test_cache_dir_encodes_once_and_notices_changed_files(corpus, tmp_path, capsys):
    cache = tmp_path / "cache"
    opts = CorpusOptions(min_count=2)
    first = open_corpus(corpus, opts, None, tmp_path, cache_dir=cache, progress=False)
    entries = list(cache.iterdir())
    assert len(entries) == 1
    again = open_corpus(corpus, CorpusOptions(min_count=5), 4, tmp_path / "x", cache_dir=cache, progress=True)
    assert "using the encoded corpus cached" in capsys.readouterr().err
    assert again.vocab.words == first.vocab.words[:4]
    corpus.write_text(TEXT + "new words here\n")
    open_corpus(corpus, opts, None, tmp_path, cache_dir=cache, progress=False)
    assert len(list(cache.iterdir())) == 2  # a changed file is a new key, never a stale hit


def test_cache_notices_an_edit_that_keeps_size_and_mtime(corpus, tmp_path):
    """An in-place edit that keeps the size and restores the mtime was served the stale cached encoding."""
    cache = tmp_path / "cache"
    first = open_corpus(corpus, CorpusOptions(min_count=1), None, tmp_path, cache_dir=cache, progress=False)
    st = corpus.stat()
    text = corpus.read_text()
    a = first.vocab.words[0]
    b = next(w for w, c in zip(first.vocab.words, first.vocab.counts) if len(w) == len(a) and c < first.vocab.counts[0])
    lines = text.split("\n")
    k = next(i for i, line in enumerate(lines) if a in line.split())
    lines[k] = " ".join(b if t == a else t for t in lines[k].split(" "))  # same length: same size
    corpus.write_text("\n".join(lines))
    os.utime(corpus, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert corpus.stat().st_size == st.st_size and corpus.stat().st_mtime_ns == st.st_mtime_ns
    again = open_corpus(corpus, CorpusOptions(min_count=1), None, tmp_path, cache_dir=cache, progress=False)
    fresh = open_corpus(corpus, CorpusOptions(min_count=1), None, tmp_path, progress=False)
    assert again.vocab.words == fresh.vocab.words and np.array_equal(again.vocab.counts, fresh.vocab.counts)
    assert not np.array_equal(again.vocab.counts, first.vocab.counts)


def test_runs_with_different_settings_and_methods_share_one_cached_encoding(corpus, tmp_path):
    import w2v
    from w2v.svd import build

    cache = tmp_path / "cache"
    w2v.train_embeddings(corpus, dim=4, epochs=1, threads=1, min_count=2, cache_dir=cache, progress=False)
    w2v.train_embeddings(corpus, dim=6, epochs=2, threads=2, min_count=3, cache_dir=cache, progress=False)
    build(corpus, dim=3, min_count=2, cache_dir=cache, progress=False)
    assert len([p for p in cache.iterdir() if p.name.startswith("w2v-encoded-")]) == 1
