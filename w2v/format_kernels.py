"""Compiled scanning of word2vec binary files and parsing of word2vec / GloVe text rows (numba), for
:mod:`w2v.formats`.

Python's ``float()`` was ~90 % of the time of reading a text table (a 2M x 300 fastText ``.vec`` or GloVe
file is 600M numbers). :func:`parse_lines` reads the plain decimal numbers such files hold and gives
exactly what ``float()`` then a float32 cast would: a number is read only when Clinger's fast path makes
that one correctly rounded IEEE operation (at most 19 significant digits whose value is at most 2**53,
times or divided by a power of ten up to 10**22, both exact doubles). Anything else (more digits,
larger exponents, ``nan``, ``inf``, ``1_000``, tabs) makes the call report the row, and the caller reads
that block with ``float()`` as before, so every file reads exactly as it did.

:func:`scan_binary` finds the entries of a word2vec binary file (word, space, ``4 * dim`` bytes, an optional
newline) and :func:`gather_rows` copies their vectors into the table; a Python loop per entry had been ~70 %
of reading one.

Sees only numpy arrays and scalars; imports nothing of w2v.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_POW10 = np.array([10.0**k for k in range(23)])  # 1e0 .. 1e22: exact doubles
_EXACT = 2**53  # integers up to here are exact doubles
_SPACE, _NEWLINE, _DOT, _MINUS, _PLUS, _ZERO, _NINE = 32, 10, 46, 45, 43, 48, 57


@njit(inline="always")
def _number(buf, pos, size):
    """The number at ``buf[pos:]`` as ``(value, end)``, or ``(0.0, -1)`` when it is not a plain decimal number
    that Clinger's fast path reads exactly."""
    neg = False
    if pos < size and (buf[pos] == _MINUS or buf[pos] == _PLUS):
        neg = buf[pos] == _MINUS
        pos += 1
    mant = np.uint64(0)
    digits = 0  # significant digits in mant
    exp10 = 0
    seen = False
    fraction = False  # past the decimal point: each digit divides by ten
    while pos < size:
        c = buf[pos]
        if _ZERO <= c <= _NINE:
            seen = True
            d = c - _ZERO
            if mant != 0 or d != 0:
                if digits == 19:
                    return 0.0, -1
                mant = mant * np.uint64(10) + np.uint64(d)
                digits += 1
            if fraction:
                exp10 -= 1
        elif c == _DOT and not fraction:
            fraction = True
        else:
            break
        pos += 1
    if not seen:
        return 0.0, -1
    if pos < size and (buf[pos] == 101 or buf[pos] == 69):  # e, E
        pos += 1
        eneg = False
        if pos < size and (buf[pos] == _MINUS or buf[pos] == _PLUS):
            eneg = buf[pos] == _MINUS
            pos += 1
        e = 0
        eseen = False
        while pos < size and _ZERO <= buf[pos] <= _NINE:
            eseen = True
            if e < 100_000:
                e = e * 10 + (buf[pos] - _ZERO)
            pos += 1
        if not eseen:
            return 0.0, -1
        exp10 += -e if eneg else e
    if mant == 0:
        value = 0.0
    elif mant > np.uint64(_EXACT) or exp10 < -22 or exp10 > 22:
        return 0.0, -1
    elif exp10 >= 0:
        value = float(mant) * _POW10[exp10]
    else:
        value = float(mant) / _POW10[-exp10]
    return (-value if neg else value), pos


@njit(nogil=True, cache=True)
def parse_lines(buf, n, dim, out, word_start, word_end):
    """Parse ``n`` lines ``word v1 ... vdim`` from ``buf`` (uint8, each line ended by a newline; the word runs to
    the first space, the numbers are separated by one space, ASCII whitespace may end a line) into ``out[:n]``
    (float32), and where each line's word starts and ends in ``buf`` into ``word_start``/``word_end``. Returns -1
    when every line was read exactly, else the index of the first line that was not (the outputs are then partly
    written)."""
    size = buf.shape[0]
    pos = 0
    for i in range(n):
        start = pos
        while pos < size and buf[pos] != _SPACE and buf[pos] != _NEWLINE:
            pos += 1
        if pos >= size or buf[pos] != _SPACE or pos == start:
            return i
        word_start[i] = start
        word_end[i] = pos
        pos += 1
        for j in range(dim):
            value, pos = _number(buf, pos, size)
            if pos < 0:
                return i
            out[i, j] = np.float32(value)
            if j < dim - 1:
                if pos >= size or buf[pos] != _SPACE:
                    return i
                pos += 1
        while pos < size and (buf[pos] == _SPACE or buf[pos] == 9 or buf[pos] == 13 or buf[pos] == 11
                              or buf[pos] == 12):
            pos += 1
        if pos >= size or buf[pos] != _NEWLINE:
            return i
        pos += 1
    return -1


@njit(nogil=True, cache=True)
def scan_binary(buf, pos, n, dim, max_word, word_start, word_end):
    """Walk ``n`` word2vec binary entries of ``buf`` (uint8) from byte ``pos``: newlines before an entry are
    skipped, the word runs to the first space (found within ``max_word`` bytes), ``4 * dim`` bytes of vector
    follow. Fills ``word_start``/``word_end``; returns ``(entries found, byte after the last)``, or stops at the
    first entry with no space in reach or too few bytes left and returns ``(its index, its start)`` (the
    caller's entry-by-entry reader then says what is wrong)."""
    size = buf.shape[0]
    nbytes = 4 * dim
    for i in range(n):
        while pos < size and buf[pos] == _NEWLINE:
            pos += 1
        start = pos
        limit = min(size, pos + max_word)
        while pos < limit and buf[pos] != _SPACE:
            pos += 1
        if pos >= limit or pos + 1 + nbytes > size:
            return i, start
        word_start[i] = start
        word_end[i] = pos
        pos += 1 + nbytes
    return n, pos


@njit(nogil=True, cache=True)
def gather_rows(buf, word_end, n, out):
    """Copy the vector bytes after each of the first ``n`` words (``word_end[i] + 1`` onward) into row ``i`` of
    ``out`` (uint8, ``(rows, 4 * dim)``: the float32 table's bytes, little-endian as the file's)."""
    width = out.shape[1]
    for i in range(n):
        off = word_end[i] + 1
        for b in range(width):
            out[i, b] = buf[off + b]
