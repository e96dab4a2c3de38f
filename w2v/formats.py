"""Read and write word vectors in the word2vec text/binary formats and read GloVe text files.

word2vec text: a ``V dim`` header line, then ``word v1 ... vdim`` per line.
word2vec binary: the same header line, then per word ``word`` + a space + ``dim`` little-endian
float32; word2vec C ends each entry with ``\\n``, gensim does not. The reader accepts both.
GloVe text: like word2vec text without the header.

Output is byte-identical to gensim's ``save_word2vec_format`` (default) or to word2vec C
(``c_style=True``: binary entries end with a newline, text values are ``%lf`` with a trailing space).
Malformed input (wrong counts, truncated binary, bad numbers, duplicate words) raises
:class:`~w2v.errors.W2VError` naming the line or byte offset; nothing is loaded partially. gzip-, bzip2- and
xz-compressed files are read through (known by their first bytes) and written for ``NAME.bin.gz`` and the like.
Large files are scanned and their numbers parsed in compiled code (:mod:`w2v.format_kernels`), with the same
results and the same errors as the line-by-line readers here.

Command line: ``python -m w2v.formats SRC DST`` converts between a w2v model directory and
word2vec text/binary files (and reads GloVe); ``--to projector`` writes the files TensorFlow's
Embedding Projector loads (:func:`write_projector`).
"""

from __future__ import annotations

import argparse
import bz2
import codecs
import gzip
import itertools
import json
import lzma
import mmap
import os
import sys
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .cli import add_quiet, parser, run_cli
from .errors import W2VError
from .fasttext_bin import is_fasttext_bin, read_fasttext_bin
from .outdir import atomic_path, check_output_dir, save_text
from .safety import check_finite_rows, check_memory, check_not_input, check_regular, probe_writable, remove_stale
from .vectors import Vectors

PathLike = str | os.PathLike
_MAX_WORD_BYTES = 1 << 16  # a longer "word" in a binary file means the file is damaged
_BLOCK_LINES = 4096  # text rows parsed at a time
_COMPILED_BYTES = 16 << 20  # text tables from this size parse their numbers in compiled code (w2v.format_kernels)
_ASCII_COMPATIBLE = {"utf-8", "ascii", "iso8859-1", "iso8859-15", "cp1252"}  # a space byte is a space


#: Compressed tables (GoogleNews-vectors-negative300.bin.gz, fastText's cc.*.vec.gz), known by their first bytes.
_COMPRESSED = {b"\x1f\x8b": ("gzip", gzip.open), b"BZh": ("bzip2", bz2.open), b"\xfd7zXZ\x00": ("xz", lzma.open)}
_WRITE_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_DECOMPRESS_ERRORS = (EOFError, OSError, lzma.LZMAError, zlib.error)


def _compression(path: Path) -> tuple[str, Callable] | None:
    """``(name, opener)`` when ``path`` is gzip-, bzip2- or xz-compressed (by its magic bytes), else ``None``."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except OSError:
        return None  # the reader says what is wrong
    return next((kind for prefix, kind in _COMPRESSED.items() if magic.startswith(prefix)), None)


def _open_table(path: Path) -> tuple[BinaryIO, bool]:
    """``path`` opened for reading bytes, decompressed on the fly when it is compressed; and whether it is."""
    kind = _compression(path)
    return (kind[1](path, "rb") if kind else open(path, "rb")), kind is not None


def _compiled(path: Path, compressed: bool) -> bool:
    """Whether a text table is large enough for the compiled parser (a compressed one by ~4x its size)."""
    return path.stat().st_size * (4 if compressed else 1) >= _COMPILED_BYTES


def _damaged(path: Path, exc: BaseException) -> W2VError:
    kind = _compression(path)
    return W2VError(f"{path}: cannot decompress ({kind[0] if kind else 'compressed'} file damaged or truncated): "
                    f"{exc}")


def _open_error(path: Path) -> W2VError:
    if path.is_dir():
        return W2VError(f"{path} is a directory; expected a word-vector file")
    return W2VError(f"word-vector file not found: {path}")


def _parse_header(line: bytes, path: Path) -> tuple[int, int]:
    parts = line.split()
    try:
        if len(parts) != 2:
            raise ValueError
        n, dim = int(parts[0]), int(parts[1])
        if n < 0 or dim < 1:
            raise ValueError
    except ValueError:
        raise W2VError(
            f"{path}, line 1: expected a word2vec header 'VOCAB_SIZE DIM', got {line[:80]!r}"
            " (a GloVe file has no header: use read_glove)"
        ) from None
    return n, dim


def _check_declared(n: int, dim: int, size: int | None, per_value: int, path: Path) -> None:
    """Refuse a header whose promise the file cannot hold (``size``: its bytes; ``None`` for a compressed file,
    which only the memory check applies to), before allocating ``n x dim`` floats."""
    least = n * (per_value * dim + 2)  # a word of at least one byte and a separator, and the values
    # small shortfalls get the reader's exact message
    if size is not None and least > size and n * dim * 4 > 4 * size + (1 << 26):
        raise W2VError(f"{path}, line 1: the header promises {n:,} vectors of {dim:,} values (at least {least:,} "
                       f"bytes) but the file has {size:,} bytes; damaged header or not a word2vec file")
    check_memory(n * dim * 4, f"{n:,} x {dim:,} float32 vectors from {path}")


def _looks_binary(first_entry: bytes, dim: int) -> bool:
    """True unless the bytes after the header read as one text line of a word and ``dim`` numbers."""
    line = first_entry.split(b"\n", 1)[0]
    try:
        parts = line.decode("utf-8").rstrip().split(" ")
        if len(parts) != dim + 1:
            return True
        [float(x) for x in parts[1:]]
    except (UnicodeDecodeError, ValueError):
        return True
    return False


def is_binary_word2vec(path: PathLike) -> bool:
    """Guess whether a word2vec file (with header) is binary, from its first entry."""
    path = Path(path)
    try:
        with _open_table(path)[0] as fh:
            header = fh.readline()
            sample = fh.read(_MAX_WORD_BYTES)
    except (FileNotFoundError, IsADirectoryError):
        raise _open_error(path) from None
    except _DECOMPRESS_ERRORS as exc:
        raise _damaged(path, exc) from None
    _, dim = _parse_header(header, path)
    return _looks_binary(sample, dim)


def read_word2vec(
    path: PathLike, binary: bool | None = None, encoding: str = "utf-8", unicode_errors: str = "strict"
) -> tuple[np.ndarray, list[str]]:
    """Read a word2vec text or binary file.

    Parameters
    ----------
    path : path
        The file; gzip-, bzip2- or xz-compressed files (known by their first bytes) are read through.
    binary : bool, optional
        Format; ``None`` detects it from the first entry.
    encoding, unicode_errors : str
        How words are decoded (``unicode_errors="replace"`` helps with files from word2vec C, which
        may cut long words inside a multi-byte character).

    Returns
    -------
    (matrix, words) : (numpy.ndarray, list of str)
        ``(V, dim)`` float32 matrix and the words in file order.
    """
    path = Path(path)
    check_regular(path, "a word2vec file")
    if binary is None:
        binary = is_binary_word2vec(path)
    reader = _read_binary if binary else _read_text
    try:
        matrix, words = reader(path, encoding, unicode_errors)
    except (FileNotFoundError, IsADirectoryError):
        raise _open_error(path) from None
    except _DECOMPRESS_ERRORS as exc:
        if _compression(path) is None:
            raise
        raise _damaged(path, exc) from None
    check_finite_rows(matrix, words, str(path))
    return matrix, words


def _add_word(index: dict[str, int], word: str, where: str, path: Path) -> None:
    if not word:
        raise W2VError(f"{path}, {where}: empty word")
    if word in index:
        raise W2VError(f"{path}, {where}: duplicate word {word!r} (first seen as entry {index[word] + 1})")
    index[word] = len(index)


def _decode(raw: bytes, encoding: str, errors: str, path: Path, where: str) -> str:
    try:
        return raw.decode(encoding, errors)
    except UnicodeDecodeError:
        raise W2VError(
            f"{path}, {where}: word is not valid {encoding}: {raw[:60]!r} (not a vector file, or one whose words "
            "were cut inside a character: `python -m w2v.formats FILE --out DIR --unicode-errors replace` makes a "
            "model directory of it that every w2v command takes; w2v.load(path, unicode_errors='replace') reads it)"
        ) from None


def _fast_rows(lines: list[bytes], dim: int | None, encoding: str) -> tuple[list[bytes], np.ndarray] | None:
    """The words (undecoded) and float32 rows of ``lines`` when every one is ``word v1 ... vdim`` with single
    spaces and plain decimal numbers, parsed in compiled code exactly as ``float()`` would
    (:mod:`w2v.format_kernels`); ``None`` otherwise, and the caller's line-by-line reader, which says what is
    wrong where (or reads the odd line: a word with spaces, ``nan``, a 20-digit number), takes the block."""
    if dim is None or codecs.lookup(encoding).name not in _ASCII_COMPATIBLE:
        return None
    raw = b"".join(lines)
    if not raw.endswith(b"\n"):
        raw += b"\n"
    rows = np.empty((len(lines), dim), dtype=np.float32)
    starts, ends = np.empty(len(lines), dtype=np.int64), np.empty(len(lines), dtype=np.int64)
    from . import format_kernels  # numba: only for files large enough to pay for it

    if format_kernels.parse_lines(np.frombuffer(raw, dtype=np.uint8), len(lines), dim, rows, starts, ends) != -1:
        return None
    return [raw[start:end] for start, end in zip(starts.tolist(), ends.tolist())], rows


def _read_text(path: Path, encoding: str, errors: str) -> tuple[np.ndarray, list[str]]:
    fh, compressed = _open_table(path)
    with fh:
        n, dim = _parse_header(fh.readline(), path)
        _check_declared(n, dim, None if compressed else path.stat().st_size, 2, path)
        matrix = np.empty((n, dim), dtype=np.float32)
        index: dict[str, int] = {}
        compiled = _compiled(path, compressed)
        for i0 in range(0, n, _BLOCK_LINES):
            lines = [fh.readline() for _ in range(min(_BLOCK_LINES, n - i0))]
            fast = _fast_rows(lines, dim, encoding) if compiled and all(lines) else None
            if fast is not None:
                for j, raw in enumerate(fast[0]):
                    where = f"line {i0 + j + 2}"
                    _add_word(index, _decode(raw, encoding, errors, path, where), where, path)
                matrix[i0:i0 + len(lines)] = fast[1]
                continue
            for j, line in enumerate(lines):  # line by line: what is wrong, and where
                i, lineno = i0 + j, i0 + j + 2
                if not line:
                    raise W2VError(f"{path}, line {lineno}: file ends after {i} vectors but the header promises {n}")
                parts = _decode(line, encoding, errors, path, f"line {lineno}").rstrip().split(" ")
                if len(parts) != dim + 1:
                    raise W2VError(
                        f"{path}, line {lineno}: expected a word and {dim} numbers, found {len(parts) - 1} numbers"
                    )
                _add_word(index, parts[0], f"line {lineno}", path)
                try:
                    matrix[i] = [float(x) for x in parts[1:]]
                except ValueError as exc:
                    raise W2VError(f"{path}, line {lineno}: bad number for {parts[0]!r}: {exc}") from None
        lineno = n + 1
        for line in fh:
            lineno += 1
            if line.strip():
                raise W2VError(f"{path}, line {lineno}: more vectors than the {n} the header promises")
    return matrix, list(index)


def _read_binary(path: Path, encoding: str, errors: str) -> tuple[np.ndarray, list[str]]:
    fh, compressed = _open_table(path)
    with fh:
        if compressed:  # decompressed into memory whole: the entries are read from one buffer
            data = fh.read()
            if not data:
                raise W2VError(f"{path}: empty file")
            return _parse_binary(data, len(data), path, encoding, errors)
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise W2VError(f"{path}: empty file")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _parse_binary(mm, size, path, encoding, errors)


def _parse_binary(mm: mmap.mmap | bytes, size: int, path: Path, encoding: str,
                  errors: str) -> tuple[np.ndarray, list[str]]:
    """The entries of a word2vec binary file held in ``mm`` (the file mapped, or decompressed)."""
    eol = mm.find(b"\n", 0, 4096)
    if eol < 0:
        raise W2VError(f"{path}, line 1: no header line 'VOCAB_SIZE DIM' in the first 4096 bytes")
    n, dim = _parse_header(mm[:eol], path)
    _check_declared(n, dim, size, 4, path)  # size: of the decompressed bytes when compressed
    nbytes = 4 * dim
    matrix = np.empty((n, dim), dtype=np.float32)
    index: dict[str, int] = {}
    pos, first = eol + 1, 0
    if size >= _COMPILED_BYTES and sys.byteorder == "little":
        first, pos = _scan_binary(mm, pos, n, dim, matrix, index, path, encoding, errors)
    for i in range(first, n):  # entry by entry (a small file, or from where the scan stopped: what is wrong)
        while pos < size and mm[pos] == 0x0A:  # word2vec C ends each entry with "\n"
            pos += 1
        space = mm.find(b" ", pos, pos + _MAX_WORD_BYTES)
        if space < 0:
            raise W2VError(
                f"{path}, byte offset {pos}: entry {i + 1} of {n} has no space-terminated word"
                f" ({'end of file' if pos >= size else 'damaged file'}; is the header count right?)"
            )
        where = f"byte offset {pos}"
        word = _decode(mm[pos:space], encoding, errors, path, where)
        if space + 1 + nbytes > size:
            raise W2VError(
                f"{path}: truncated at byte offset {space + 1}: entry {i + 1} of {n} ({word!r}) needs"
                f" {nbytes} bytes of float32, only {size - space - 1} left"
            )
        _add_word(index, word, where, path)
        matrix[i] = np.frombuffer(mm, dtype="<f4", count=dim, offset=space + 1)
        pos = space + 1 + nbytes
    rest = mm[pos:]
    if rest.strip(b"\n"):
        raise W2VError(
            f"{path}, byte offset {pos}: {len(rest)} bytes after the {n} vectors the header promises"
            " (wrong count in the header, or not a binary file?)"
        )
    return matrix, list(index)


def _scan_binary(mm: mmap.mmap, pos: int, n: int, dim: int, matrix: np.ndarray, index: dict[str, int], path: Path,
                 encoding: str, errors: str) -> tuple[int, int]:
    """Read the entries of a word2vec binary file from byte ``pos`` with :mod:`w2v.format_kernels` (the words
    decoded and indexed here, in order, so errors come as the entry-by-entry reader would raise them) until the
    first one that is not whole; returns ``(entries read, byte after them)``."""
    from . import format_kernels  # numba: only for files large enough to pay for it

    buf = np.frombuffer(mm, dtype=np.uint8)
    try:
        starts, ends = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        found, pos = format_kernels.scan_binary(buf, pos, n, dim, _MAX_WORD_BYTES, starts, ends)
        spans = list(zip(starts[:found].tolist(), ends[:found].tolist()))
        if not _index_at_once(mm, spans, index, encoding, errors):
            for start, end in spans:  # word by word: the first bad word, and where
                where = f"byte offset {start}"
                _add_word(index, _decode(mm[start:end], encoding, errors, path, where), where, path)
        format_kernels.gather_rows(buf, ends, found, matrix.view(np.uint8))
    finally:
        del buf  # the mmap cannot close while an array holds its buffer
    return found, pos


def _index_at_once(mm: mmap.mmap | bytes, spans: list[tuple[int, int]], index: dict[str, int], encoding: str,
                   errors: str) -> bool:
    """Decode and index the words at ``spans`` in one go (one decode of them joined by newlines; a word per
    Python call had been most of a binary read); ``False``, with ``index`` untouched, when that cannot give what
    word-by-word indexing would (a word with a newline, a decoding error, an empty or repeated word): the
    caller then indexes word by word and raises the exact error."""
    if index or not spans or codecs.lookup(encoding).name not in _ASCII_COMPATIBLE:
        return False
    raw = b"\n".join([mm[start:end] for start, end in spans])
    if raw.count(b"\n") != len(spans) - 1:
        return False
    try:  # in these encodings only the newline byte decodes to a newline, so the split gives the words back
        words = raw.decode(encoding, errors).split("\n")
    except UnicodeDecodeError:
        return False
    found = dict(zip(words, range(len(words))))
    if len(found) != len(words) or "" in found:
        return False
    index.update(found)
    return True


def read_glove(path: PathLike, encoding: str = "utf-8", unicode_errors: str = "strict") -> tuple[np.ndarray, list[str]]:
    """Read a GloVe text file (``word v1 ... vdim`` lines, no header); dim comes from the first line
    (``encoding``, ``unicode_errors``: as :func:`read_word2vec`).

    Words containing spaces (present in some Common Crawl GloVe files) are kept whole: the last
    ``dim`` fields of a line are the numbers.
    """
    path = Path(path)
    check_regular(path, "a GloVe file")
    try:
        return _read_glove(path, encoding, unicode_errors)
    except _DECOMPRESS_ERRORS as exc:
        if isinstance(exc, FileNotFoundError | IsADirectoryError) or _compression(path) is None:
            raise
        raise _damaged(path, exc) from None


def _read_glove(path: Path, encoding: str, unicode_errors: str) -> tuple[np.ndarray, list[str]]:
    blocks: list[np.ndarray] = []
    index: dict[str, int] = {}
    dim = None
    try:
        fh, compressed = _open_table(path)
    except OSError:
        raise _open_error(path) from None
    with fh:
        lineno = 0
        compiled = _compiled(path, compressed)
        while lines := list(itertools.islice(fh, _BLOCK_LINES)):
            fast = _fast_rows(lines, dim, encoding) if compiled else None
            if fast is not None:
                for j, raw in enumerate(fast[0]):
                    where = f"line {lineno + j + 1}"
                    _add_word(index, _decode(raw, encoding, unicode_errors, path, where), where, path)
                blocks.append(fast[1])
                lineno += len(lines)
                continue
            rows: list[list[float]] = []
            for line in lines:  # line by line: blank lines, words with spaces, and what is wrong where
                lineno += 1
                parts = _decode(line, encoding, unicode_errors, path, f"line {lineno}").rstrip().split(" ")
                if parts == [""]:
                    continue
                if dim is None:
                    if len(parts) == 2 and all(p.isdigit() for p in parts):
                        raise W2VError(f"{path}, line {lineno}: {line.strip()[:40]!r} is a word2vec header "
                                       "'VOCAB_SIZE DIM', not a GloVe row; read the file as word2vec text "
                                       "(read_word2vec)")
                    dim = len(parts) - 1
                    if dim < 1:
                        raise W2VError(f"{path}, line {lineno}: expected 'word v1 ... vdim', got {line[:80]!r}")
                if len(parts) < dim + 1:
                    raise W2VError(f"{path}, line {lineno}: expected a word and {dim} numbers, found "
                                   f"{len(parts) - 1}")
                if len(parts) > dim + 1 and any(_is_number(x) for x in parts[1:-dim]):
                    raise W2VError(f"{path}, line {lineno}: {len(parts) - 1} numbers where line 1 has {dim} "
                                   f"(the word would be {' '.join(parts[:-dim])[:60]!r}); a damaged row, or a "
                                   "header line before the vectors?")
                word = " ".join(parts[:-dim])
                try:
                    rows.append([float(x) for x in parts[-dim:]])
                except ValueError as exc:
                    raise W2VError(f"{path}, line {lineno}: bad number for {word!r}: {exc}") from None
                _add_word(index, word, f"line {lineno}", path)
            if rows:
                blocks.append(np.array(rows, dtype=np.float32).reshape(-1, dim))
    if dim is None:
        raise W2VError(f"{path}: empty file, expected 'word v1 ... vdim' lines")
    matrix, words = np.concatenate(blocks) if blocks else np.empty((0, dim), np.float32), list(index)
    check_finite_rows(matrix, words, str(path))
    return matrix, words


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_word2vec(
    path: PathLike, matrix: np.ndarray, words: Sequence[str], binary: bool = False, c_style: bool = False
) -> None:
    """Write a word2vec text or binary file atomically (gzip-, bzip2- or xz-compressed when ``path`` ends in
    ``.gz``, ``.bz2`` or ``.xz``).

    The bytes equal gensim's ``save_word2vec_format`` (text values are the shortest float32 repr), or
    word2vec C's output with ``c_style=True`` (``%lf`` values each followed by a space; binary entries
    end with ``\\n``). Words must be non-empty and contain no whitespace.
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise W2VError(f"matrix of shape {matrix.shape} does not match {len(words)} words")
    for w in words:
        if not w or any(ch.isspace() for ch in w):
            raise W2VError(f"word {w!r} is empty or contains whitespace; the word2vec format cannot store it")
    check_finite_rows(matrix, list(words), f"vectors for {path}")
    opener = _WRITE_COMPRESSED.get(Path(path).suffix.lower(), open)
    with atomic_path(path) as tmp, opener(tmp, "wb") as out:
        out.write(f"{matrix.shape[0]} {matrix.shape[1]}\n".encode())
        end = b"\n" if c_style else b""
        for word, row in zip(words, matrix):
            if binary:
                out.write(word.encode("utf-8") + b" " + row.astype("<f4").tobytes() + end)
            elif c_style:
                out.write((word + " " + "".join(f"{v:f} " for v in row.tolist()) + "\n").encode("utf-8"))
            else:
                out.write((word + " " + " ".join(str(v) for v in row) + "\n").encode("utf-8"))


#: The files :func:`write_projector` writes (an output directory holding only these may be rewritten).
PROJECTOR_FILES = ("tensors.tsv", "metadata.tsv", "projector_config.pbtxt", "projector_config.json")
PROJECTOR_KIND = "an Embedding Projector export"


def write_projector(directory: PathLike, vectors: Vectors, force: bool = False) -> Path:
    """Write the table as TensorFlow Embedding Projector files into ``directory``; returns it.

    ``tensors.tsv`` (one row of tab-separated float32 values a word, each exact: ``%.9g``),
    ``metadata.tsv`` (a ``word<TAB>count`` header, then one line a word, same order), and the configs
    that point to them: ``projector_config.pbtxt`` (TensorBoard: ``tensorboard --logdir DIRECTORY``) and
    ``projector_config.json`` (a standalone projector); at projector.tensorflow.org use "Load" with the
    two TSV files. Each file is written atomically. The directory must be missing, empty or a previous
    export, unless ``force``; words holding a tab or a line break cannot be written to a TSV line.
    """
    directory = check_output_dir(directory, force, "--out", allowed=PROJECTOR_FILES, kind=PROJECTOR_KIND)
    check_finite_rows(vectors.matrix, vectors.words, f"vectors for {directory}")
    for w in vectors.words:
        if any(ch in w for ch in "\t\n\r"):
            raise W2VError(f"word {w!r} holds a tab or a line break; the projector's TSV files cannot store it")
    name = Path(os.path.abspath(directory)).name or "w2v"
    with atomic_path(directory / "tensors.tsv") as tmp:
        np.savetxt(tmp, np.asarray(vectors.matrix, dtype=np.float32), fmt="%.9g", delimiter="\t", encoding="utf-8")
    save_text(directory / "metadata.tsv",
              "word\tcount\n" + "".join(f"{w}\t{int(c)}\n" for w, c in zip(vectors.words, vectors.counts)))
    save_text(directory / "projector_config.pbtxt", "embeddings {\n  tensor_name: " + json.dumps(name)
              + '\n  tensor_path: "tensors.tsv"\n  metadata_path: "metadata.tsv"\n}\n')
    save_text(directory / "projector_config.json", json.dumps({"embeddings": [{
        "tensorName": name, "tensorShape": [len(vectors), vectors.dim], "tensorPath": "tensors.tsv",
        "metadataPath": "metadata.tsv"}]}, indent=2) + "\n")
    return directory


def read_vector_file(path: PathLike, binary: bool | None = None, context: bool = False,
                     unicode_errors: str = "strict") -> Vectors:
    """Read a fastText ``.bin`` model (with its n-gram table, :mod:`w2v.fasttext_bin`), a word2vec
    text/binary file (first line ``V dim``; ``binary=None`` detects which; fastText's ``.vec`` is word2vec
    text) or, for any other first line, a GloVe text file. Use :func:`load`, which also takes model directories."""
    path = Path(path)
    check_regular(path, "a word2vec, GloVe or fastText file")
    if is_fasttext_bin(path):
        return read_fasttext_bin(path, context=context)
    try:
        with _open_table(path)[0] as fh:
            first = fh.readline(4096)
    except (FileNotFoundError, IsADirectoryError):
        raise _open_error(path) from None
    except _DECOMPRESS_ERRORS as exc:
        raise _damaged(path, exc) from None
    parts = first.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        matrix, words = read_word2vec(path, binary=binary, unicode_errors=unicode_errors)
    else:
        matrix, words = read_glove(path, unicode_errors=unicode_errors)
    return Vectors(matrix, words, info={"source": str(path)})


def load(source, mmap: bool = False, context: bool = False, binary: bool | None = None,
         unicode_errors: str = "strict") -> Vectors:
    """The one loader: a :class:`Vectors` from whatever holds a table.

    ``source`` is a :class:`Vectors` (returned as it is), a w2v model directory, a word2vec text or
    binary file (``binary=None`` detects which), a GloVe text file (these three may be gzip-, bzip2- or
    xz-compressed), or a ``(matrix, words)`` pair.
    ``mmap`` memory-maps a model directory's table; ``context`` also loads its ``context.npy`` (a fastText
    ``.bin``'s output vectors). ``unicode_errors="replace"`` reads a word2vec or GloVe file whose words are not
    all valid UTF-8 (word2vec C cuts long words at a byte count, sometimes inside a character), each bad
    byte sequence becoming U+FFFD; the default refuses such a file.
    """
    if isinstance(source, Vectors):
        return source
    if isinstance(source, tuple) and len(source) == 2:
        return Vectors(source[0], source[1])
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"cannot load a table from {type(source).__name__}: give a path, a Vectors or (matrix, words)")
    path = Path(source)
    if not path.exists():
        remove_stale(path.absolute().parent)  # restores a model a killed writer had moved aside
    if path.is_dir():
        vec = Vectors.load(path, mmap=mmap, context=context)
        partial = vec.info.get("partial")
        if isinstance(partial, dict):  # usable, but say so: a stopped or checkpointed run
            print(f"warning: {path} holds a partial run ({partial.get('epochs_done')} of {vec.info.get('epochs')} "
                  f"epochs done; stopped by {partial.get('reason')}); finish it with: python -m w2v.train "
                  f"--resume {path}", file=sys.stderr)
        return vec
    if not path.exists():
        raise W2VError(f"no model directory or vector file at {path}")
    return read_vector_file(path, binary=binary, context=context, unicode_errors=unicode_errors)


def load_vectors(path: PathLike, binary: bool | None = None, mmap: bool = False) -> Vectors:
    """Deprecated name of :func:`load`."""
    return load(path, binary=binary, mmap=mmap)


def _format_from_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _WRITE_COMPRESSED:  # NAME.bin.gz, NAME.vec.xz ...: a compressed word2vec file
        inner = _format_from_suffix(path.with_suffix(""))
        if inner == "model":
            raise W2VError(f"--out {path}: a compressed output is a word2vec file: name it NAME.bin{suffix} or "
                           f"NAME.txt{suffix}")
        return inner
    return "binary" if suffix == ".bin" else "text" if suffix in (".txt", ".vec", ".w2v") else "model"


def save_vectors(vectors: Vectors, path: PathLike, fmt: str | None = None, c_style: bool = False,
                 force: bool = False) -> str:
    """Save to ``fmt`` = ``"model"`` (directory), ``"text"`` or ``"binary"`` (word2vec), or ``"projector"``
    (a directory of Embedding Projector files, :func:`write_projector`); returns the format.

    Without ``fmt``: ``.bin`` → binary, ``.txt``/``.vec``/``.w2v`` → text (either followed by ``.gz``, ``.bz2``
    or ``.xz``: compressed), otherwise a model directory.
    """
    path = Path(path)
    fmt = fmt or _format_from_suffix(path)
    if fmt == "model":
        check_finite_rows(vectors.matrix, vectors.words, f"vectors for {path}")
        vectors.save(path, {"source": "w2v.formats"}, force=force)
    elif fmt in ("text", "binary"):
        write_word2vec(path, vectors.matrix, vectors.words, binary=fmt == "binary", c_style=c_style)
    elif fmt == "projector":
        write_projector(path, vectors, force=force)
    else:
        raise W2VError(f"unknown output format {fmt!r}; use model, text, binary or projector")
    return fmt


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.formats", "Convert word vectors between a w2v model directory, the word2vec text/binary "
               "formats (gensim and word2vec C compatible) and GloVe text (read only).")
    p.add_argument("model", metavar="MODEL", help="model directory, word2vec .txt/.bin file or GloVe .txt file "
                   "(detected)")
    p.add_argument("dst", nargs="?", help=argparse.SUPPRESS)  # the old positional spelling of --out
    p.add_argument("--out", help="output: a directory, or a word2vec file (required)")
    p.add_argument("--to", choices=["model", "text", "binary", "projector"], default=None,
                   help="output format (default: from DST's suffix: .bin binary, .txt/.vec text, either followed "
                   "by .gz/.bz2/.xz compressed, else model); "
                   "projector: a directory of TensorFlow Embedding Projector files (tensors.tsv, metadata.tsv)")
    p.add_argument("--c-style", action="store_true",
                   help="write exactly like word2vec C (newline after binary entries, '%%lf ' text values)")
    p.add_argument("--unicode-errors", choices=["strict", "replace"], default="strict",
                   help="words that are not valid UTF-8 (word2vec C cuts long words at a byte count, sometimes "
                   "inside a character): refuse the file (strict), or read each bad byte sequence as U+FFFD "
                   "(replace)")
    add_quiet(p, "print nothing on success")
    p.add_argument("--force", action="store_true",
                   help="write a model into --out even if it is a non-empty directory that is not a w2v model")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (args.out is None) == (args.dst is None):
        raise W2VError("give the output as --out DST (see --help)")
    dst = Path(args.out or args.dst)
    check_not_input({"--out": dst}, {"MODEL": args.model})
    fmt = args.to or _format_from_suffix(dst)
    if fmt == "model":
        if dst.exists() and not dst.is_dir():
            raise W2VError(f"{dst} exists and is not a directory; pass --to text/binary or another DST")
        check_output_dir(dst, args.force, "--out")
    elif fmt == "projector":
        if dst.exists() and not dst.is_dir():
            raise W2VError(f"{dst} exists and is not a directory; --to projector writes a directory")
        check_output_dir(dst, args.force, "--out", allowed=PROJECTOR_FILES, kind=PROJECTOR_KIND)
    else:
        if dst.is_dir():
            raise W2VError(f"--out {dst} is a directory; give a file name for --to {fmt}")
        probe_writable(dst.parent, "--out")
    vec = load(args.model, unicode_errors=args.unicode_errors)
    save_vectors(vec, dst, fmt, c_style=args.c_style, force=args.force)
    if not args.quiet:
        print(f"wrote {len(vec)} vectors x {vec.dim} dims to {dst} ({fmt})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_cli(main)
