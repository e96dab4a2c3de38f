"""Pass 1 of the encoding: give every token a provisional id, count, and note where lines end.

A *shard* is a run of byte ranges of the corpus in order (whole files, or parts of a large
plain file cut after a whitespace byte). :func:`count_shard` reads one a block (1 MB) at a
time: a compiled hash table (:mod:`w2v.count_kernels`) numbers the tokens by first appearance
within the shard and counts them, the provisional ids are streamed to ``prov-K.i32``, and the
token offsets where lines end are kept. The cost is linear in tokens whatever the line
structure.

Shards are counted in parallel threads (the compiled encoder releases the GIL, so no
process has to be started, nor a user's unguarded script re-imported as with multiprocessing),
and :func:`merge_shards` merges them in corpus order, so the first appearance of every word,
and hence the vocabulary order and ids, are exactly those of one thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .corpus import ReadStats, cut_points, is_plain, iter_blocks
from .count_kernels import TokenTable
from .tokenize import as_whitespace

BATCH_CHARS = 1 << 20  # text encoded at a time (small files are batched)
MIN_SHARD_BYTES = 8 << 20  # less than this per worker: fewer workers


@dataclass
class Range:
    """Bytes ``start .. end`` of ``path`` (``end`` None: to the end). ``ends_file``: the
    range reaches the end of the file, which ends a line."""

    path: str
    start: int = 0
    end: int | None = None
    ends_file: bool = True


@dataclass
class ShardResult:
    """What one shard found: its words in first-appearance order and their counts (``table``),
    how many tokens it holds, where its provisional ids are, and where its lines end (token
    offsets within the shard, in pieces)."""

    table: TokenTable | None
    n_tokens: int
    line_ends: list[np.ndarray]
    prov_path: Path
    stats: ReadStats


def plan_shards(files: list[Path], workers: int) -> list[list[Range]]:
    """Split ``files`` into at most ``workers`` shards of about equal size, in corpus order.

    Plain files may be cut into byte ranges; compressed files and stdin are read whole.
    One worker (or a small corpus) gives one shard holding every file."""
    whole = [[Range(str(p)) for p in files]]
    if workers <= 1 or str(files[0]) == "-":
        return whole
    sizes = [p.stat().st_size for p in files]
    total = sum(sizes)
    n = min(workers, total // MIN_SHARD_BYTES)
    if n <= 1:
        return whole
    target = total / n
    ranges: list[Range] = []
    for p, size in zip(files, sizes):
        pieces = math.ceil(size / target) if is_plain(p) and size > target else 1
        if pieces == 1:
            ranges.append(Range(str(p)))
            continue
        cuts = cut_points(p, pieces)
        ranges += [Range(str(p), a, b, b == size) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
    shards: list[list[Range]] = [[]]
    done = 0.0
    for r in ranges:
        size = (r.end if r.end is not None else Path(r.path).stat().st_size) - r.start
        if shards[-1] and done >= target * len(shards) and len(shards) < n:
            shards.append([])
        shards[-1].append(r)
        done += size
    return shards


def count_shard(ranges: list[Range], lowercase: bool, prov_path: Path,
                on_bytes: Callable[[int], None] | None = None, tokenize: str = "whitespace") -> ShardResult:
    """Read ``ranges`` in order: provisional ids to ``prov_path``, counts, line ends.

    Small files are batched (joined by a newline, since a file ends a line) so that the
    encoder sees about a block at a time. ``on_bytes(n)`` is called with the bytes read so
    far after every block."""
    table = TokenTable()
    retokenize = as_whitespace(tokenize)  # None: the compiled encoder's whitespace split is the tokenizer
    ends: list[np.ndarray] = []
    n_tokens = 0
    stats = ReadStats()
    texts: list[str] = []
    n_chars = 0
    with open(prov_path, "wb") as prov:

        def flush() -> None:
            nonlocal n_tokens, n_chars
            ids, line_ends = table.encode("".join(texts), n_tokens)
            texts.clear()
            n_chars = 0
            if len(line_ends):
                ends.append(line_ends)
            ids.tofile(prov)
            n_tokens += len(ids)

        for r in ranges:
            stats.files += r.start == 0
            for block in iter_blocks(Path(r.path), stats, start=r.start, end=r.end):
                if lowercase:
                    block = block.lower()
                if retokenize is not None:
                    block = retokenize(block)
                stats.lines += block.count("\n")
                texts.append(block)
                n_chars += len(block)
                if n_chars >= BATCH_CHARS:
                    flush()
                if on_bytes is not None:
                    on_bytes(stats.bytes)
            if r.ends_file:
                texts.append("\n")  # blocks are cut after whitespace, so only a file's end needs one
        flush()
    return ShardResult(table, n_tokens, ends, prov_path, stats)


def run_shards(shards: list[list[Range]], lowercase: bool, workdir: Path,
               on_bytes: Callable[[int], None] | None = None, tokenize: str = "whitespace") -> list[ShardResult]:
    """Count every shard, one thread each (the compiled encoder releases the GIL), in order.

    ``on_bytes(n)`` is called from this thread with the bytes read so far by all shards."""
    done = [0] * len(shards)

    def work(k: int) -> ShardResult:
        return count_shard(shards[k], lowercase, workdir / f"prov-{k}.i32", lambda n: done.__setitem__(k, n),
                           tokenize)

    try:
        if len(shards) == 1:
            return [count_shard(shards[0], lowercase, workdir / "prov-0.i32", on_bytes, tokenize)]
        with ThreadPoolExecutor(len(shards), thread_name_prefix="w2v-count") as pool:
            futures = [pool.submit(work, k) for k in range(len(shards))]
            while wait(futures, timeout=0.1).not_done:
                if on_bytes is not None:
                    on_bytes(sum(done))
            return [f.result() for f in futures]
    except BaseException:
        for k in range(len(shards)):
            (workdir / f"prov-{k}.i32").unlink(missing_ok=True)
        raise


def merge_shards(results: list[ShardResult]) -> tuple[TokenTable, np.ndarray, list[np.ndarray]]:
    """Merge shards in corpus order: a table of the words in first-appearance order over the
    whole corpus, their counts, and for each shard the map from its provisional ids to the
    merged ones."""
    if len(results) == 1:
        table = results[0].table
        return table, table.word_counts(), [np.arange(table.n_words, dtype=np.int64)]
    merged = TokenTable()
    maps = [merged.encode_bytes(r.table.joined())[0].astype(np.int64) for r in results]
    counts = np.zeros(merged.n_words, dtype=np.int64)
    for r, m in zip(results, maps):
        counts[m] += r.table.word_counts()  # a shard's words are distinct, so m has no repeats
    return merged, counts, maps
