"""The compiled updates against a slow float64 numpy oracle, and the oracle's gradients
against finite differences of the loss (micrograd-style)."""

import numpy as np
import pytest
from oracles import numeric_grad

from w2v import kernels
from w2v.vocab import keep_probabilities, noise_distribution


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def nll(h, out_rows, labels):
    """Negative log-likelihood of the labels for hidden vector h against output rows."""
    f = out_rows @ h
    return float(-np.sum(labels * np.log(sigmoid(f)) + (1 - labels) * np.log(1 - sigmoid(f))))


def ref_predict(syn1, center, h, targets, alpha):
    """Oracle for one prediction: returns (neu1e, loss, pairs) and updates syn1 in place.
    Scores are taken first; updates are then applied target by target."""
    valid = [d for d in range(len(targets)) if d == 0 or targets[d] != center]
    labels = np.array([1.0 if d == 0 else 0.0 for d in valid])
    rows = syn1[[targets[d] for d in valid]]
    f = rows @ h
    g = alpha * (labels - sigmoid(f))
    loss = nll(h, rows, labels)
    neu1e = np.zeros_like(h)
    for gd, d in zip(g, valid):
        t = targets[d]
        neu1e += gd * syn1[t]
        syn1[t] += gd * h
    return neu1e, loss, len(valid)


def ref_sg_window(syn0, syn1, center, contexts, targets, alpha):
    syn0, syn1 = syn0.astype(np.float64), syn1.astype(np.float64)
    total, pairs = 0.0, 0
    for w in contexts:
        neu1e, loss, q = ref_predict(syn1, center, syn0[w].copy(), targets, alpha)
        syn0[w] += neu1e
        total += loss
        pairs += q
    return syn0, syn1, total, pairs


def ref_cbow_window(syn0, syn1, center, contexts, targets, alpha):
    syn0, syn1 = syn0.astype(np.float64), syn1.astype(np.float64)
    h = syn0[list(contexts)].mean(axis=0)
    neu1e, loss, q = ref_predict(syn1, center, h, targets, alpha)
    for w in contexts:
        syn0[w] += neu1e
    return syn0, syn1, loss, q


def tables(V=7, dim=5, seed=0):
    rng = np.random.default_rng(seed)
    return ((rng.random((V, dim)) - 0.5).astype(np.float32),
            (rng.random((V, dim)) - 0.5).astype(np.float32))


@pytest.mark.parametrize("targets", [[2, 4, 5, 6], [2, 2, 5, 5], [2, 0, 6, 1]])
def test_sg_window_matches_oracle(targets):
    syn0, syn1 = tables()
    contexts = np.array([1, 3, 0], dtype=np.int32)
    targets = np.array(targets, dtype=np.int32)
    exp0, exp1, loss, pairs = ref_sg_window(syn0, syn1, 2, contexts, targets, 0.1)
    grads = np.zeros(len(targets), np.float32)
    neu1e = np.zeros(syn0.shape[1], np.float32)
    got_loss, got_pairs = kernels.sg_window(syn0, syn1, 2, contexts, targets, 0.1, grads, neu1e)
    np.testing.assert_allclose(syn0, exp0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(syn1, exp1, rtol=1e-5, atol=1e-6)
    assert got_pairs == pairs
    assert got_loss == pytest.approx(loss, rel=1e-5)


@pytest.mark.parametrize("contexts", [[1, 3, 0, 6], [1], [3, 3]])
def test_cbow_window_matches_oracle(contexts):
    syn0, syn1 = tables(seed=1)
    contexts = np.array(contexts, dtype=np.int32)
    targets = np.array([2, 4, 2, 5], dtype=np.int32)  # a noise word equal to the centre is skipped
    exp0, exp1, loss, pairs = ref_cbow_window(syn0, syn1, 2, contexts, targets, 0.05)
    grads = np.zeros(len(targets), np.float32)
    hidden = np.zeros((1, syn0.shape[1]), np.float32)
    neu1e = np.zeros(syn0.shape[1], np.float32)
    got_loss, got_pairs = kernels.cbow_window(syn0, syn1, 2, contexts, targets, 0.05, grads, hidden, neu1e)
    np.testing.assert_allclose(syn0, exp0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(syn1, exp1, rtol=1e-5, atol=1e-6)
    assert (got_pairs, got_loss) == (pairs, pytest.approx(loss, rel=1e-5))


def test_oracle_update_is_gradient_descent_on_the_nll():
    """The update word2vec applies is -alpha times the gradient of the pair NLL."""
    rng = np.random.default_rng(3)
    h = rng.normal(size=6)
    rows = rng.normal(size=(4, 6))
    labels = np.array([1.0, 0.0, 0.0, 0.0])
    syn1 = rows.copy()
    alpha = 0.3
    neu1e, loss, _ = ref_predict(syn1, 0, h, np.array([0, 1, 2, 3]), alpha)
    assert loss == pytest.approx(nll(h, rows, labels))
    np.testing.assert_allclose(neu1e, -alpha * numeric_grad(lambda: nll(h, rows, labels), h), rtol=1e-6)
    drows = numeric_grad(lambda: nll(h, rows, labels), rows)
    np.testing.assert_allclose(syn1 - rows, -alpha * drows, rtol=1e-6)


def test_loss_is_exact_even_for_saturated_scores():
    syn0 = np.zeros((3, 1), np.float32)
    syn1 = np.zeros((3, 1), np.float32)
    syn0[0, 0], syn1[1, 0], syn1[2, 0] = 5.0, 6.0, 6.0  # scores of 30: far outside word2vec's +-6 table
    grads, neu1e = np.zeros(2, np.float32), np.zeros(1, np.float32)
    ctx = np.array([0], np.int32)
    # centre 1 (label 1); its noise copy is skipped
    loss, pairs = kernels.sg_window(syn0, syn1, 1, ctx, np.array([1, 1], np.int32), 0.0, grads, neu1e)
    assert pairs == 1
    assert loss == pytest.approx(np.log1p(np.exp(-30.0)), rel=1e-6, abs=1e-12)
    # noise word 2 scored 30: its NLL is 30 + log1p(exp(-30))
    loss, pairs = kernels.sg_window(syn0, syn1, 1, ctx, np.array([1, 2], np.int32), 0.0, grads, neu1e)
    assert pairs == 2
    assert loss == pytest.approx(30.0 + 2 * np.log1p(np.exp(-30.0)), rel=1e-6)


def test_keep_probability_formula():
    counts = np.array([1000, 100, 10, 1])
    sample = 1e-2
    f = counts / counts.sum()
    expected = np.minimum(1, (np.sqrt(f / sample) + 1) * sample / f)
    np.testing.assert_allclose(keep_probabilities(counts, sample), expected)
    assert keep_probabilities(counts, 0).tolist() == [1, 1, 1, 1]


def test_noise_sampler_follows_unigram_to_the_075():
    counts = np.array([500, 200, 100, 50, 20, 5, 1])
    probs = noise_distribution(counts, 0.75)
    np.testing.assert_allclose(probs, counts**0.75 / np.sum(counts**0.75))
    prob, alias = kernels.build_alias(probs)
    n = 2_000_000
    draws = kernels.sample_noise(prob, alias, n, 7)
    freq = np.bincount(draws, minlength=len(counts)) / n
    # 5 standard errors of a binomial proportion
    np.testing.assert_array_less(np.abs(freq - probs), 5 * np.sqrt(probs * (1 - probs) / n))


def test_learning_rate_is_linear_in_words_processed():
    for done in [0, 250, 500, 1000, 2000]:
        expected = 0.025 - (0.025 - 0.0001) * min(1.0, done / 1000)
        assert kernels.learning_rate(done, 1000, 0.025, 0.0001) == pytest.approx(expected)


def test_subsampling_keeps_the_expected_number_of_words():
    rng = np.random.default_rng(0)
    counts = np.array([50_000, 20_000, 5_000, 1_000, 100])
    ids = rng.permutation(np.repeat(np.arange(5, dtype=np.int32), counts))
    starts = np.append(np.arange(0, len(ids), 1000), len(ids)).astype(np.int64)
    keep = keep_probabilities(counts, 1e-2)
    prob, alias = kernels.build_alias(noise_distribution(counts))
    syn0, syn1 = np.zeros((5, 4), np.float32), np.zeros((5, 4), np.float32)
    _, _, done, trained = kernels.train_job(syn0, syn1, ids, starts, 0, len(starts) - 1, keep, prob, alias,
                                            2, 1, False, True, 0.01, 0.0001, 0, len(ids), 5)
    expected = float(np.sum(keep * counts))
    sd = float(np.sqrt(np.sum(counts * keep * (1 - keep))))
    assert done == len(ids)
    assert abs(trained - expected) < 5 * sd


@pytest.mark.parametrize("cbow", [False, True])
def test_eval_loss_matches_oracle_and_updates_nothing(cbow):
    # window 1, no noise words, no subsampling: the pairs are fixed, so the mean loss is exact.
    syn0, syn1 = tables(V=6, dim=4, seed=2)
    ids = np.array([0, 3, 5, 1, 1, 2, 4, 0, 5], dtype=np.int32)
    starts = np.array([0, 4, 4, 9], dtype=np.int64)  # an empty sentence in the middle
    keep = np.ones(6)
    alias_prob, alias_idx = kernels.build_alias(np.full(6, 1 / 6))
    before = syn0.copy(), syn1.copy()
    got = kernels.eval_loss(syn0, syn1, ids, starts, keep, alias_prob, alias_idx, 1, 0, cbow, 7)
    losses = []
    for a, b in zip(starts[:-1], starts[1:]):
        sent = ids[a:b]
        for i, center in enumerate(sent):
            ctx = [sent[j] for j in (i - 1, i + 1) if 0 <= j < len(sent)]
            hs = [syn0[ctx].astype(np.float64).mean(axis=0)] if cbow else [syn0[w].astype(np.float64) for w in ctx]
            losses += [-np.log(sigmoid(h @ syn1[center])) for h in hs]
    assert got == pytest.approx(np.mean(losses), rel=1e-5)
    assert np.array_equal(syn0, before[0]) and np.array_equal(syn1, before[1])
    again = kernels.eval_loss(syn0, syn1, ids, starts, keep, alias_prob, alias_idx, 3, 5, cbow, 7)
    assert again == kernels.eval_loss(syn0, syn1, ids, starts, keep, alias_prob, alias_idx, 3, 5, cbow, 7)


def test_log1p_polynomial_is_relatively_exact_on_the_unit_interval():
    # the loss's log1p(exp(-|f|)) term: relative error must stay tiny down to e -> 0 (saturated scores)
    e = np.concatenate([np.linspace(0.0, 1.0, 20001), np.geomspace(1e-300, 1.0, 2000)])
    got = np.array([kernels._log1p_unit(x) for x in e])
    np.testing.assert_allclose(got, np.log1p(e), rtol=5e-8, atol=0)
