"""The compiled subword (character n-gram) loops: n-gram ids, composed vectors, SGNS/CBOW updates.

Like :mod:`w2v.kernels` (whose generator, noise draws and scoring it reuses), this module sees only
numpy arrays and scalars. The input table holds fastText's layout: one row per word, then
``buckets`` rows of hashed n-grams. Word *w*'s input rows are ``sub_ids[sub_ptr[w]:sub_ptr[w+1]]``
(its own row first, then its n-gram rows, repeats kept as fastText keeps them); its input vector
is their mean, and the error of a prediction is added in full to each of them, as fastText does.

Skip-gram predicts each context word from the centre word's composed vector, as fastText does, and
gives fastText's result (each context sees the composed vector moved by the previous contexts'
errors), but the centre's rows are read once and written once per centre word, by the error summed
over its context words (those rows are what it costs to touch, so this is what makes it fast).
CBOW predicts the centre word from the mean of all rows of all context words (fastText's CBOW).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import _GOLDEN, _below, _bits, _draw, _next, _predict, _score, _subsample, job_buffers, next_sentence

# 32-bit FNV-1a, computed in uint64 and masked (numba widens 32-bit products).
_FNV_OFFSET = np.uint64(2166136261)
_FNV_PRIME = np.uint64(16777619)
_MASK32 = np.uint64(0xFFFFFFFF)
_HIGH = np.uint64(0xFFFFFF00)


@njit(inline="always")
def _mix(h, byte):
    # fastText hashes each byte as a signed char widened to 32 bits: bytes >= 0x80 carry ones above.
    b = np.uint64(byte)
    if byte >= 128:
        b = b | _HIGH
    return ((h ^ b) * _FNV_PRIME) & _MASK32


@njit(nogil=True, cache=True)
def fnv1a(data):
    """fastText's 32-bit hash of the bytes ``data`` (uint8 array)."""
    h = _FNV_OFFSET
    for k in range(data.shape[0]):
        h = _mix(h, data[k])
    return h


@njit(nogil=True, cache=True)
def _ngrams_of(data, a, b, minn, maxn, buckets, out, fill):
    # The n-grams of the wrapped word data[a:b] ("<word>") over UTF-8 characters, as fastText's
    # computeSubwords: n from minn to maxn characters, never the lone "<" or ">". Writes bucket
    # numbers to out[fill:] and returns the new fill (out=None style: counting when out is empty).
    length = b - a
    count = fill
    for i in range(length):
        if (data[a + i] & 0xC0) == 0x80:
            continue
        h = _FNV_OFFSET
        j = i
        n = 1
        while j < length and n <= maxn:
            h = _mix(h, data[a + j])
            j += 1
            while j < length and (data[a + j] & 0xC0) == 0x80:
                h = _mix(h, data[a + j])
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == length)):
                if out.shape[0] > 0:
                    out[count] = np.int64(h % np.uint64(buckets))
                count += 1
            n += 1
    return count


@njit(nogil=True, cache=True)
def ngram_csr(data, offsets, minn, maxn, buckets, first_row, self_rows):
    """N-gram rows of many wrapped words at once: word *k* is ``data[offsets[k]:offsets[k+1]]``.

    Returns ``(ptr int64[n+1], ids int64[...])``: word *k*'s rows are ``ids[ptr[k]:ptr[k+1]]``, its
    own row ``k`` first when ``self_rows`` (words of the vocabulary), then ``first_row + bucket`` for
    each n-gram. ``maxn == 0`` means no n-grams."""
    n = offsets.shape[0] - 1
    ptr = np.zeros(n + 1, dtype=np.int64)
    empty = np.empty(0, dtype=np.int64)
    for k in range(n):
        c = 1 if self_rows else 0
        if maxn > 0:
            c = _ngrams_of(data, offsets[k], offsets[k + 1], minn, maxn, buckets, empty, c)
        ptr[k + 1] = ptr[k] + c
    ids = np.empty(ptr[n], dtype=np.int64)
    for k in range(n):
        fill = ptr[k]
        if self_rows:
            ids[fill] = k
            fill += 1
        if maxn > 0:
            start = fill
            fill = _ngrams_of(data, offsets[k], offsets[k + 1], minn, maxn, buckets, ids, fill)
            for q in range(start, fill):
                ids[q] += first_row
    return ptr, ids


@njit(nogil=True, cache=True)
def compose(table, ptr, ids, out):
    """``out[k]`` = mean of the rows ``ids[ptr[k]:ptr[k+1]]`` of ``table`` (summed in float64); a word
    without rows gets zeros. Returns how many words had rows."""
    dim = table.shape[1]
    acc = np.zeros(dim, dtype=np.float64)
    found = 0
    for k in range(ptr.shape[0] - 1):
        a, b = ptr[k], ptr[k + 1]
        acc[:] = 0.0
        for q in range(a, b):
            r = ids[q]
            for c in range(dim):
                acc[c] += table[r, c]
        if b > a:
            found += 1
            for c in range(dim):
                out[k, c] = acc[c] / (b - a)
        else:
            out[k, :] = 0.0
    return found


@njit(inline="always", fastmath=True)
def _gather(syn0, sub_ptr, sub_ids, w, hidden, add):
    # hidden[0] += the rows of word w (or sets them when add is False); returns how many rows.
    a, b = sub_ptr[w], sub_ptr[w + 1]
    dim = syn0.shape[1]
    if not add:
        hidden[0, :] = 0.0
    for q in range(a, b):
        r = sub_ids[q]
        for c in range(dim):
            hidden[0, c] += syn0[r, c]
    return b - a


@njit(inline="always", fastmath=True)
def _spread(syn0, sub_ptr, sub_ids, w, neu1e):
    # Add the error in full to every input row of word w.
    dim = syn0.shape[1]
    for q in range(sub_ptr[w], sub_ptr[w + 1]):
        r = sub_ids[q]
        for c in range(dim):
            syn0[r, c] += neu1e[c]


@njit(nogil=True, cache=True)
def row_drift(sub_ptr, sub_ids):
    """Per word, how far its composed vector moves when the same error is added to each of its rows:
    1 for distinct rows; a row listed k times moves k times and weighs k times in the mean, so
    (sum over rows of their multiplicities) / n_rows. Computed once per vocabulary, not per centre word."""
    out = np.ones(len(sub_ptr) - 1, dtype=np.float32)
    for w in range(len(sub_ptr) - 1):
        a, b = sub_ptr[w], sub_ptr[w + 1]
        same = 0
        for q in range(a, b):
            for q2 in range(a, b):
                same += sub_ids[q] == sub_ids[q2]
        if b > a:
            out[w] = np.float32(same / (b - a))
    return out


@njit(nogil=True, fastmath=True, cache=True)
def sg_centre(syn0, syn1, sub_ptr, sub_ids, center, contexts, targets, per_pair, state, alias_prob, alias_idx,
              alpha, grads, hidden, neu1e, step, drift):
    """Skip-gram with subwords for one centre word, with fastText's result: each context word is
    predicted from the composed vector (the mean of the centre's rows) as it stands after the
    previous contexts' errors (``targets[1:]`` the noise words: drawn once for all contexts, or
    afresh per context with ``per_pair``). fastText adds each error to the rows and averages them
    again; here the rows are read once and written once, by the summed error, and the composed
    vector follows each error by ``drift`` times it (the centre's entry of :func:`row_drift`).
    Returns ``(nll, n_pairs, state)``."""
    dim = syn0.shape[1]
    n = _gather(syn0, sub_ptr, sub_ids, center, hidden, False)
    inv = np.float32(1.0 / n)
    for c in range(dim):
        hidden[0, c] *= inv
    neu1e[:] = 0.0
    nll = 0.0
    pairs = 0
    negative = targets.shape[0] - 1
    for j in range(contexts.shape[0]):
        t = contexts[j]
        targets[0] = t
        if per_pair or j == 0:
            for d in range(1, negative + 1):
                state = _next(state)
                targets[d] = _draw(state, alias_prob, alias_idx)
        step[:] = 0.0
        loss, q = _predict(syn1, t, hidden, 0, targets, alpha, grads, step)
        nll += loss
        pairs += q
        for c in range(dim):
            neu1e[c] += step[c]
            hidden[0, c] += drift * step[c]
    _spread(syn0, sub_ptr, sub_ids, center, neu1e)
    return nll, pairs, state


@njit(nogil=True, fastmath=True, cache=True)
def cbow_centre(syn0, syn1, sub_ptr, sub_ids, center, contexts, targets, alpha, grads, hidden, neu1e):
    """CBOW with subwords: the mean of every input row of every context word predicts the targets
    (``targets[0]`` the centre word); the error goes in full to each of those rows."""
    dim = syn0.shape[1]
    hidden[0, :] = 0.0
    n = 0
    for j in range(contexts.shape[0]):
        n += _gather(syn0, sub_ptr, sub_ids, contexts[j], hidden, True)
    inv = np.float32(1.0 / n)
    for c in range(dim):
        hidden[0, c] *= inv
    neu1e[:] = 0.0
    nll, pairs = _predict(syn1, center, hidden, 0, targets, alpha, grads, neu1e)
    for j in range(contexts.shape[0]):
        _spread(syn0, sub_ptr, sub_ids, contexts[j], neu1e)
    return nll, pairs


@njit(nogil=True, fastmath=True, cache=True)
def train_job(
    syn0, syn1, sub_ptr, sub_ids, drift, ids, starts, s0, s1, keep_prob, alias_prob, alias_idx,
    window, negative, cbow, shared_negatives, alpha, min_alpha, words_before, total_words, seed,
):
    """:func:`w2v.kernels.train_job` with subword input vectors (same arguments plus the CSR rows
    ``sub_ptr``/``sub_ids`` and their :func:`row_drift`; ``syn0`` holds word rows then bucket rows). Returns
    ``(nll_sum, n_pairs, words_done, words_trained)``."""
    state = _bits(np.uint64(seed) + _GOLDEN)
    buf, contexts, targets, grads, hidden, neu1e = job_buffers(starts, s0, s1, window, negative, syn0.shape[1])
    step = np.zeros(syn0.shape[1], dtype=np.float32)
    nll = 0.0
    pairs = 0
    words_done = 0
    trained = 0
    for s in range(s0, s1):
        n, state, lr, length = next_sentence(ids, starts, s, keep_prob, buf, state, words_before + words_done,
                                             total_words, alpha, min_alpha)
        words_done += length
        trained += n
        for i in range(n):
            center = buf[i]
            state = _next(state)
            reduced = window - _below(state, window)  # 1 .. window
            m = 0
            for j in range(max(0, i - reduced), min(n, i + reduced + 1)):
                if j != i:
                    contexts[m] = buf[j]
                    m += 1
            if m == 0:
                continue
            if cbow:
                targets[0] = center
                for d in range(1, negative + 1):
                    state = _next(state)
                    targets[d] = _draw(state, alias_prob, alias_idx)
                loss, q = cbow_centre(syn0, syn1, sub_ptr, sub_ids, center, contexts[:m], targets, lr, grads,
                                      hidden, neu1e)
            else:
                loss, q, state = sg_centre(syn0, syn1, sub_ptr, sub_ids, center, contexts[:m], targets,
                                           not shared_negatives, state, alias_prob, alias_idx, lr, grads,
                                           hidden, neu1e, step, drift[center])
            nll += loss
            pairs += q
    return nll, pairs, words_done, trained


@njit(nogil=True, fastmath=True, cache=True)
def eval_loss(syn0, syn1, sub_ptr, sub_ids, ids, starts, keep_prob, alias_prob, alias_idx, window, negative,
              cbow, seed):
    """Mean loss per (word, target) pair of the held-out sentences with frozen tables, scored as
    :func:`train_job` would train them (one set of noise words per centre word)."""
    dim = syn0.shape[1]
    state = _bits(np.uint64(seed) + _GOLDEN)
    buf, _, targets, grads, hidden, _ = job_buffers(starts, 0, starts.shape[0] - 1, window, negative, dim)
    nll = 0.0
    pairs = 0
    for s in range(starts.shape[0] - 1):
        n, state = _subsample(ids, starts[s], starts[s + 1], keep_prob, buf, state)
        for i in range(n):
            state = _next(state)
            reduced = window - _below(state, window)
            lo, hi = max(0, i - reduced), min(n, i + reduced + 1)
            if hi - lo <= 1:
                continue
            for d in range(1, negative + 1):
                state = _next(state)
                targets[d] = _draw(state, alias_prob, alias_idx)
            if cbow:
                hidden[0, :] = 0.0
                rows = 0
                for j in range(lo, hi):
                    if j != i:
                        rows += _gather(syn0, sub_ptr, sub_ids, buf[j], hidden, True)
                targets[0] = buf[i]
                inv = np.float32(1.0 / rows)
                for c in range(dim):
                    hidden[0, c] *= inv
                loss, q = _score(syn1, buf[i], hidden, 0, targets, 0.0, grads)
                nll += loss
                pairs += q
            else:
                rows = _gather(syn0, sub_ptr, sub_ids, buf[i], hidden, False)
                inv = np.float32(1.0 / rows)
                for c in range(dim):
                    hidden[0, c] *= inv
                for j in range(lo, hi):
                    if j != i:
                        targets[0] = buf[j]
                        loss, q = _score(syn1, buf[j], hidden, 0, targets, 0.0, grads)
                        nll += loss
                        pairs += q
    return nll / max(pairs, 1)
