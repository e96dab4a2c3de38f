"""Subwords: fastText's n-grams and hash (oracle: the fasttext package), the kernel's gradient (oracles:
numpy float64 and finite differences), training with n-grams, and vectors for any string."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v import subword_kernels as sk
from w2v.errors import Interrupted, W2VError
from w2v.kernels import build_alias
from w2v.subwords import SubwordSpec, fasttext_hash, ngrams, word_rows

WORDS = ["the", "cat", "naïve", "café", "日本語", "straße", "a", "ab", "running", "Ωmega", "ÿ€𝄞x"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("sub") / "c.txt"
    lines = [" ".join(rng.choice(WORDS) for _ in range(20)) for _ in range(300)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ft_model(corpus):
    fasttext = pytest.importorskip("fasttext")
    return fasttext.train_unsupervised(str(corpus), model="skipgram", dim=8, epoch=1, minCount=1, bucket=997,
                                       minn=2, maxn=5, verbose=0, thread=1)


def test_ngrams_and_ids_equal_fasttexts(ft_model):
    spec = SubwordSpec(2, 5, 997)
    words = [w for w in ft_model.words if w != "</s>"]
    vocab = list(ft_model.words)
    for w in words + ["zebra", "naïveté", "x", "日本", "𝄞𝄞𝄞", "Ünïcödé"]:
        names, ids = ft_model.get_subwords(w)
        known = w in vocab
        ptr, mine = word_rows([w], spec, len(vocab), self_rows=known)
        mine = mine[ptr[0]:ptr[1]].astype(np.int64)
        if known:
            mine[0] = vocab.index(w)
        assert mine.tolist() == ids.tolist(), w
        assert ngrams(w, 2, 5) == list(names[1:] if known else names), w


def test_hash_is_fnv1a_over_signed_bytes():
    def reference(data: bytes) -> int:
        h = 2166136261
        for b in data:
            h = ((h ^ (b if b < 128 else b | 0xFFFFFF00)) * 16777619) & 0xFFFFFFFF
        return h

    for s in ["", "<a", "naïve", "日本語>", "\x7f\x80"]:
        assert fasttext_hash(s) == reference(s.encode("utf-8"))
    assert fasttext_hash("a") == 0xE40C292C  # FNV-1a of one ASCII byte: the published test vector
    assert fasttext_hash("é") != ((((2166136261 ^ 0xC3) * 16777619 & 0xFFFFFFFF) ^ 0xA9) * 16777619) & 0xFFFFFFFF


def _setup(seed=1, V=6, buckets=5, dim=4):
    rng = np.random.default_rng(seed)
    words = ["abc", "bcd", "cab", "dd", "abcd", "e"][:V]
    ptr, ids = word_rows(words, SubwordSpec(2, 3, buckets))
    syn0 = (rng.random((V + buckets, dim), dtype=np.float32) - 0.5)
    syn1 = (rng.random((V, dim), dtype=np.float32) - 0.5)
    return ptr, ids, syn0, syn1


def _nll(h, syn1, targets):
    loss = 0.0
    for d, t in enumerate(targets):
        if d > 0 and t == targets[0]:
            continue
        f = h @ syn1[t]
        loss += np.logaddexp(0, -f) if d == 0 else np.logaddexp(0, f)
    return loss


@pytest.mark.parametrize("cbow", [False, True])
def test_kernel_step_equals_float64_oracle_and_finite_differences(cbow):
    ptr, ids, syn0, syn1 = _setup()
    alpha = 0.1
    alias_prob, alias_idx = build_alias(np.ones(6))
    center, contexts = 4, np.array([0, 2, 3], dtype=np.int32)
    targets = np.zeros(3, dtype=np.int32)
    grads = np.zeros(3, dtype=np.float32)
    hidden = np.zeros((1, 4), dtype=np.float32)
    neu1e = np.zeros(4, dtype=np.float32)
    step = np.zeros(4, dtype=np.float32)
    s0, s1 = syn0.copy(), syn1.copy()
    x0, x1 = syn0.astype(np.float64), syn1.astype(np.float64)
    if cbow:
        targets[:] = [center, 1, 5]
        sk.cbow_centre(s0, s1, ptr, ids, center, contexts, targets, alpha, grads, hidden, neu1e)
        rows = np.concatenate([ids[ptr[c]:ptr[c + 1]] for c in contexts])
        steps = [(targets.tolist(), rows)]
    else:
        _, _, _ = sk.sg_centre(s0, s1, ptr, ids, center, contexts, targets, False, np.uint64(7), alias_prob,
                               alias_idx, alpha, grads, hidden, neu1e, step, sk.row_drift(ptr, ids)[center])
        rows = ids[ptr[center]:ptr[center + 1]]
        steps = [([int(c), *targets[1:].tolist()], rows) for c in contexts]
    # float64 oracle, fastText's update (Model::update once per context): the input vector is the mean
    # of the word's rows as they are now; the targets are scored, the output rows move, and the error
    # is added in full to each input row before the next context.
    assert len(set(rows.tolist())) < len(rows)  # repeated rows (the hard case) are covered
    for tg, _ in steps:
        h = x0[rows].mean(axis=0)
        g = [0.0 if d > 0 and t == tg[0] else alpha * ((d == 0) - 1 / (1 + np.exp(-h @ x1[t])))
             for d, t in enumerate(tg)]
        err = np.zeros(4)
        for d, t in enumerate(tg):
            err += g[d] * x1[t]
            x1[t] += g[d] * h
        for r in rows:
            x0[r] += err
    np.testing.assert_allclose(s0, x0, atol=2e-6)
    np.testing.assert_allclose(s1, x1, atol=2e-6)
    # Finite differences: with one context the input rows' step is -alpha * n_rows * dL/drow.
    tg, rows = steps[0]
    base = syn0.astype(np.float64)
    out = syn1.astype(np.float64)
    n = len(rows)
    r, c, eps = rows[-1], 2, 1e-6
    plus, minus = base.copy(), base.copy()
    plus[r, c] += eps
    minus[r, c] -= eps
    numeric = (_nll(plus[rows].mean(0), out, tg) - _nll(minus[rows].mean(0), out, tg)) / (2 * eps)
    s0, s1 = syn0.copy(), syn1.copy()
    one = np.array(contexts[:1] if not cbow else contexts, dtype=np.int32)
    if cbow:
        targets[:] = tg
        sk.cbow_centre(s0, s1, ptr, ids, center, one, targets, alpha, grads, hidden, neu1e)
    else:
        sk.sg_centre(s0, s1, ptr, ids, center, one, targets, False, np.uint64(7), alias_prob, alias_idx, alpha,
                     grads, hidden, neu1e, step, sk.row_drift(ptr, ids)[center])
    moved = s0[r, c] - syn0[r, c]  # a row listed k times moves k times, as dL/drow counts it k times
    assert moved == pytest.approx(-alpha * n * numeric, rel=1e-4, abs=1e-7)


def _train(corpus, out=None, **kw):
    opts = dict(subwords=True, minn=2, maxn=4, buckets=500, dim=12, min_count=1, epochs=2, threads=1, seed=3,
                sample=0)
    opts.update(kw)
    return w2v.train_embeddings(corpus, out=out, progress=False, **opts)


@pytest.mark.parametrize("cbow", [False, True])
def test_training_with_subwords_is_deterministic_and_saves_the_ngram_table(corpus, tmp_path, cbow):
    a = _train(corpus, tmp_path / "m", cbow=cbow)
    b = _train(corpus, cbow=cbow)
    np.testing.assert_array_equal(a.matrix, b.matrix)
    np.testing.assert_array_equal(a.ngrams, b.ngrams)
    loaded = w2v.load(tmp_path / "m")
    assert loaded.has_subwords and loaded.ngrams.shape == (len(a) + 500, 12)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert (config["subwords"], config["minn"], config["maxn"], config["buckets"]) == (True, 2, 4, 500)
    # embeddings.npy holds the composed vectors: mean of the word's own row and its n-gram rows
    ptr, ids = word_rows(a.words, SubwordSpec(2, 4, 500))
    k = a.words.index("naïve")
    np.testing.assert_allclose(a.matrix[k], a.ngrams[ids[ptr[k]:ptr[k + 1]]].astype(np.float64).mean(0), atol=1e-6)
    assert np.isfinite(a.info["heldout_loss"]).all() and a.info["epoch_loss"][-1] < a.info["epoch_loss"][0] + 0.1


def test_unseen_words_get_vectors_from_their_ngrams(corpus):
    vec = _train(corpus)
    assert "naïveté" not in vec
    ptr, ids = word_rows(["naïveté"], SubwordSpec(2, 4, 500), len(vec), self_rows=False)
    np.testing.assert_allclose(vec.vector("naïveté"), vec.ngrams[ids].astype(np.float64).mean(0), atol=1e-6)
    np.testing.assert_array_equal(vec.vector("cat"), vec["cat"])
    assert vec.most_similar("naïveté", topn=3)[0][0] in vec.words
    assert -1 <= vec.similarity("naïveté", "naïve") <= 1
    for method in ("add", "mul"):  # analogies with a word outside the vocabulary
        assert vec.analogy("cat", "naïveté", "the", method=method)[0][0] not in ("cat", "the")
    plain = w2v.Vectors(vec.matrix, vec.words)
    with pytest.raises(KeyError, match="no character n-grams"):
        plain.vector("naïveté")
    short = _train(corpus, minn=4, maxn=4, epochs=1)
    with pytest.raises(KeyError, match="has no character n-grams of 4 to 4"):
        short.vector("q")  # "<q>" is 3 characters


def test_resume_of_a_subword_run_gives_the_uninterrupted_table(corpus, tmp_path):
    whole = _train(corpus, epochs=3)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Interrupted):
        _train(corpus, tmp_path / "m", epochs=3, stop=stop)
    resumed = w2v.train_embeddings(None, out=tmp_path / "m", resume=tmp_path / "m", progress=False)
    np.testing.assert_array_equal(resumed.matrix, whole.matrix)
    np.testing.assert_array_equal(resumed.ngrams, whole.ngrams)


@pytest.mark.parametrize("args, message", [
    (["--minn", "5", "--maxn", "3"], "invalid --minn 5: must not exceed --maxn 3"),
    (["--buckets", "0"], "invalid --buckets 0: must be at least 1"),
    (["--buckets", "2000000000", "--dim", "1000"], "memory"),
    (["--cluster", "local:1"], "--subwords is not available with --cluster"),
])
def test_bad_subword_options_are_one_line_errors(corpus, tmp_path, args, message):
    out = tmp_path / "m"
    r = subprocess.run([sys.executable, "-m", "w2v.train", str(corpus), "--out", str(out), "--subwords",
                        "--min-count", "1", "--quiet", *args], capture_output=True, text=True)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()


def test_spec_checks():
    with pytest.raises(W2VError, match="exceeds"):
        SubwordSpec(4, 3, 10).check()
    with pytest.raises(W2VError, match="buckets 0"):
        SubwordSpec(3, 6, 0).check()


def test_export_unknown_subword_builds_missing_rows_and_reports_coverage(corpus, tmp_path):
    model = tmp_path / "m"
    vec = _train(corpus, model)
    index = tmp_path / "index.txt"
    index.write_text("\n".join(["", "[UNK]", "cat", "naïveté", "cats"]) + "\n", encoding="utf-8")
    out = tmp_path / "e.npy"
    r = subprocess.run([sys.executable, "-m", "w2v.export", str(model), "--vocab", str(index), "--out", str(out),
                        "--unknown", "subword", "--format", "textvectorization"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "rows: 1 from the table, 2 from subwords, 1 by the fallback (zeros)" in r.stdout
    m = np.load(out)
    np.testing.assert_array_equal(m[2], vec["cat"])
    np.testing.assert_allclose(m[3], vec.vector("naïveté"), atol=1e-6)
    assert not m[1].any() and not m[0].any()
    plain = tmp_path / "plain"
    w2v.Vectors(vec.matrix, vec.words).save(plain)
    r = subprocess.run([sys.executable, "-m", "w2v.export", str(plain), "--vocab", str(index), "--out",
                        str(tmp_path / "p.npy"), "--unknown", "subword"], capture_output=True, text=True)
    assert r.returncode == 2 and "needs a table with character n-grams" in r.stderr
    assert not (tmp_path / "p.npy").exists()


def test_classifier_init_builds_missing_rows_from_ngrams(corpus):
    from w2v.supervised import train_and_evaluate

    vec = _train(corpus)
    tokens = [["cat", "naïveté", "the"], ["cats", "a", "ab"]] * 10
    labels = np.array([0, 1] * 10)
    res = train_and_evaluate(tokens, labels, np.arange(16), np.arange(16, 20), init=vec, epochs=1, val_size=0)
    assert res.report.fallback == "random" and res.report.subwords == 2 and res.report.hits == 4


def test_classifier_gives_words_first_seen_at_test_time_their_ngram_vector(corpus):
    from w2v.supervised import train_and_evaluate

    vec = _train(corpus)
    tokens = [["cat", "the"], ["a", "ab"]] * 10 + [["cafés"], ["running", "straßen", "cafés"]]
    labels = np.array([0, 1] * 11)
    res = train_and_evaluate(tokens, labels, np.arange(20), np.arange(20, 22), init=vec, freeze=True, epochs=2,
                             val_size=0)
    assert res.test_words_from_ngrams == 3  # "cafés", "running" (a table row) and "straßen"; no [UNK]
    clf = res.classifier
    table = clf.embedding.table
    for row, word in zip(table[-3:], ["cafés", "running", "straßen"]):
        np.testing.assert_allclose(row, vec.vector(word), rtol=1e-6)
    pooled = np.stack([vec.vector("cafés"), np.mean([vec.vector(w) for w in ("running", "straßen", "cafés")], 0)])
    assert res.predictions.tolist() == clf.linear.forward(pooled).argmax(1).tolist()
    assert len(res.vocabulary) == len(table) - 3  # the word index itself is the training one
    plain = train_and_evaluate(tokens, labels, np.arange(20), np.arange(20, 22), init=vec, freeze=True, epochs=2,
                               val_size=0, unknown="random")
    assert plain.test_words_from_ngrams == 0 and len(plain.classifier.embedding.table) == len(plain.vocabulary)
