"""Compiled bigram counting and phrase joining over an int32 id stream (word2phrase's hot loops).

A bigram ``(a, b)`` of a stream over ``n_words`` ids is the int64 key ``a * n_words + b``. Counting
uses an open-addressing table of rows (key, count) cut into buckets, fed a chunk of keys at a time
sorted by bucket (cache-friendly); when it is 70 % full and may not grow, entries seen at most ``level``
times are dropped and ``level`` grows by one — word2phrase's ``ReduceVocab`` — so memory is bounded and,
after a prune, counts are approximate (lower bounds). Several threads count one stream at once
without sharing a table: the threads first scan consecutive pieces of the stream, dealing each piece's
keys into parts by the top bits of their hash (:func:`bigram_keys`), then thread *p* counts part *p*
of every piece into its own table (:func:`sort_keys`, :func:`count_sorted`; growing and pruning,
:func:`rehash`, are driven from Python); the parts are disjoint and need no merge.
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


@njit(inline="always")
def bucket_bits(rows):
    """Buckets of 4,096 rows (64 KiB, cache-sized), at most 4,096 of them, at least one."""
    bits = 0
    while (rows >> (bits + 13)) > 0 and bits < 12:
        bits += 1
    return bits


@njit(inline="always")
def _slot(h, bucket_bits, local_mask):
    """Row of hash ``h``: bits 8.. choose one of ``2**bucket_bits`` buckets (equal runs of rows), the
    bits above them the row in the bucket; probing stays in the bucket."""
    bucket = (h >> np.uint64(8)) & np.uint64((1 << bucket_bits) - 1)
    return bucket, (h >> np.uint64(8 + bucket_bits)) & local_mask


@njit(inline="always")
def _put(table, key, add, bucket_bits):
    """Add ``add`` to the count of ``key`` (inserting it). Returns ``(1 if the key is new else 0, bucket)``."""
    local_mask = np.uint64((table.shape[0] >> bucket_bits) - 1)
    bucket, k = _slot(_hash(key), bucket_bits, local_mask)
    base = bucket * (local_mask + np.uint64(1))
    while True:
        r = base + k
        if table[r, 0] == key:
            table[r, 1] += add
            return 0, bucket
        if table[r, 0] == EMPTY:
            table[r, 0] = key
            table[r, 1] = add
            return 1, bucket
        k = (k + np.uint64(1)) & local_mask


@njit(nogil=True, cache=True)
def rehash(old, table, min_keep, bucket_used):
    """Move the entries of ``old`` counted at least ``min_keep`` times into the empty ``table``;
    ``bucket_used[b]`` becomes the entries of bucket ``b``."""
    bits = bucket_bits(table.shape[0])
    bucket_used[:] = 0
    for j in range(old.shape[0]):
        if old[j, 0] != EMPTY and old[j, 1] >= min_keep:
            new, bucket = _put(table, old[j, 0], old[j, 1], bits)
            bucket_used[bucket] += new


@njit(nogil=True, cache=True)
def new_table(rows):
    """An empty counting table of ``rows`` rows (a power of two) of ``(key, count)``. (Made in compiled
    code: numpy would ask for huge pages, whose zeroing and compaction cost more here than they save.)"""
    table = np.empty((rows, 2), dtype=np.int64)
    table[:, 0] = EMPTY
    table[:, 1] = 0
    return table


@njit(nogil=True, cache=True)
def entries(table):
    """The entries of a counting table: ``(keys, counts)`` in row order."""
    n = 0
    for r in range(table.shape[0]):
        n += table[r, 0] != EMPTY
    keys = np.empty(n, dtype=np.int64)
    counts = np.empty(n, dtype=np.int64)
    m = 0
    for r in range(table.shape[0]):
        if table[r, 0] != EMPTY:
            keys[m] = table[r, 0]
            counts[m] = table[r, 1]
            m += 1
    return keys, counts


@njit(nogil=True, cache=True)
def bigram_keys(ids, starts, eligible, n_words, lo, hi, keys, fill):
    """The keys of the bigrams ``(ids[i-1], ids[i])``, ``lo <= i < hi``, that do not cross a sentence start
    (``starts``: sorted, ``0`` first) and whose both ids are ``eligible``, dealt into ``parts =
    keys.shape[0]`` parts by the top bits of their hash: part *p* gets ``keys[p, :fill[p]]``. (One scan of
    the stream serves every counting thread; the parts are disjoint, so their tables need no merge.)"""
    parts = np.uint64(keys.shape[0])
    fill[:] = 0
    n_starts = starts.shape[0]
    s = np.searchsorted(starts, max(lo, 1))
    for i in range(max(lo, 1), hi):
        while s < n_starts and starts[s] < i:
            s += 1
        if s < n_starts and starts[s] == i:
            continue  # i begins a sentence: the pair crosses a boundary
        a = ids[i - 1]
        b = ids[i]
        if not (eligible[a] and eligible[b]):
            continue
        key = np.int64(a) * n_words + b
        p = ((_hash(key) >> np.uint64(48)) * parts) >> np.uint64(16)  # top bits: apart from the table's bits
        keys[p, fill[p]] = key
        fill[p] += 1


@njit(nogil=True, cache=True)
def sort_keys(keys, bucket_bits, bucket_of, ordered, fill):
    """``ordered[:len(keys)]`` = ``keys`` sorted by table bucket (a counting sort; ``bucket_of``, ``fill``:
    scratch of ``len(keys)`` and 4,097), so that counting them touches one small bucket at a time (it
    stays in cache) rather than the whole table at random."""
    bmask = np.uint64((1 << bucket_bits) - 1)
    fill[:] = 0
    for j in range(keys.shape[0]):
        q = np.int32((_hash(keys[j]) >> np.uint64(8)) & bmask)
        bucket_of[j] = q
        fill[q + 1] += 1
    for q in range(1 << bucket_bits):
        fill[q + 1] += fill[q]
    for j in range(keys.shape[0]):
        q = bucket_of[j]
        ordered[fill[q]] = keys[j]
        fill[q] += 1


@njit(nogil=True, cache=True)
def count_sorted(table, bucket_used, keys, first):
    """Add one to the count of each of ``keys[first:]`` in ``table`` (rows ``(key, count)``, key ``-1`` =
    empty, in buckets of 4,096 rows; probing stays in the bucket). Stops after the key that fills a
    bucket to 70 % (the hash spreads keys evenly, so the table is about as full). Returns ``(the index of
    the next key to count, whether it stopped because the table is full)``."""
    bits = bucket_bits(table.shape[0])
    limit = int((table.shape[0] >> bits) * 0.7)
    for j in range(first, keys.shape[0]):
        new, bucket = _put(table, keys[j], 1, bits)
        bucket_used[bucket] += new
        if bucket_used[bucket] > limit:
            return j + 1, True
    return keys.shape[0], False


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
def join_pairs(ids, starts, lo, hi, n_words, is_left, keys, vals, out, out_starts):
    """Greedy left-to-right joining (word2phrase's and gensim's rule) of the tokens ``ids[lo:hi]``: a token
    and the next one of the same sentence become the phrase ``vals[key]`` when their bigram is in the
    table (``keys``); a joined token never joins again in this pass. ``is_left[w]``: whether word ``w``
    begins any phrase (most tokens do not, and skip the table). No phrase may cross ``lo`` or ``hi``
    (each is a sentence start, the stream's end, or follows a token that begins no phrase), so that ranges
    can be joined at once. Writes the joined tokens to ``out[lo:]`` and, for each sentence *s* that starts
    in the range, ``out_starts[s]`` (its position in ``out``). Returns the end of the output (``<= hi``)."""
    mask = np.uint64(keys.shape[0] - 1)
    last = starts.shape[0] - 1  # starts[last] is the stream's end, not a sentence
    s = np.searchsorted(starts, lo)
    m = lo
    have_prev = False
    prev = 0
    for i in range(lo, hi):
        while s < last and starts[s] == i:  # (several starts at i: empty sentences)
            out_starts[s] = m
            s += 1
            have_prev = False
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
    return m


@njit(nogil=True, cache=True)
def render(ids, ends, arena, offsets, buf, first):
    """Write the tokens ``ids[first:]`` as UTF-8 text into ``buf``: each word (bytes
    ``arena[offsets[w]:offsets[w+1]]``) followed by a newline where ``ends`` is true (a sentence ends) and a
    space otherwise, stopping before the first token ``buf`` cannot hold. Returns ``(bytes written, next
    token)`` so that one buffer, reused, writes any stream (it must hold the longest word and a byte)."""
    pos = 0
    cap = buf.shape[0]
    i = first
    n = ids.shape[0]
    while i < n:
        w = ids[i]
        lo = offsets[w]
        hi = offsets[w + 1]
        if pos + (hi - lo) + 1 > cap:
            break
        for j in range(lo, hi):
            buf[pos] = arena[j]
            pos += 1
        buf[pos] = 10 if ends[i] else 32
        pos += 1
        i += 1
    return pos, i


@njit(nogil=True, cache=True)
def text_bytes(ids, offsets):
    """Bytes of ``ids`` written as text by :func:`render` (each word and one separator)."""
    n = 0
    for i in range(ids.shape[0]):
        n += offsets[ids[i] + 1] - offsets[ids[i]] + 1
    return n

