"""Positive (shifted) pointwise mutual information of a co-occurrence matrix, kept sparse.

For a word–context count matrix ``#(w, c)`` (Levy, Goldberg & Dagan 2015)::

    PMI_α(w, c) = log( #(w, c) · Σ_c' #(c')^α  /  (#(w) · #(c)^α) )
    SPPMI(w, c) = max(0, PMI_α(w, c) − log k)

with ``#(w)`` the row sums, ``#(c)`` the column sums, ``α = cds`` (context-distribution
smoothing, 0.75 like word2vec's noise distribution) and ``k = neg`` (the shift SGNS with ``k``
negative samples implicitly applies, Levy & Goldberg 2014). Unobserved pairs have PMI −∞ and
stay zero, so only the stored entries of the CSR matrix are touched.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import scipy.sparse as sp

from .errors import W2VError


@nb.njit(nogil=True, cache=True)
def _pmi_data(indptr, indices, data, log_w, log_c, const, out):
    for r in range(len(indptr) - 1):
        lw = log_w[r]
        for k in range(indptr[r], indptr[r + 1]):
            out[k] = math.log(data[k]) + const - lw - log_c[indices[k]]


def ppmi(counts: sp.spmatrix, cds: float = 0.75, neg: float = 1.0, positive: bool = True,
         dtype: type = np.float64) -> sp.csr_matrix:
    """(Shifted) positive PMI of a non-negative count matrix.

    Parameters
    ----------
    counts : scipy.sparse matrix
        ``(n_words, n_contexts)`` co-occurrence counts (e.g. :func:`w2v.cooc.cooccurrence`).
    cds : float
        Context-distribution smoothing exponent α (1 = plain PMI).
    neg : float
        Shift by ``log(neg)`` (SPPMI); 1 = no shift.
    positive : bool
        Clip at zero (PPMI). With ``False`` the stored entries hold the shifted PMI, negative
        values included, and unobserved pairs are still 0 (not −∞).
    dtype : numpy dtype
        Data type of the result (float32 halves the memory of the factorization steps).

    Returns
    -------
    scipy.sparse.csr_matrix
        Same shape as ``counts``; with ``positive``, only the positive entries are stored.
    """
    if not (cds > 0 and math.isfinite(cds)):
        raise W2VError(f"cds must be > 0, got {cds}")
    if not (neg > 0 and math.isfinite(neg)):
        raise W2VError(f"neg must be > 0, got {neg}")
    m = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    m.sum_duplicates()
    m.eliminate_zeros()
    if m.nnz and m.data.min() < 0:
        raise W2VError("co-occurrence counts must be non-negative")
    sum_w = np.asarray(m.sum(axis=1)).ravel()
    sum_c = np.asarray(m.sum(axis=0)).ravel() ** cds
    total = sum_c.sum()
    with np.errstate(divide="ignore"):
        log_w = np.log(sum_w)
        log_c = np.log(sum_c)
    const = math.log(total) - math.log(neg) if total > 0 else 0.0
    out = np.empty(m.nnz, dtype=dtype)
    _pmi_data(m.indptr, m.indices, m.data, log_w, log_c, const, out)
    m.data = out
    if positive:
        m.data[m.data < 0] = 0
        m.eliminate_zeros()
    return m
