"""The compiled hot loop: SGNS and CBOW updates over int32 word ids (numba, no GIL).

This module sees only numpy arrays and scalars and imports nothing of w2v. Worker threads
call :func:`train_job` on disjoint slices of sentences and update the shared tables in
place without locks (Hogwild), as word2vec and gensim do.

Semantics follow word2vec's C code: subsampling with its keep probability, a reduced
window drawn uniformly from ``1..window`` per centre word, skip-gram predicting the centre
word from each context word's input vector, CBOW from the mean of the context vectors
(the error is added in full to each context vector), noise words drawn from unigram^0.75.
The sigmoid and the loss are computed exactly (no lookup table and no clipping), and the
loss is the true negative log-likelihood of every (word, target) pair, summed in float64.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(inline="always")
def _next(state):
    # splitmix64: a Weyl sequence through a mixer; every output bit is good, 3 multiplies.
    return state + _GOLDEN


@njit(inline="always")
def _bits(state):
    z = state
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def _uniform(state):
    # A float in [0, 1) from 53 random bits.
    return (_bits(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


#: The generator's public face for other compiled code (w2v.cooc draws its subsampling with it).
GOLDEN = _GOLDEN
uniform = _uniform


@njit(inline="always")
def _below(state, n):
    # An integer in [0, n) from the high 32 bits (multiply-shift, no division).
    return np.int64(((_bits(state) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(inline="always")
def _draw(state, alias_prob, alias_idx):
    # One draw from the noise distribution with Walker's alias method: O(1), 2 arrays of V.
    z = _bits(state)
    k = np.int64(((z >> np.uint64(32)) * np.uint64(alias_prob.shape[0])) >> np.uint64(32))
    if (z & np.uint64(0xFFFFFFFF)) * (1.0 / 4294967296.0) < alias_prob[k]:
        return k
    return np.int64(alias_idx[k])


@njit(inline="always", fastmath=True)
def _log1p_unit(e):
    # log1p(e) for e in [0, 1] as e * q(e), q a degree-8 least-squares fit of log1p(e) / e at
    # Chebyshev nodes: relative error under 3.1e-8 on the whole interval (so exact for tiny e too).
    # Nine independent-of-data FMAs pipeline across pairs; the 4097-point table it replaces (a
    # float->int conversion and two dependent loads per pair) made the loss cost 20 % of skip-gram's
    # arithmetic (benchmarks/RESULTS.md, issue 20).
    q = 0.005253457797985584
    q = q * e - 0.029588507397970067
    q = q * e + 0.07836166802902211
    q = q * e - 0.13674769706570364
    q = q * e + 0.1911143108113822
    q = q * e - 0.24844369892621015
    q = q * e + 0.33319271342518864
    q = q * e - 0.49999501516787487
    q = q * e + 0.9999999705406563
    return e * q


@njit(inline="always", fastmath=True)
def _sigmoid_nll(f, label):
    """sigmoid(f) and the negative log-likelihood of ``label`` (1 or 0) under it, stably:
    with e = exp(-|f|), -log sigmoid(f) = log1p(e) + max(-f, 0)."""
    if f >= 0.0:
        e = math.exp(-f)
        soft = _log1p_unit(e)  # -log sigmoid(f)
        s = 1.0 / (1.0 + e)
        return s, soft if label else soft + f
    e = math.exp(f)
    soft = _log1p_unit(e)  # -log(1 - sigmoid(f))
    s = e / (1.0 + e)
    return s, soft - f if label else soft


@njit(nogil=True, cache=True)
def learning_rate(words_done, total_words, alpha, min_alpha):
    """Linear decay from ``alpha`` to ``min_alpha`` over ``total_words`` (all epochs)."""
    progress = min(1.0, words_done / max(1.0, float(total_words)))
    return alpha - (alpha - min_alpha) * progress


# Rows are addressed as table[row, c] rather than through row views: a view costs two
# atomic reference-count updates on the shared table, which threads then fight over.


@njit(inline="always", fastmath=True)
def _score(syn1, center, hidden, h, targets, alpha, grads):
    """The loss of ``hidden[h]`` against every target (``targets[0]`` label 1, the others 0; a noise
    word equal to the centre is skipped), and each target's step ``alpha * (label - sigmoid)`` in
    ``grads`` (0 for a skipped one); no table moves. Returns ``(nll, n_pairs)``."""
    dim = hidden.shape[1]
    nll = 0.0
    pairs = 0
    for d in range(targets.shape[0]):
        t = targets[d]
        if d > 0 and t == center:
            grads[d] = 0.0
            continue
        f = np.float32(0.0)
        for c in range(dim):
            f += hidden[h, c] * syn1[t, c]
        s, loss = _sigmoid_nll(f, 1 if d == 0 else 0)
        grads[d] = np.float32(alpha * ((1.0 if d == 0 else 0.0) - s))
        nll += loss
        pairs += 1
    return nll, pairs


@njit(inline="always", fastmath=True)
def _predict(syn1, center, hidden, h, targets, alpha, grads, neu1e):
    """Score ``hidden[h]`` against every target, then update: ``targets[0]`` is the centre
    word (label 1), the others noise words (label 0; a noise word equal to the centre is
    skipped). All scores are taken before any output row moves, so the targets' updates
    are independent (word2vec applies them one after another; the two differ only when a
    noise word is drawn twice). Adds ``g * syn1[t]`` to ``neu1e`` and ``g * hidden[h]`` to
    ``syn1[t]``. Returns ``(nll, n_pairs)``."""
    dim = neu1e.shape[0]
    nll, pairs = _score(syn1, center, hidden, h, targets, alpha, grads)
    for d in range(targets.shape[0]):
        g = grads[d]
        if g != 0.0:
            t = targets[d]
            for c in range(dim):
                neu1e[c] += g * syn1[t, c]
            for c in range(dim):
                syn1[t, c] += g * hidden[h, c]
    return nll, pairs


# The window updates below are compiled into train_job (inline="always"), not called: a call of a
# compiled function increfs and decrefs each array argument's meminfo on entry and exit, 14 atomic
# (lock-prefixed) instructions per centre word, each of which drains the store buffer behind the
# row updates just made (benchmarks/RESULTS.md, issue 20). sg_window and cbow_window are the same
# code as callable functions (tests, other callers).


@njit(inline="always", fastmath=True)
def _sg_window(syn0, syn1, center, contexts, m, targets, alpha, grads, neu1e, frozen):
    # sg_window on contexts[:m]
    nll = 0.0
    pairs = 0
    for j in range(m):
        w = contexts[j]
        neu1e[:] = 0.0
        loss, q = _predict(syn1, center, syn0, w, targets, alpha, grads, neu1e)
        nll += loss
        pairs += q
        if w >= frozen:
            for c in range(neu1e.shape[0]):
                syn0[w, c] += neu1e[c]
    return nll, pairs


@njit(nogil=True, fastmath=True, cache=True)
def sg_window(syn0, syn1, center, contexts, targets, alpha, grads, neu1e, frozen=0):
    """Skip-gram update of one centre word: each context word's input vector predicts the
    targets (``targets[0]`` the centre word, the rest noise words), and moves by the summed
    error. The same targets serve every context word given. Input rows below ``frozen`` do not
    move (the output rows do). Returns ``(nll, n_pairs)``."""
    return _sg_window(syn0, syn1, center, contexts, contexts.shape[0], targets, alpha, grads, neu1e, frozen)


@njit(inline="always", fastmath=True)
def _cbow_window(syn0, syn1, center, contexts, m, targets, alpha, grads, hidden, neu1e, frozen):
    # cbow_window on contexts[:m]
    dim = neu1e.shape[0]
    if m == 0:
        return 0.0, 0
    hidden[:] = 0.0
    neu1e[:] = 0.0
    for j in range(m):
        w = contexts[j]
        for c in range(dim):
            hidden[0, c] += syn0[w, c]
    inv = np.float32(1.0 / m)
    for c in range(dim):
        hidden[0, c] *= inv
    nll, pairs = _predict(syn1, center, hidden, 0, targets, alpha, grads, neu1e)
    for j in range(m):
        w = contexts[j]
        if w >= frozen:
            for c in range(dim):
                syn0[w, c] += neu1e[c]
    return nll, pairs


@njit(nogil=True, fastmath=True, cache=True)
def cbow_window(syn0, syn1, center, contexts, targets, alpha, grads, hidden, neu1e, frozen=0):
    """CBOW update: the mean of the context vectors predicts the targets; the error is
    added in full to every context vector (but those of rows below ``frozen``), as in word2vec.
    ``hidden`` is a (1, dim) work array. Returns ``(nll, n_pairs)``."""
    return _cbow_window(syn0, syn1, center, contexts, contexts.shape[0], targets, alpha, grads, hidden, neu1e, frozen)


@intrinsic
def _prefetch(typingctx, table, row, col):
    """Ask the CPU to bring the cache line of ``table[row, col]`` in, for writing (LLVM's prefetch:
    no fault, no wait). numba has no prefetch of its own."""
    sig = types.void(table, row, col)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        r = context.cast(builder, args[1], signature.args[1], types.intp)
        c = context.cast(builder, args[2], signature.args[2], types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [r, c])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [cgutils.voidptr_t, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # (address, 1 = for a write, 3 = keep in all cache levels, 1 = data)
        builder.call(fn, [builder.bitcast(ptr, cgutils.voidptr_t), i32(1), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(inline="always")
def _prefetch_row(table, row):
    # Every cache line of a row: one address per 64 bytes from its start (a 400-byte row spans 7 lines
    # whatever its alignment, and 7 addresses 64 bytes apart from its first float cover them).
    for c in range(0, table.shape[1], 16):
        _prefetch(table, row, c)


@njit(inline="always")
def _draw_ahead(state, window, negative, alias_prob, alias_idx, targets):
    """The next centre word's reduced window and noise words, in the order train_job has always drawn
    them (so the stream is unchanged, only drawn one centre word early). Returns ``(reduced, state)``."""
    state = _next(state)
    reduced = window - _below(state, window)  # 1 .. window
    for d in range(1, negative + 1):
        state = _next(state)
        targets[d] = _draw(state, alias_prob, alias_idx)
    return reduced, state


@njit(inline="always")
def _subsample(ids, a, b, keep_prob, buf, state):
    """Copy the words of ``ids[a:b]`` that word2vec's subsampling keeps into ``buf``; returns
    ``(how many, the generator's new state)``."""
    n = 0
    for k in range(a, b):
        w = ids[k]
        p = keep_prob[w]
        if p < 1.0:
            state = _next(state)
            if p < _uniform(state):
                continue
        buf[n] = w
        n += 1
    return n, state


@njit(nogil=True, cache=True)
def job_buffers(starts, s0, s1, window, negative, dim):
    """Scratch of one job over sentences ``s0 .. s1-1``: the subsampled words of its longest sentence, a
    window's contexts, the targets (centre word and noise words) and their gradient steps, CBOW's hidden
    vector and the input-side error."""
    max_len = 0
    for s in range(s0, s1):
        max_len = max(max_len, starts[s + 1] - starts[s])
    return (np.empty(max_len, dtype=np.int32), np.empty(2 * window, dtype=np.int32),
            np.empty(negative + 1, dtype=np.int32), np.zeros(negative + 1, dtype=np.float32),
            np.zeros((1, dim), dtype=np.float32), np.zeros(dim, dtype=np.float32))


@njit(nogil=True, cache=True)
def next_sentence(ids, starts, s, keep_prob, buf, state, words_before, total_words, alpha, min_alpha):
    """Sentence ``s`` subsampled into ``buf``, with the learning rate after ``words_before`` corpus words of
    the schedule. Returns ``(words kept, generator state, learning rate, the sentence's length)``."""
    lr = learning_rate(words_before, total_words, alpha, min_alpha)
    n, state = _subsample(ids, starts[s], starts[s + 1], keep_prob, buf, state)
    return n, state, lr, starts[s + 1] - starts[s]


@njit(nogil=True, fastmath=True, cache=True)
def train_job(
    syn0, syn1, ids, starts, s0, s1, keep_prob, alias_prob, alias_idx,
    window, negative, cbow, shared_negatives, alpha, min_alpha, words_before, total_words, seed, frozen=0,
):
    """Train on sentences ``s0 .. s1-1`` of the encoded corpus (in place, Hogwild).

    ``words_before`` is how many corpus words the schedule counts before this job (it sets
    the learning rate); ``seed`` seeds this job's generator, so a job's updates depend only
    on its inputs. With ``shared_negatives`` skip-gram draws one set of noise words per
    centre word instead of one per (centre, context) pair (Ji et al. 2016). Input rows below
    ``frozen`` are read but never written (``--freeze-old``; 0: all rows train). Returns
    ``(nll_sum, n_pairs, words_done, words_trained)``.
    """
    state = _bits(np.uint64(seed) + _GOLDEN)
    buf, contexts, targets, grads, hidden, neu1e = job_buffers(starts, s0, s1, window, negative, syn0.shape[1])
    ahead = np.empty(negative + 1, dtype=np.int32)  # the next centre word's noise words
    nll = 0.0
    pairs = 0
    words_done = 0
    trained = 0
    for s in range(s0, s1):
        n, state, lr, length = next_sentence(ids, starts, s, keep_prob, buf, state, words_before + words_done,
                                             total_words, alpha, min_alpha)
        words_done += length
        trained += n
        if not (cbow or shared_negatives):
            # word2vec's per-pair noise words: a fresh set for each (centre, context) pair.
            for i in range(n):
                center = buf[i]
                state = _next(state)
                reduced = window - _below(state, window)  # 1 .. window
                lo, hi = max(0, i - reduced), min(n, i + reduced + 1)
                targets[0] = center
                for j in range(lo, hi):
                    if j != i:
                        for d in range(1, negative + 1):
                            state = _next(state)
                            targets[d] = _draw(state, alias_prob, alias_idx)
                        contexts[0] = buf[j]
                        loss, q = _sg_window(syn0, syn1, center, contexts, 1, targets, lr, grads, neu1e, frozen)
                        nll += loss
                        pairs += q
            continue
        if n <= 1:  # no context: a lone word's reduced window is drawn (and wasted), no noise words
            if n == 1:
                state = _next(state)
            continue
        # One set of noise words per centre word. The rows a centre word will touch are random
        # across two 27 MB tables (text8): each centre word's window and noise words are drawn one
        # centre word early and their rows prefetched, so the loads overlap the current word's
        # arithmetic instead of stalling it (benchmarks/RESULTS.md, issue 20).
        reduced, state = _draw_ahead(state, window, negative, alias_prob, alias_idx, ahead)
        for i in range(n):
            center = buf[i]
            r = reduced
            for d in range(1, negative + 1):
                targets[d] = ahead[d]
            if i + 1 < n:
                reduced, state = _draw_ahead(state, window, negative, alias_prob, alias_idx, ahead)
                _prefetch_row(syn1, buf[i + 1])
                for d in range(1, negative + 1):
                    _prefetch_row(syn1, ahead[d])
                # the input rows entering the window (those up to i + r were touched just now)
                for j in range(i + r + 1, min(n, i + 2 + reduced)):
                    _prefetch_row(syn0, buf[j])
            m = 0
            for j in range(max(0, i - r), min(n, i + r + 1)):
                if j != i:
                    contexts[m] = buf[j]
                    m += 1
            targets[0] = center
            if cbow:
                loss, q = _cbow_window(syn0, syn1, center, contexts, m, targets, lr, grads, hidden, neu1e, frozen)
            else:
                loss, q = _sg_window(syn0, syn1, center, contexts, m, targets, lr, grads, neu1e, frozen)
            nll += loss
            pairs += q
    return nll, pairs, words_done, trained


@njit(nogil=True, fastmath=True, cache=True)
def eval_loss(syn0, syn1, ids, starts, keep_prob, alias_prob, alias_idx, window, negative, cbow, seed):
    """Mean loss per (word, target) pair of the sentences ``starts`` of ``ids`` with frozen
    tables: the pairs, noise words and subsampling that :func:`train_job` would draw from
    ``seed`` (one set of noise words per centre word), scored without any update. The same
    seed gives the same pairs every time, so the numbers of two epochs are comparable."""
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
            targets[0] = buf[i]
            for d in range(1, negative + 1):
                state = _next(state)
                targets[d] = _draw(state, alias_prob, alias_idx)
            if cbow:
                hidden[0, :] = 0.0
                for j in range(lo, hi):
                    if j != i:
                        for c in range(dim):
                            hidden[0, c] += syn0[buf[j], c]
                inv = np.float32(1.0 / (hi - lo - 1))
                for c in range(dim):
                    hidden[0, c] *= inv
                loss, q = _score(syn1, buf[i], hidden, 0, targets, 0.0, grads)
                nll += loss
                pairs += q
            else:
                for j in range(lo, hi):
                    if j != i:
                        loss, q = _score(syn1, buf[i], syn0, buf[j], targets, 0.0, grads)
                        nll += loss
                        pairs += q
    return nll / max(pairs, 1)


@njit(nogil=True, cache=True)
def build_alias(probs):
    """Walker/Vose alias table for sampling index *i* with probability ``probs[i]``.

    Returns ``(prob float64[V], alias int32[V])``: draw k uniformly, keep it with
    probability ``prob[k]``, else take ``alias[k]``.
    """
    n = probs.shape[0]
    scaled = probs * (n / probs.sum())
    prob = np.ones(n, dtype=np.float64)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        ns, nl = _file(i, scaled, small, large, ns, nl)
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        nl -= 1
        g = large[nl]
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = (scaled[g] + scaled[s]) - 1.0
        ns, nl = _file(g, scaled, small, large, ns, nl)
    return prob, alias


@njit(inline="always")
def _file(i, scaled, small, large, ns, nl):
    # Put index i on the "small" (probability below 1) or the "large" stack; returns the new heights.
    if scaled[i] < 1.0:
        small[ns] = i
        return ns + 1, nl
    large[nl] = i
    return ns, nl + 1


@njit(nogil=True, cache=True)
def sample_noise(alias_prob, alias_idx, n, seed):
    """``n`` draws from the noise distribution with the same generator training uses."""
    state = _bits(np.uint64(seed) + _GOLDEN)
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        state = _next(state)
        out[i] = _draw(state, alias_prob, alias_idx)
    return out
