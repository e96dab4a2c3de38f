"""PPMI against a dense numpy computation."""

import numpy as np
import pytest
import scipy.sparse as sp

from w2v.errors import W2VError
from w2v.ppmi import ppmi


def dense_ppmi(c, cds, neg, positive=True):
    c = np.asarray(c, dtype=np.float64)
    pw = c.sum(1) / c.sum()
    pc = c.sum(0) ** cds / (c.sum(0) ** cds).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(c / c.sum() / np.outer(pw, pc)) - np.log(neg)
    pmi[c == 0] = 0.0
    return np.maximum(pmi, 0) if positive else pmi


def counts(seed=0, n=30, density=0.3):
    rng = np.random.default_rng(seed)
    c = rng.poisson(3.0, size=(n, n)) * (rng.random((n, n)) < density)
    c = c + c.T
    c[5] = 0  # a word with no contexts
    c[:, 5] = 0
    return c.astype(float)


@pytest.mark.parametrize("cds", [1.0, 0.75])
@pytest.mark.parametrize("neg", [1, 5])
def test_ppmi_equals_dense(cds, neg):
    c = counts(neg)
    m = ppmi(sp.csr_matrix(c), cds=cds, neg=neg)
    ref = dense_ppmi(c, cds, neg)
    np.testing.assert_allclose(m.toarray(), ref, rtol=1e-12, atol=1e-12)
    assert m.nnz == np.count_nonzero(ref) and (m.data > 0).all()


def test_unclipped_pmi_and_rectangular():
    rng = np.random.default_rng(3)
    c = rng.poisson(1.0, size=(12, 20)).astype(float)
    m = ppmi(sp.csr_matrix(c), cds=0.75, neg=2, positive=False)
    np.testing.assert_allclose(m.toarray(), dense_ppmi(c, 0.75, 2, positive=False), rtol=1e-12, atol=1e-12)


def test_float32_output_and_input_untouched():
    c = sp.csr_matrix(counts(1))
    before = c.copy()
    m = ppmi(c, dtype=np.float32)
    assert m.dtype == np.float32
    assert (c != before).nnz == 0
    np.testing.assert_allclose(m.toarray(), dense_ppmi(counts(1), 0.75, 1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{"cds": 0}, {"neg": 0}, {"neg": float("nan")}])
def test_bad_parameters(kwargs):
    with pytest.raises(W2VError):
        ppmi(sp.csr_matrix(counts(0)), **kwargs)


def test_negative_counts_rejected():
    with pytest.raises(W2VError):
        ppmi(sp.csr_matrix(np.array([[1.0, -1.0], [2.0, 0.0]])))
