"""Read fastText's ``.bin`` models (the format the ``fasttext`` package writes, n-gram table included).

The file holds a magic number and version, the training arguments, the dictionary (each word's
bytes, count and type), then the input matrix (``nwords + bucket`` rows: each word's own row, then
the hashed n-grams) and the output matrix. The input matrix becomes a table's ``ngrams`` (memory-
mapped, not copied: ``cc.en.300.bin`` holds 4.8 GB of it) and each word's vector is composed as
fastText's ``get_word_vector`` does, so :meth:`w2v.Vectors.vector` answers any string. Every size is
checked against the file's length before anything is read; quantized (``.ftz``) and supervised
models are refused with one line.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

import numpy as np

from .errors import W2VError
from .safety import check_memory
from .subwords import SubwordSpec, compose_words, word_rows
from .vectors import Vectors

MAGIC = 793712314
_MAGIC_BYTES = struct.pack("<i", MAGIC)
_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate t
_DICT = struct.Struct("<iiiqq")  # size nwords nlabels ntokens pruneidx_size
_MODELS = {1: "cbow", 2: "skipgram", 3: "supervised"}
_LOSS_NS = 2  # fastText's loss_name: hs 1, ns 2, softmax 3, ova 4
EOS = "</s>"


def is_fasttext_bin(path: str | os.PathLike) -> bool:
    """Whether the file starts with fastText's magic number."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == _MAGIC_BYTES
    except OSError:
        return False


def read_fasttext_bin(path: str | os.PathLike, context: bool = False) -> Vectors:
    """A :class:`Vectors` from a fastText ``.bin``: the composed word vectors as ``matrix``, the input
    matrix as ``ngrams`` (memory-mapped) and the subword settings in ``info``; with ``context``, the
    output matrix as ``context`` when it holds negative-sampling output vectors (``-loss ns``, one row
    per word: what a run started from the model continues, as from a w2v model's ``context.npy``)."""
    path = Path(path)
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise W2VError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    try:
        return _parse(buf, size, path, context)
    finally:
        if isinstance(buf, mmap.mmap):
            buf.close()


def _need(pos: int, n: int, size: int, path: Path, what: str) -> None:
    if n < 0 or pos + n > size:
        raise W2VError(f"{path} is truncated or damaged: {what} needs {n:,} bytes at offset {pos:,} of a "
                       f"{size:,}-byte file")


def _parse(buf, size: int, path: Path, context: bool = False) -> Vectors:
    _need(0, 8 + _ARGS.size + _DICT.size, size, path, "the header")
    magic, version = struct.unpack_from("<ii", buf, 0)
    if magic != MAGIC:
        raise W2VError(f"{path} is not a fastText .bin model (no magic number)")
    if version > 12:
        raise W2VError(f"{path} is a fastText model of version {version}; versions up to 12 are read")
    dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, _, t = _ARGS.unpack_from(buf, 8)
    if model == 3:
        raise W2VError(f"{path} is a supervised fastText model (a classifier, not word vectors); give an "
                       "unsupervised (skipgram or cbow) .bin")
    if model not in _MODELS or dim < 1 or bucket < 0 or minn < 0 or maxn < 0 or (maxn and minn > maxn):
        raise W2VError(f"{path} is damaged: implausible arguments (model {model}, dim {dim}, bucket {bucket}, "
                       f"minn {minn}, maxn {maxn})")
    pos = 8 + _ARGS.size
    n_entries, nwords, nlabels, ntokens, prune = _DICT.unpack_from(buf, pos)
    pos += _DICT.size
    if not (0 <= nwords <= n_entries and nlabels >= 0 and nwords + nlabels == n_entries) or n_entries > size:
        raise W2VError(f"{path} is damaged: the dictionary claims {n_entries:,} entries ({nwords:,} words, "
                       f"{nlabels:,} labels) in a {size:,}-byte file")
    words: list[str] = []
    counts = np.zeros(nwords, dtype=np.int64)
    for k in range(n_entries):
        end = buf.find(b"\0", pos, min(size, pos + (1 << 16)))
        if end < 0:
            raise W2VError(f"{path} is truncated or damaged: dictionary entry {k + 1:,} of {n_entries:,} has no end "
                           f"(offset {pos:,})")
        _need(end + 1, 9, size, path, f"dictionary entry {k + 1:,}")
        count, kind = struct.unpack_from("<qb", buf, end + 1)
        if k < nwords:
            words.append(bytes(buf[pos:end]).decode("utf-8", "replace"))
            counts[k] = count
        pos = end + 10
    if prune > 0:
        raise W2VError(f"{path} is a pruned (quantized, .ftz) fastText model; give the full .bin")
    _need(pos, 1, size, path, "the quantization flag")
    if buf[pos]:
        raise W2VError(f"{path} is a quantized fastText model (.ftz); give the full .bin")
    pos += 1
    _need(pos, 16, size, path, "the input matrix header")
    rows, cols = struct.unpack_from("<qq", buf, pos)
    pos += 16
    if rows != nwords + bucket or cols != dim:
        raise W2VError(f"{path} is damaged: its input matrix is {rows:,} x {cols:,}, the header says "
                       f"{nwords:,} words + {bucket:,} buckets x {dim}")
    _need(pos, rows * cols * 4, size, path, "the input matrix")
    check_memory(nwords * dim * 4, f"the composed word vectors of {path} ({nwords:,} words x {dim} x 4 bytes)",
                 "free memory or use a smaller model")
    ngrams = np.memmap(path, dtype="<f4", mode="r", offset=pos, shape=(rows, cols))
    if len(set(words)) != len(words):
        raise W2VError(f"{path} is damaged: its dictionary lists a word twice")
    spec = SubwordSpec(minn or 1, maxn, bucket if maxn else 0)
    ptr, ids = word_rows(words, spec, nwords)
    if EOS in words:  # fastText gives the end-of-sentence token no n-grams
        k = words.index(EOS)
        keep = np.ones(len(ids), dtype=bool)
        keep[ptr[k] + 1:ptr[k + 1]] = False
        ids = ids[keep]
        ptr = ptr.copy()
        ptr[k + 1:] -= ptr[k + 1] - ptr[k] - 1
    matrix, _ = compose_words(ngrams, ptr, ids)
    info = {"method": f"fasttext-{_MODELS[model]}", "source": str(path), "dim": dim, "window": ws, "epochs": epoch,
            "min_count": min_count, "negative": neg, "word_ngrams": word_ngrams, "sample": t,
            "corpus_stats": {"tokens": int(ntokens)}, **spec.to_info()}
    output = _output_matrix(buf, pos + rows * cols * 4, size, nwords, dim) if context and loss == _LOSS_NS else None
    if not maxn:
        return Vectors(matrix, words, counts, {**info, "subwords": False}, context=output)
    return Vectors(matrix, words, counts, info, context=output, ngrams=ngrams)


def _output_matrix(buf, pos: int, size: int, nwords: int, dim: int) -> np.ndarray | None:
    """The output matrix after the input one (a quantized flag, then rows, cols, floats), copied; None
    when it is quantized, shaped otherwise or cut short."""
    if pos + 17 > size or buf[pos]:
        return None
    rows, cols = struct.unpack_from("<qq", buf, pos + 1)
    if rows != nwords or cols != dim or pos + 17 + rows * cols * 4 > size:
        return None
    return np.frombuffer(buf, dtype="<f4", count=rows * cols, offset=pos + 17).reshape(rows, cols).astype(np.float32)
