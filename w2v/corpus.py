"""Read a text corpus as a stream of token pieces, in bounded memory.

A corpus is a file, a directory of files (recursively, sorted by path) or ``-`` for stdin;
plain, ``.gz``, ``.bz2`` or ``.xz``. One sentence a line, tokens split on whitespace (or by a
named tokenizer of :mod:`w2v.tokenize`, applied to each line).
Lines may be of any length (text8 is one 100 MB line): the reader works on fixed-size
blocks cut at whitespace, so it never holds a whole huge line. Invalid UTF-8 is replaced
by U+FFFD and counted, never fatal.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import tokenize as tokenizers
from .errors import W2VError

BLOCK_SIZE = 1 << 20  # bytes read at a time
_WHITESPACE = b" \t\n\r\x0b\x0c"


@dataclass
class ReadStats:
    """What the reader saw: files, bytes, lines and invalid UTF-8 sequences replaced."""

    files: int = 0
    bytes: int = 0
    lines: int = 0
    invalid_utf8: int = 0


def list_files(corpus: str | os.PathLike) -> list[Path]:
    """Resolve ``corpus`` to the files to read: the file itself, a directory's files
    (recursively, sorted, hidden files skipped) or ``[Path("-")]`` for stdin."""
    if str(corpus) == "-":
        return [Path("-")]
    path = Path(corpus)
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not files:
            raise W2VError(f"corpus directory {path} contains no files")
        return files
    if not path.exists():
        raise W2VError(f"corpus not found: {path} (give a text file, a directory of files, or - for stdin)")
    if not path.is_file():
        raise W2VError(f"corpus {path} is not a regular file or directory")
    return [path]


def _open(path: Path) -> BinaryIO:
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        suffix = path.suffix.lower()
        if suffix == ".gz":
            return gzip.open(path, "rb")
        if suffix == ".bz2":
            return bz2.open(path, "rb")
        if suffix == ".xz":
            return lzma.open(path, "rb")
        return open(path, "rb")
    except OSError as exc:
        raise W2VError(f"cannot read corpus file {path}: {exc.strerror or exc}") from None


def _decode(data: bytes, stats: ReadStats) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        stats.invalid_utf8 += text.count("\ufffd") - data.count("\ufffd".encode())
        return text


def iter_blocks(path: Path, stats: ReadStats, block_size: int = BLOCK_SIZE,
                start: int = 0, end: int | None = None) -> Iterator[str]:
    """Yield decoded text blocks of ``path``, each cut just after a whitespace byte, so no
    token (and no UTF-8 sequence) straddles two blocks.

    ``start`` and ``end`` read only that byte range of a plain file (see :func:`cut_points`)."""

    fh = _open(path)
    carry = b""
    first = start == 0
    left = end - start if end is not None else None
    try:
        if start:
            fh.seek(start)
        while True:
            try:
                raw = fh.read(block_size if left is None else min(block_size, left))
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise W2VError(f"cannot read corpus file {path}: {exc} (corrupt or truncated?)") from None
            if left is not None:
                left -= len(raw)
            if first:
                first = False
                if b"\x00" in raw[:8192]:
                    raise W2VError(f"{path} looks like a binary file (NUL bytes); give a UTF-8 text corpus")
            stats.bytes += len(raw)
            if not raw:
                break
            data = carry + raw
            cut = max(data.rfind(c) for c in _WHITESPACE) + 1
            if cut == 0:  # no whitespace in the block: a monstrous token; cut it anyway if too long
                if len(data) < 4 * block_size:
                    carry = data
                    continue
                cut = len(data)
            carry = data[cut:]
            yield _decode(data[:cut], stats)
        if carry:
            yield _decode(carry, stats)
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def is_plain(path: Path) -> bool:
    """Whether ``path`` can be read at any byte offset (not stdin, not compressed)."""
    return str(path) != "-" and path.suffix.lower() not in (".gz", ".bz2", ".xz")


def cut_points(path: Path, n: int) -> list[int]:
    """Byte offsets that cut a plain file into ``n`` ranges of about equal size, each cut just
    after a whitespace byte (so no token and no UTF-8 sequence is split): ``[0, ..., size]``.
    Ranges may be empty (a file shorter than ``n`` cuts, or one long token)."""
    size = path.stat().st_size
    cuts = [0]
    with open(path, "rb") as fh:
        for k in range(1, n):
            pos = max(cuts[-1], size * k // n)
            fh.seek(pos)
            while pos < size:
                data = fh.read(1 << 16)
                hits = [i for i in (data.find(c) for c in _WHITESPACE) if i >= 0]
                if hits:
                    pos += min(hits) + 1
                    break
                pos += len(data)
            cuts.append(min(pos, size))
    cuts.append(size)
    return cuts


def iter_pieces(
    corpus: str | os.PathLike,
    lowercase: bool = False,
    stats: ReadStats | None = None,
    block_size: int = BLOCK_SIZE,
    tokenize: str = tokenizers.DEFAULT,
) -> Iterator[tuple[list[str], bool]]:
    """Yield ``(tokens, ends_line)`` pieces of the corpus in order.

    Concatenating the pieces up to one with ``ends_line=True`` gives one line's tokens;
    a long line arrives as several pieces. Each file ends a line. Pass a
    :class:`ReadStats` to learn what was read (e.g. how many invalid UTF-8 sequences).
    ``tokenize`` names the tokenizer (:data:`w2v.tokenize.TOKENIZERS`); blocks are cut at
    whitespace, which none of them lets a token span.
    """
    stats = stats if stats is not None else ReadStats()
    split = tokenizers.get(tokenize)
    for path in list_files(corpus):
        stats.files += 1
        for block in iter_blocks(path, stats, block_size):
            if lowercase:
                block = block.lower()
            lines = block.split("\n")
            stats.lines += len(lines) - 1
            for line in lines[:-1]:
                yield split(line), True
            if lines[-1]:
                yield split(lines[-1]), False
        yield [], True


def iter_sentences(
    corpus: str | os.PathLike,
    lowercase: bool = False,
    max_sentence_length: int = 10_000,
    stats: ReadStats | None = None,
    tokenize: str = tokenizers.DEFAULT,
) -> Iterator[list[str]]:
    """Yield sentences (lists of tokens): one per line, long lines cut into chunks of at
    most ``max_sentence_length`` tokens (as word2vec does). Empty lines are skipped."""
    buf: list[str] = []
    for tokens, ends_line in iter_pieces(corpus, lowercase, stats, tokenize=tokenize):
        buf.extend(tokens)
        while len(buf) >= max_sentence_length:
            yield buf[:max_sentence_length]
            buf = buf[max_sentence_length:]
        if ends_line and buf:
            yield buf
            buf = []
