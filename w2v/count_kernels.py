"""Compiled tokenizing and counting: UTF-8 bytes → provisional word ids, with a hash table.

:class:`TokenTable` gives every distinct token an id in order of first appearance, counts
tokens, and notes where lines end — about 30 ns a token, without a Python object per token.
Tokens are runs of bytes between whitespace; the caller maps every non-ASCII whitespace
character to a space first, so the tokens are exactly those of ``str.split()``.
"""

from __future__ import annotations

import re

import numpy as np
from numba import njit

# Bytes that str.split() treats as whitespace (\t \n \v \f \r, \x1c-\x1f, space).
_WS = np.zeros(256, dtype=np.bool_)
_WS[[c for c in range(128) if chr(c).isspace()]] = True
# Non-ASCII characters that str.split() treats as whitespace (Python 3.11: every c >= 128 with
# chr(c).isspace(); tests/test_count.py checks the list).
UNICODE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(nogil=True, cache=True)
def _encode(data, i, ws, slots, offsets, arena, counts, n_words, arena_len, ids, n_ids, line_ends, n_ends, base):
    """Tokenize ``data`` from byte ``i``: append the ids of its tokens to ``ids`` (from
    ``n_ids``) and, at each newline, the token offset ``base + n_ids`` to ``line_ends``. New
    words go to ``arena`` (bytes) and ``offsets``; ``slots`` is the open-addressing table
    (id + 1, 0 = empty), kept at most half full. Stops at the first token that needs more room
    than the arrays have. Returns (next byte, ids, line ends, words, arena bytes)."""
    mask = np.uint64(slots.shape[0] - 1)
    max_words = min(offsets.shape[0] - 1, counts.shape[0], slots.shape[0] // 2)
    n = data.shape[0]
    while i < n:
        c = data[i]
        if ws[c]:
            if c == 10:
                line_ends[n_ends] = base + n_ids
                n_ends += 1
            i += 1
            continue
        start = i
        h = _FNV_OFFSET
        while i < n and not ws[data[i]]:
            h = (h ^ np.uint64(data[i])) * _FNV_PRIME
            i += 1
        length = i - start
        k = h & mask
        while True:
            slot = slots[k]
            if slot == 0:  # a new word
                if n_words == max_words or arena_len + length > arena.shape[0]:
                    return start, n_ids, n_ends, n_words, arena_len  # the caller grows the arrays
                w = n_words
                n_words += 1
                slots[k] = w + 1
                for j in range(length):
                    arena[arena_len + j] = data[start + j]
                arena_len += length
                offsets[w + 1] = arena_len
                counts[w] = 0
                break
            w = slot - 1
            a = offsets[w]
            if offsets[w + 1] - a == length:
                same = True
                for j in range(length):
                    if arena[a + j] != data[start + j]:
                        same = False
                        break
                if same:
                    break
            k = (k + np.uint64(1)) & mask
        counts[w] += 1
        ids[n_ids] = w
        n_ids += 1
    return i, n_ids, n_ends, n_words, arena_len


@njit(nogil=True, cache=True)
def _rehash(slots, offsets, arena, n_words):
    mask = np.uint64(slots.shape[0] - 1)
    for w in range(n_words):
        h = _FNV_OFFSET
        for j in range(offsets[w], offsets[w + 1]):
            h = (h ^ np.uint64(arena[j])) * _FNV_PRIME
        k = h & mask
        while slots[k] != 0:
            k = (k + np.uint64(1)) & mask
        slots[k] = w + 1


def _grow(a: np.ndarray) -> np.ndarray:
    out = np.zeros(2 * len(a), dtype=a.dtype)
    out[:len(a)] = a
    return out


class TokenTable:
    """Words in order of first appearance, their counts, and the encoder that feeds them.

    Every array starts small and doubles when full, so memory follows the vocabulary."""

    def __init__(self) -> None:
        self.slots = np.zeros(1 << 12, dtype=np.int32)
        self.offsets = np.zeros(1 << 11, dtype=np.int64)
        self.arena = np.zeros(1 << 14, dtype=np.uint8)
        self.counts = np.zeros(1 << 11, dtype=np.int64)
        self.n_words = 0
        self.arena_len = 0

    def encode(self, text: str, base: int) -> tuple[np.ndarray, np.ndarray]:
        """The provisional ids of ``text``'s tokens, and the offsets (``base`` + tokens before)
        at which its newlines fall."""
        if not text.isascii():
            text = UNICODE_SPACE.sub(" ", text)
        data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
        return self.encode_bytes(data, base, text.count("\n"))

    def encode_bytes(self, data: np.ndarray, base: int = 0, newlines: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`encode` of UTF-8 bytes that hold ``newlines`` newlines and no non-ASCII whitespace."""
        ids = np.empty(len(data) // 2 + 1, dtype=np.int32)
        ends = np.empty(newlines, dtype=np.int64)
        i = n_ids = n_ends = 0
        while True:
            i, n_ids, n_ends, self.n_words, self.arena_len = _encode(
                data, i, _WS, self.slots, self.offsets, self.arena, self.counts, self.n_words, self.arena_len,
                ids, n_ids, ends, n_ends, base)
            if i >= len(data):
                return ids[:n_ids].copy() if n_ids < len(ids) // 2 else ids[:n_ids], ends
            if self.arena_len + (len(data) - i) > len(self.arena):  # the token did not fit: room for it
                self.arena = _grow(self.arena)
                continue
            self.offsets, self.counts = _grow(self.offsets), _grow(self.counts)
            if 2 * len(self.counts) > len(self.slots):
                self.slots = np.zeros(2 * len(self.counts), dtype=np.int32)
                _rehash(self.slots, self.offsets, self.arena, self.n_words)

    def word_counts(self) -> np.ndarray:
        """How often each word was seen, in id order."""
        return self.counts[:self.n_words]

    def joined(self) -> np.ndarray:
        """Every word in id order, as UTF-8 bytes separated by spaces."""
        off = self.offsets[1:self.n_words]
        return np.insert(self.arena[:self.arena_len], off, np.uint8(32))

    def words(self, ids: np.ndarray | None = None) -> list[str]:
        """The words with these ids (default: all, in order of first appearance)."""
        raw = self.arena[:self.arena_len].tobytes()
        if ids is None:
            ids = np.arange(self.n_words)
        a, b = self.offsets[ids].tolist(), self.offsets[np.asarray(ids) + 1].tolist()
        return [raw[x:y].decode("utf-8", "surrogatepass") for x, y in zip(a, b)]
