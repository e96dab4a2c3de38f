"""Compiled bigram counting and phrase joining over an int32 id stream (word2phrase's hot loops).

A bigram ``(a, b)`` of a stream over ``n_words`` ids is the int64 key ``a * n_words + b``. Counting
uses an open-addressing table of rows (key, count): when it is 70 % full, entries seen at
most ``min_reduce`` times are dropped and ``min_reduce`` grows by one — word2phrase's ``ReduceVocab``
— so memory is bounded and, after a prune, counts are approximate (lower bounds). Several threads
count one stream at once without sharing anything: thread *t* keeps only the keys whose hash falls in
its part (``hash % parts == t``), so the parts are disjoint and need no merge.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MIX = np.uint64(0x9E3779B97F4A7C15)
EMPTY = np.int64(-1)


@njit(inline="always")
def _hash(key):
    h = np.uint64(key) * _MIX
    return h ^ (h >> np.uint64(29))


@njit(nogil=True, cache=True)
def count_bigrams(ids, starts, eligible, n_words, part, parts, table, i, used, prunes, level, can_grow):
    """Count the bigrams ``(ids[i-1], ids[i])`` from position ``i`` on that do not cross a sentence start
    (``starts``: sorted, ``0`` first) and whose both ids are ``eligible``, keeping those of hash part
    ``part`` of ``parts`` in ``table`` (rows ``(key, count)``, key ``-1`` = empty; a power-of-two number
    of rows: a key and its count share a cache line, so a hit costs one memory access). When the table is
    70 % full it returns so that the caller can grow it (``can_grow``), or prunes it (word2phrase's rule,
    next ``level``). Returns ``(next i, entries, prunes, level)``; ``next i == len(ids)`` when done."""
    mask = np.uint64(table.shape[0] - 1)
    limit = int(table.shape[0] * 0.7)
    n = ids.shape[0]
    n_starts = starts.shape[0]
    parts_u = np.uint64(parts)
    part_u = np.uint64(part)
    s = np.searchsorted(starts, i)
    while i < n:
        while s < n_starts and starts[s] < i:
            s += 1
        a = ids[i - 1]
        b = ids[i]
        i += 1
        if s < n_starts and starts[s] == i - 1:
            continue  # i - 1 begins a sentence: the pair crosses a boundary
        if not (eligible[a] and eligible[b]):
            continue
        key = np.int64(a) * n_words + b
        h = _hash(key)
        if h % parts_u != part_u:
            continue
        k = (h >> np.uint64(8)) & mask
        while True:
            if table[k, 0] == key:
                table[k, 1] += 1
                break
            if table[k, 0] == EMPTY:
                table[k, 0] = key
                table[k, 1] = 1
                used += 1
                break
            k = (k + np.uint64(1)) & mask
        if used > limit:
            if can_grow:
                return i, used, prunes, level
            level += 1
            used = _prune_part(table, level)
            prunes += 1
    return i, used, prunes, level


@njit(nogil=True, cache=True)
def _reinsert(old, table, min_keep):
    mask = np.uint64(table.shape[0] - 1)
    used = 0
    for j in range(old.shape[0]):
        if old[j, 0] != EMPTY and old[j, 1] >= min_keep:
            k = (_hash(old[j, 0]) >> np.uint64(8)) & mask
            while table[k, 0] != EMPTY:
                k = (k + np.uint64(1)) & mask
            table[k, 0] = old[j, 0]
            table[k, 1] = old[j, 1]
            used += 1
    return used


def new_table(size: int) -> np.ndarray:
    """An empty counting table of ``size`` (a power of two) rows ``(key, count)``."""
    table = np.zeros((size, 2), dtype=np.int64)
    table[:, 0] = EMPTY
    return table


def grow_table(table: np.ndarray, size: int) -> np.ndarray:
    """A counting table of ``size`` rows holding the entries of ``table``."""
    new = new_table(size)
    _reinsert(table, new, 1)
    return new


@njit(nogil=True, cache=True)
def _prune_part(table, min_reduce):
    """Drop the entries counted at most ``min_reduce`` times and re-insert the rest. Returns the entries left."""
    old = table.copy()
    table[:, 0] = EMPTY
    table[:, 1] = 0
    return _reinsert(old, table, min_reduce + 1)


@njit(nogil=True, cache=True)
def build_lookup(pair_keys, values, size):
    """An open-addressing table (size a power of two) mapping each bigram key to its value."""
    keys = np.full(size, EMPTY, dtype=np.int64)
    vals = np.zeros(size, dtype=np.int32)
    mask = np.uint64(size - 1)
    for j in range(pair_keys.shape[0]):
        k = _hash(pair_keys[j]) & mask
        while keys[k] != EMPTY and keys[k] != pair_keys[j]:
            k = (k + np.uint64(1)) & mask
        keys[k] = pair_keys[j]
        vals[k] = values[j]
    return keys, vals


@njit(nogil=True, cache=True)
def join_pairs(ids, starts, n_words, is_left, keys, vals, out, out_starts):
    """Greedy left-to-right joining (word2phrase's and gensim's rule): a token and the next one of the
    same sentence become the phrase ``vals[key]`` when their bigram is in the table (``keys``); a joined
    token never joins again in this pass. ``is_left[w]``: whether word ``w`` begins any phrase (most tokens
    do not, and skip the table). Writes the new stream to ``out`` and the sentence starts to
    ``out_starts`` (same length as ``starts``). Returns the length of the new stream."""
    mask = np.uint64(keys.shape[0] - 1)
    m = 0
    n_starts = starts.shape[0]
    for s in range(n_starts - 1):
        out_starts[s] = m
        have_prev = False
        prev = 0
        for i in range(starts[s], starts[s + 1]):
            t = ids[i]
            if have_prev and is_left[prev]:
                key = np.int64(prev) * n_words + t
                k = _hash(key) & mask
                found = -1
                while keys[k] != EMPTY:
                    if keys[k] == key:
                        found = vals[k]
                        break
                    k = (k + np.uint64(1)) & mask
                if found >= 0:
                    out[m - 1] = found
                    have_prev = False
                    continue
            out[m] = t
            m += 1
            prev = t
            have_prev = True
    out_starts[n_starts - 1] = m
    return m


@njit(nogil=True, cache=True)
def render(ids, ends, arena, offsets, buf):
    """Write the tokens ``ids`` as UTF-8 text into ``buf``: each word (bytes ``arena[offsets[w]:offsets[w+1]]``)
    followed by a newline where ``ends`` is true (a sentence ends) and a space otherwise. Returns the bytes
    written (``buf`` must hold them all)."""
    pos = 0
    for i in range(ids.shape[0]):
        w = ids[i]
        for j in range(offsets[w], offsets[w + 1]):
            buf[pos] = arena[j]
            pos += 1
        buf[pos] = 10 if ends[i] else 32
        pos += 1
    return pos
