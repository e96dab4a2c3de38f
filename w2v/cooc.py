"""Word–context co-occurrence counts from an encoded corpus, as a sparse symmetric CSR matrix.

``C[a, b]`` is the weighted number of ordered (centre, context) position pairs with word *a* at
the centre and word *b* within ``window`` tokens of it in the same sentence — what skip-gram
sees, in one pass. The distance weight ``weight(d)`` for ``d = 1..window`` is

* ``linear``: ``(window - d + 1) / window``, the expectation of word2vec's dynamic window
  (a reduced window drawn uniformly from 1..``window`` per centre word);
* ``uniform``: 1;
* ``harmonic``: ``1 / d`` (GloVe's weighting).

Subsampling (``sample > 0``) removes frequent tokens before the windows are taken, as word2vec
does, with its keep probability; the decision for token position *t* is a fixed hash of
``(seed, t)`` (:func:`keep_mask`), so a count does not depend on chunking or threads.
``max_vocab`` keeps the ``n`` most frequent words (ids are frequency ranks): pairs with a rarer
word are not counted, but those tokens still occupy their positions in the window.

Memory stays bounded: a compiled (numba, GIL-free) kernel turns a chunk of centre positions into
packed pair keys, the keys are sorted and reduced to unique (pair, weight) runs, and the sorted
runs are merged like a binary counter, never a Python dict of pairs. Only unordered pairs
``a <= b`` are stored while counting; the symmetric matrix is ``U + U.T`` at the end.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numba as nb
import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from .errors import W2VError
from .kernels import GOLDEN, uniform
from .vocab import keep_probabilities

WEIGHTINGS = ("linear", "uniform", "harmonic")

#: Centre positions handled by one kernel call (each yields at most ``window`` pair keys).
CHUNK_TOKENS = 1 << 21


def distance_weights(window: int, weighting: str = "linear") -> np.ndarray:
    """Weight of a context word at distance ``d`` (index ``d``; index 0 unused), for ``d = 1..window``."""
    if window < 1:
        raise W2VError(f"window must be >= 1, got {window}")
    if weighting not in WEIGHTINGS:
        raise W2VError(f"unknown weighting {weighting!r}; choose one of {', '.join(WEIGHTINGS)}")
    d = np.arange(window + 1, dtype=np.float64)
    if weighting == "linear":
        w = (window - d + 1) / window
    elif weighting == "uniform":
        w = np.ones(window + 1)
    else:
        w = 1.0 / np.maximum(d, 1)
    w[0] = 0.0
    return w


# -- compiled pieces ----------------------------------------------------------------------------------------

@nb.njit(inline="always")
def _uniform(seed: np.uint64, t: np.int64) -> float:
    # The trainer's splitmix64 (w2v.kernels) at position t of the stream seeded by seed: uniform [0, 1).
    return uniform(seed + np.uint64(t + 1) * GOLDEN)


@nb.njit(nogil=True, cache=True)
def _keep_mask(ids, keep, seed, offset):
    out = np.empty(len(ids), dtype=np.bool_)
    s = np.uint64(seed)
    for i in range(len(ids)):
        out[i] = _uniform(s, offset + i) < keep[ids[i]]
    return out


@nb.njit(nogil=True, cache=True)
def _pair_keys(ids, starts, t0, t1, window, n, keep, subsample, seed):
    """Packed keys ``(min(a,b) * n + max(a,b)) * window + (d - 1)`` for centres in [t0, t1)."""
    keys = np.empty((t1 - t0) * window, dtype=np.int64)
    m = 0
    s = np.uint64(seed)
    # sentence containing t0
    lo, hi = 0, len(starts) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if starts[mid] <= t0:
            lo = mid
        else:
            hi = mid
    sent = lo
    end = starts[sent + 1]
    for i in range(t0, t1):
        while i >= end:
            sent += 1
            end = starts[sent + 1]
        a = ids[i]
        if subsample and not (_uniform(s, i) < keep[a]):
            continue
        d = 0
        j = i + 1
        while j < end and d < window:
            b = ids[j]
            if subsample and not (_uniform(s, j) < keep[b]):
                j += 1
                continue
            d += 1
            j += 1
            if a < n and b < n:
                lo_w, hi_w = (a, b) if a <= b else (b, a)
                keys[m] = (np.int64(lo_w) * n + hi_w) * window + (d - 1)
                m += 1
    return keys[:m]


@nb.njit(nogil=True, cache=True)
def _reduce_sorted(keys, window, weights):
    """Sorted packed keys → unique pair keys and summed weights."""
    out_k = np.empty(len(keys), dtype=np.int64)
    out_w = np.empty(len(keys), dtype=np.float64)
    m = -1
    prev = np.int64(-1)
    for i in range(len(keys)):
        pair = keys[i] // window
        w = weights[keys[i] - pair * window + 1]
        if pair != prev:
            m += 1
            out_k[m] = pair
            out_w[m] = w
            prev = pair
        else:
            out_w[m] += w
    return out_k[: m + 1].copy(), out_w[: m + 1].copy()


@nb.njit(nogil=True, cache=True)
def _merge(k1, w1, k2, w2):
    """Merge two sorted unique runs, summing the weights of equal keys."""
    out_k = np.empty(len(k1) + len(k2), dtype=np.int64)
    out_w = np.empty(len(k1) + len(k2), dtype=np.float64)
    i = j = m = 0
    while i < len(k1) and j < len(k2):
        if k1[i] < k2[j]:
            out_k[m] = k1[i]
            out_w[m] = w1[i]
            i += 1
        elif k2[j] < k1[i]:
            out_k[m] = k2[j]
            out_w[m] = w2[j]
            j += 1
        else:
            out_k[m] = k1[i]
            out_w[m] = w1[i] + w2[j]
            i += 1
            j += 1
        m += 1
    while i < len(k1):
        out_k[m] = k1[i]
        out_w[m] = w1[i]
        i += 1
        m += 1
    while j < len(k2):
        out_k[m] = k2[j]
        out_w[m] = w2[j]
        j += 1
        m += 1
    return out_k[:m].copy(), out_w[:m].copy()


# -- public API ---------------------------------------------------------------------------------------------


def keep_mask(ids: np.ndarray, keep: np.ndarray, seed: int = 1, offset: int = 0) -> np.ndarray:
    """The subsampling decisions :func:`cooccurrence` makes: ``True`` where token
    ``offset + i`` is kept. Deterministic in ``(seed, position)``, so a reference count can
    apply exactly the same decisions."""
    ids = np.ascontiguousarray(ids, dtype=np.int32)
    return _keep_mask(ids, np.asarray(keep, dtype=np.float64), np.uint64(seed % (1 << 64)), np.int64(offset))


def cooccurrence(
    ids: np.ndarray,
    starts: np.ndarray,
    vocab_size: int,
    window: int = 5,
    weighting: str = "linear",
    sample: float = 0.0,
    counts: np.ndarray | None = None,
    max_vocab: int | None = None,
    seed: int = 1,
    threads: int | None = None,
    chunk_tokens: int = CHUNK_TOKENS,
    progress: bool = True,
) -> sp.csr_matrix:
    """Count weighted word–context co-occurrences into a symmetric ``(n, n)`` CSR matrix.

    Parameters
    ----------
    ids, starts : numpy.ndarray
        The encoded corpus (:class:`w2v.vocab.EncodedCorpus`): int32 word ids (frequency ranks)
        and int64 sentence starts with ``starts[-1] == len(ids)``. Windows never cross sentences.
    vocab_size : int
        Number of words of the vocabulary the ids index.
    window : int
        Largest distance counted.
    weighting : {"linear", "uniform", "harmonic"}
        Distance weighting (see the module docstring); ``linear`` matches word2vec.
    sample : float
        word2vec subsampling threshold (0 = off); needs ``counts``.
    counts : numpy.ndarray, optional
        Corpus counts of the ``vocab_size`` words (for the keep probabilities).
    max_vocab : int, optional
        Count only pairs of the ``n = min(vocab_size, max_vocab)`` most frequent words.
    seed : int
        Seed of the subsampling decisions.
    threads : int, optional
        Worker threads for the compiled kernel (default: all cores).
    chunk_tokens : int
        Centre positions per chunk; bounds the memory of one chunk to ~16 bytes × window × chunk.
    progress : bool
        Show a tqdm bar over tokens.

    Returns
    -------
    scipy.sparse.csr_matrix
        float64, symmetric, sorted indices, no explicit zeros.
    """
    if window < 1:
        raise W2VError(f"window must be >= 1, got {window}")
    if vocab_size < 1:
        raise W2VError(f"vocab_size must be >= 1, got {vocab_size}")
    if max_vocab is not None and max_vocab < 1:
        raise W2VError(f"max_vocab must be >= 1, got {max_vocab}")
    if sample < 0:
        raise W2VError(f"sample must be >= 0 (0 disables subsampling), got {sample}")
    if chunk_tokens < 1:
        raise W2VError(f"chunk_tokens must be >= 1, got {chunk_tokens}")
    weights = distance_weights(window, weighting)
    n = vocab_size if max_vocab is None else min(vocab_size, max_vocab)
    if n * n * window >= 2**62:
        raise W2VError(f"vocabulary of {n} words with window {window} is too large to pack pair keys")
    ids = np.asarray(ids)
    if ids.dtype != np.int32:
        ids = ids.astype(np.int32)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    total = len(ids)
    if len(starts) < 1 or starts[0] != 0 or starts[-1] != total:
        raise W2VError("starts must begin at 0 and end at len(ids)")
    if total and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise W2VError(f"ids must lie in [0, {vocab_size})")
    subsample = sample > 0
    if subsample:
        if counts is None or len(counts) != vocab_size:
            raise W2VError("subsampling needs the counts of every vocabulary word")
        keep = keep_probabilities(counts, sample)
    else:
        keep = np.ones(vocab_size, dtype=np.float64)
    seed64 = np.uint64(seed % (1 << 64))
    threads = max(1, threads or os.cpu_count() or 1)

    def run(t0: int) -> tuple[np.ndarray, np.ndarray, int]:
        t1 = min(total, t0 + chunk_tokens)
        keys = _pair_keys(ids, starts, t0, t1, window, n, keep, subsample, seed64)
        keys.sort()  # numpy's SIMD sort; releases the GIL
        k, w = _reduce_sorted(keys, window, weights)
        return k, w, t1 - t0

    # Sorted runs merged like a binary counter: O(total log chunks), a few runs alive at once.
    stack: list[tuple[np.ndarray, np.ndarray, int]] = []

    def push(k: np.ndarray, w: np.ndarray) -> None:
        level = 0
        while stack and stack[-1][2] == level:
            k0, w0, _ = stack.pop()
            k, w = _merge(k0, w0, k, w)
            level += 1
        stack.append((k, w, level))

    bar = tqdm(total=total, unit="tok", unit_scale=True, desc="cooc", disable=None if progress else True,
               leave=False)
    offsets = list(range(0, total, chunk_tokens))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending = []
        it = iter(offsets)
        for t0 in it:
            pending.append(pool.submit(run, t0))
            if len(pending) >= threads + 1:
                break
        while pending:
            k, w, done = pending.pop(0).result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(run, nxt))
            push(k, w)
            bar.update(done)
    bar.close()
    keys = np.zeros(0, dtype=np.int64)
    vals = np.zeros(0, dtype=np.float64)
    while stack:
        k, w, _ = stack.pop()
        keys, vals = _merge(keys, vals, k, w)
    rows = (keys // n).astype(np.int32)
    cols = (keys - rows.astype(np.int64) * n).astype(np.int32)
    del keys
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    upper = sp.csr_matrix((vals, cols, indptr), shape=(n, n))
    del rows, cols, vals
    sym = (upper + upper.T).tocsr()
    sym.sum_duplicates()
    sym.sort_indices()
    return sym


def encoded_cooccurrence(enc, **options) -> sp.csr_matrix:
    """:func:`cooccurrence` of a :class:`w2v.vocab.EncodedCorpus` (passes its ids, starts and counts)."""
    return cooccurrence(enc.ids, enc.starts, len(enc.vocab), counts=enc.vocab.counts, **options)
