"""Co-occurrence counts against a naive Python count."""

import numpy as np
import pytest

from w2v.cooc import (
    cooccurrence,
    distance_weights,
    encoded_cooccurrence,
    keep_mask,
)
from w2v.errors import W2VError
from w2v.vocab import keep_probabilities


def naive(ids, starts, n, window, weighting, mask=None):
    """Every ordered (centre, context) pair within ``window`` kept tokens of the same sentence."""
    w = distance_weights(window, weighting)
    c = np.zeros((n, n))
    for s in range(len(starts) - 1):
        sent = [int(ids[t]) for t in range(starts[s], starts[s + 1]) if mask is None or mask[t]]
        for i, a in enumerate(sent):
            for j in range(max(0, i - window), min(len(sent), i + window + 1)):
                b = sent[j]
                if j != i and a < n and b < n:
                    c[a, b] += w[abs(i - j)]
    return c


def corpus(seed=0, vocab=25, n_sent=40, zipf=True):
    rng = np.random.default_rng(seed)
    lens = rng.integers(0, 25, size=n_sent)
    starts = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    if zipf:
        p = 1.0 / np.arange(1, vocab + 1)
        ids = rng.choice(vocab, size=starts[-1], p=p / p.sum())
    else:
        ids = rng.integers(0, vocab, size=starts[-1])
    return ids.astype(np.int32), starts


@pytest.mark.parametrize("weighting", ["linear", "uniform", "harmonic"])
@pytest.mark.parametrize("window", [1, 3, 6])
def test_counts_equal_naive(weighting, window):
    ids, starts = corpus(window)
    m = cooccurrence(ids, starts, 25, window=window, weighting=weighting, progress=False)
    np.testing.assert_allclose(m.toarray(), naive(ids, starts, 25, window, weighting), rtol=1e-12, atol=1e-12)
    assert (m != m.T).nnz == 0
    assert m.has_sorted_indices and m.nnz == np.count_nonzero(m.toarray())


@pytest.mark.parametrize("chunk", [1, 7, 100, 10_000])
@pytest.mark.parametrize("threads", [1, 3])
def test_chunking_and_threads_do_not_change_counts(chunk, threads):
    ids, starts = corpus(1)
    ref = naive(ids, starts, 25, 4, "linear")
    m = cooccurrence(ids, starts, 25, window=4, chunk_tokens=chunk, threads=threads, progress=False)
    np.testing.assert_allclose(m.toarray(), ref, atol=1e-12)


def test_max_vocab_keeps_positions_of_rarer_words():
    ids, starts = corpus(2)
    m = cooccurrence(ids, starts, 25, window=3, weighting="uniform", max_vocab=10, progress=False)
    assert m.shape == (10, 10)
    np.testing.assert_allclose(m.toarray(), naive(ids, starts, 10, 3, "uniform"))


def test_linear_weight_is_word2vec_dynamic_window():
    # P(context at distance d is inside a window drawn uniformly from 1..w) = (w - d + 1) / w
    w = 5
    b = np.arange(1, w + 1)
    expected = [(b >= d).mean() for d in range(1, w + 1)]
    np.testing.assert_allclose(distance_weights(w, "linear")[1:], expected)
    np.testing.assert_allclose(distance_weights(w, "harmonic")[1:], 1 / np.arange(1, w + 1))


def test_subsampling_matches_reference_with_same_keep_decisions():
    ids, starts = corpus(3, n_sent=60)
    counts = np.bincount(ids, minlength=25)
    m = cooccurrence(ids, starts, 25, window=4, sample=0.01, counts=counts, seed=42, chunk_tokens=13,
                     progress=False)
    mask = keep_mask(ids, keep_probabilities(counts, 0.01), seed=42)
    assert 0 < mask.mean() < 1
    np.testing.assert_allclose(m.toarray(), naive(ids, starts, 25, 4, "linear", mask=mask), atol=1e-12)
    other = cooccurrence(ids, starts, 25, window=4, sample=0.01, counts=counts, seed=43, progress=False)
    assert (other != m).nnz > 0


def test_keep_mask_frequency_matches_probability():
    keep = np.array([0.1, 0.5, 0.9, 1.0])
    ids = np.repeat(np.arange(4, dtype=np.int32), 50_000)
    mask = keep_mask(ids, keep, seed=5)
    for w in range(4):
        frac = mask[ids == w].mean()
        assert abs(frac - keep[w]) < 4 * np.sqrt(keep[w] * (1 - keep[w]) / 50_000) + 1e-12
    np.testing.assert_array_equal(keep_mask(ids[10:20], keep, 5, offset=10), mask[10:20])


def test_empty_and_single_token_sentences():
    ids = np.array([0, 1, 2], dtype=np.int32)
    m = cooccurrence(ids, np.array([0, 1, 2, 2, 3]), 3, progress=False)
    assert m.shape == (3, 3) and m.nnz == 0
    m = cooccurrence(np.zeros(0, np.int32), np.array([0]), 3, progress=False)
    assert m.nnz == 0


def test_encoded_corpus(tmp_path):
    from w2v.vocab import encode_corpus

    (tmp_path / "c.txt").write_text("a b a c\nb a\n" * 10)
    enc = encode_corpus(tmp_path / "c.txt", tmp_path / "ids", min_count=1, progress=False)
    m = encoded_cooccurrence(enc, window=2, weighting="uniform", progress=False)
    np.testing.assert_allclose(m.toarray(), naive(np.asarray(enc.ids), enc.starts, 3, 2, "uniform"))


@pytest.mark.parametrize("kwargs", [
    {"window": 0}, {"weighting": "gaussian"}, {"sample": -1.0}, {"sample": 1e-3}, {"max_vocab": 0},
])
def test_bad_parameters_raise(kwargs):
    ids, starts = corpus(0)
    with pytest.raises(W2VError):
        cooccurrence(ids, starts, 25, progress=False, **kwargs)


def test_bad_ids_raise():
    with pytest.raises(W2VError):
        cooccurrence(np.array([0, 5], np.int32), np.array([0, 2]), 3, progress=False)
    with pytest.raises(W2VError):
        cooccurrence(np.array([0, 1], np.int32), np.array([0, 1]), 3, progress=False)
