"""A corpus cut into shards that separate processes count and encode, giving exactly the
vocabulary and ids of a single-machine run (:func:`w2v.vocab.encode_corpus`).

A shard is a whole file or a byte range of a large uncompressed file. A range owns the
tokens whose first byte lies in it: it skips a token that started before its first byte
and reads past its last byte to finish its own last token, so every token (and every
newline) is read by exactly one shard. Compressed files are never split.

Counting is map → merge: :func:`count_shard` gives a shard's words in order of first
appearance with their counts and the shard's provisional ids; :func:`merge_counts` merges
shards in corpus order, which is the single-machine first-appearance order, so
:func:`w2v.vocab.select_vocab` picks the same words in the same order; :func:`encode_shard`
maps a shard's provisional ids to the final ids. Sentences are cut as in
:func:`w2v.vocab.encode_corpus` except that a shard boundary inside a line also ends a
sentence (the ids are identical; only such boundaries differ).

Nothing here imports dask; paths with ``://`` are read through fsspec (a dask dependency).
"""

from __future__ import annotations

import lzma
import math
import os
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .corpus import BLOCK_SIZE, ReadStats, _decode, _open, list_files
from .errors import W2VError

COMPRESSED = (".gz", ".bz2", ".xz")
_SPACE = frozenset(b" \t\n\r\x0b\x0c")


@dataclass(frozen=True)
class Shard:
    """File ``path`` (a local path or an fsspec URL), bytes ``start`` to ``end`` (``None``: to the end)."""

    path: str
    start: int = 0
    end: int | None = None
    nbytes: int = 0  # size on disk (compressed size for compressed files), for balancing


@dataclass
class ShardCounts:
    """One shard counted: words in first-appearance order, their counts, the shard's tokens as
    provisional ids (indices into ``words``) and raw sentence starts (token offsets)."""

    words: list[str]
    counts: np.ndarray
    prov: np.ndarray
    starts: np.ndarray
    stats: dict = field(default_factory=dict)


@dataclass
class EncodedShard:
    """A shard as final int32 ids with sentence starts (``starts[-1] == len(ids)``)."""

    ids: np.ndarray
    starts: np.ndarray


def _is_url(path: str) -> bool:
    return "://" in path


def _list(corpus: str) -> list[tuple[str, int | None]]:
    """Files of ``corpus`` in single-machine reading order, with their sizes (``None`` for compressed files)."""
    if _is_url(corpus):
        import fsspec

        fs, root = fsspec.core.url_to_fs(corpus)
        if fs.isdir(root):
            found = sorted(p for p in fs.find(root) if not any(
                part.startswith(".") for part in p[len(root):].strip("/").split("/")))
            if not found:
                raise W2VError(f"corpus directory {corpus} contains no files")
            paths = [fs.unstrip_protocol(p) for p in found]
        elif fs.isfile(root):
            paths = [corpus]
        else:
            raise W2VError(f"corpus not found: {corpus}")
        return [(p, None if p.lower().endswith(COMPRESSED) else int(fs.size(p))) for p in paths]
    if str(corpus) == "-":
        raise W2VError("a cluster cannot read stdin; give a file or a directory the workers can read")
    files = list_files(corpus)
    return [(str(p), None if p.suffix.lower() in COMPRESSED else p.stat().st_size) for p in files]


def plan_shards(corpus: str | os.PathLike, min_shards: int = 1, max_bytes: int = 64 << 20,
                min_bytes: int = 16 << 10) -> list[Shard]:
    """Cut ``corpus`` (file, directory or fsspec URL) into shards in reading order.

    Uncompressed files are cut into equal byte ranges of at most ``max_bytes`` (fewer and
    smaller ranges, down to ``min_bytes``, when that gives at least ``min_shards`` shards).
    """
    files = _list(str(corpus))
    total = sum(size if size is not None else _size(path) for path, size in files)
    target = max(min_bytes, min(max_bytes, math.ceil(total / max(min_shards, 1)) or 1))
    shards = []
    for path, size in files:
        if size is None or size <= target:
            shards.append(Shard(path, nbytes=size if size is not None else _size(path)))
            continue
        n = math.ceil(size / target)
        cuts = [size * i // n for i in range(n + 1)]
        shards.extend(Shard(path, a, b, b - a) for a, b in zip(cuts[:-1], cuts[1:]))
    return shards


def _size(path: str) -> int:
    if _is_url(path):
        import fsspec

        fs, root = fsspec.core.url_to_fs(path)
        return int(fs.size(root))
    return os.path.getsize(path)


def _open_shard(shard: Shard):
    if _is_url(shard.path):
        import fsspec

        compression = "infer" if shard.end is None and shard.start == 0 else None
        return fsspec.open(shard.path, "rb", compression=compression).open()
    return _open(Path(shard.path))


def shard_blocks(shard: Shard, stats: ReadStats, block_size: int = BLOCK_SIZE) -> Iterator[str]:
    """Decoded text blocks of ``shard``, each cut just after a whitespace byte (as
    :func:`w2v.corpus.iter_blocks`), holding exactly the tokens the shard owns."""
    fh = _open_shard(shard)
    try:
        skip = False
        if shard.start > 0:
            fh.seek(shard.start - 1)
            prev = fh.read(1)
            skip = bool(prev) and prev[0] not in _SPACE  # a token started before us: its owner finishes it
        pos = shard.start
        carry = b""
        first = shard.start == 0
        while True:
            want = block_size if shard.end is None else min(block_size, shard.end - pos)
            if want <= 0:
                break
            try:
                raw = fh.read(want)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise W2VError(f"cannot read corpus file {shard.path}: {exc} (corrupt or truncated?)") from None
            if first:
                first = False
                if b"\x00" in raw[:8192]:
                    raise W2VError(f"{shard.path} looks like a binary file (NUL bytes); give a UTF-8 text corpus")
            if not raw:
                break
            pos += len(raw)
            stats.bytes += len(raw)
            if skip:
                i = next((k for k, b in enumerate(raw) if b in _SPACE), -1)
                if i < 0:
                    continue
                raw, skip = raw[i:], False
            data = carry + raw
            cut = max(data.rfind(bytes([c])) for c in _SPACE) + 1
            if cut == 0 and len(data) < 4 * block_size:
                carry = data
                continue
            cut = cut or len(data)
            carry = data[cut:]
            yield _decode(data[:cut], stats)
        if carry and shard.end is not None:  # finish our last token from the next range's bytes
            while True:
                more = fh.read(1 << 12)
                i = next((k for k, b in enumerate(more) if b in _SPACE), -1)
                carry += more if i < 0 else more[:i]
                if i >= 0 or not more:
                    break
        if carry:
            yield _decode(carry, stats)
    finally:
        fh.close()


def count_shard(shard: Shard, lowercase: bool = False, max_sentence_length: int = 10_000,
                block_size: int = BLOCK_SIZE) -> ShardCounts:
    """Count one shard: the map step (the same first pass as :func:`w2v.vocab.encode_corpus`)."""
    index: defaultdict[str, int] = defaultdict()
    index.default_factory = index.__len__  # a new word gets the next id, all in C
    lookup = index.__getitem__
    pieces: list[np.ndarray] = []
    counts = np.zeros(0, dtype=np.int64)
    starts = array("q", [0])
    n_tokens = 0
    in_sentence = 0
    stats = ReadStats(files=int(shard.start == 0))
    for block in shard_blocks(shard, stats, block_size):
        if lowercase:
            block = block.lower()
        lines = block.split("\n")
        stats.lines += len(lines) - 1
        for k, line in enumerate(lines):
            tokens = line.split()
            n = len(tokens)
            if n:
                ids = np.fromiter(map(lookup, tokens), dtype=np.int32, count=n)
                pieces.append(ids)
                block_counts = np.bincount(ids, minlength=len(index))
                if len(counts) < len(block_counts):
                    counts = np.concatenate([counts, np.zeros(len(block_counts) - len(counts), np.int64)])
                counts += block_counts
                starts.extend(range(n_tokens + max_sentence_length - in_sentence, n_tokens + n + 1,
                                    max_sentence_length))
                n_tokens += n
                in_sentence = (in_sentence + n) % max_sentence_length
            if k < len(lines) - 1 and in_sentence:
                starts.append(n_tokens)
                in_sentence = 0
    if starts[-1] != n_tokens:
        starts.append(n_tokens)
    prov = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
    info = {"files": stats.files, "bytes": stats.bytes, "lines": stats.lines,
            "invalid_utf8": stats.invalid_utf8, "tokens": n_tokens}
    return ShardCounts(list(index), counts, prov, np.frombuffer(starts, dtype=np.int64).copy(), info)


def merge_counts(parts: Sequence[tuple[list[str], np.ndarray]]) -> tuple[list[str], np.ndarray]:
    """Merge ``(words, counts)`` of shards given in corpus order: words in global order of
    first appearance, counts summed (the reduce step)."""
    index: dict[str, int] = {}
    total: list[int] = []
    for words, counts in parts:
        for word, count in zip(words, counts.tolist()):
            i = index.setdefault(word, len(total))
            if i == len(total):
                total.append(count)
            else:
                total[i] += count
    return list(index), np.asarray(total, dtype=np.int64)


def encode_shard(sc: ShardCounts, index: dict[str, int]) -> EncodedShard:
    """Map a counted shard to final ids (``index``: word → id), dropping words not in it and
    sentences left empty (the second pass of :func:`w2v.vocab.encode_corpus`)."""
    remap = np.fromiter((index.get(w, -1) for w in sc.words), dtype=np.int32, count=len(sc.words))
    new = remap[sc.prov] if len(sc.prov) else np.zeros(0, dtype=np.int32)
    mask = new >= 0
    prefix = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    return EncodedShard(np.ascontiguousarray(new[mask]), np.unique(prefix[sc.starts]))


def concat_shards(shards: Sequence[EncodedShard]) -> EncodedShard:
    """Join encoded shards into one (a shard's end also ends a sentence)."""
    if not shards:
        return EncodedShard(np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64))
    ids = np.concatenate([s.ids for s in shards]).astype(np.int32, copy=False)
    offsets = np.cumsum([0] + [len(s.ids) for s in shards])
    starts = np.concatenate([[0]] + [s.starts[1:] + off for s, off in zip(shards, offsets[:-1])])
    return EncodedShard(ids, np.unique(starts.astype(np.int64)))
