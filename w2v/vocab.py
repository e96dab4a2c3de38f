"""Vocabulary and the int32 encoding of a corpus, built in one streaming pass.

The pass (:mod:`w2v.count`: compiled, on several threads where the corpus allows) gives
every new word a provisional id in order of first appearance and streams those ids to disk.
The vocabulary is then chosen from the counts (``min_count``, ``max_vocab``; sorted by
descending count, ties by first appearance, so index 0 is the most frequent word), and a
second pass over the id file — pure numpy — maps provisional ids to final ids and drops the
rare words. The result is memory-mapped, so corpora larger than RAM work; training runs its
epochs over it without re-tokenizing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .cli import Options, option
from .corpus import is_plain, list_files
from .count import merge_shards, plan_shards, run_shards
from .errors import W2VError
from .outdir import read_vocab, write_vocab
from .tokenize import DEFAULT as DEFAULT_TOKENIZER
from .tokenize import TOKENIZERS

_CHUNK = 1 << 20  # tokens remapped at a time in the second pass (bounded memory)


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """word2vec's subsampling: keep a word of frequency ``f = count / total`` with probability
    ``(sqrt(f / sample) + 1) * sample / f``, capped at 1; ``sample <= 0`` keeps everything.
    Training and co-occurrence counting both use it, so their corpora are thinned alike."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones(len(counts), dtype=np.float64)
    threshold = sample * counts.sum()
    with np.errstate(divide="ignore"):
        return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)


def noise_distribution(counts: np.ndarray, exponent: float = 0.75) -> np.ndarray:
    """Probability of drawing each word as a negative sample: ``count ** exponent``, normalised."""
    weights = np.asarray(counts, dtype=np.float64) ** exponent
    return weights / weights.sum()


class EmptyCorpus(W2VError):
    """A corpus without a single token (a run started from a table may accept one)."""


@dataclass
class CorpusOptions(Options):
    """How text becomes ids, shared by every tool that reads a corpus (train, svd, encode): defined once."""

    min_count: int = option(5, "drop words rarer than this", lo=1)
    lowercase: bool = option(False, "lowercase the text before tokenizing")
    max_sentence_length: int = option(10_000, "cut longer lines into chunks of this many tokens", lo=1)
    tokenize: str = option(DEFAULT_TOKENIZER, "how lines become tokens: whitespace (text8-style corpora), words "
                           "(lowercased words with inner apostrophes and punctuation marks: raw text, the "
                           "classifier's rule), words-cased", choices=tuple(TOKENIZERS))
    phrases: str | None = option(None, "join the phrases of this table (python -m w2v.phrases) while encoding",
                                 metavar="PHRASES")


@dataclass
class Vocabulary:
    """Words sorted by descending count; ``words[i]`` is row *i* of the table."""

    words: list[str]
    counts: np.ndarray  # int64, same length as words
    _index: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def index(self) -> dict[str, int]:
        """Word → row index (built once, on first use)."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    def save(self, path: str | os.PathLike) -> None:
        """Write ``vocab.txt`` (``word<TAB>count`` a line) atomically."""
        write_vocab(path, self.words, self.counts)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a ``vocab.txt``."""
        words, counts = read_vocab(path)
        return cls(words, counts)


def select_vocab(counts: np.ndarray, min_count: int = 5, max_vocab: int | None = None) -> np.ndarray:
    """Indices of the words to keep: count ≥ ``min_count``, most frequent first (stable:
    ties keep their input order), at most ``max_vocab`` of them."""
    counts = np.asarray(counts)
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] >= min_count]
    if max_vocab is not None:
        order = order[:max_vocab]
    return order


@dataclass
class EncodedCorpus:
    """A corpus as int32 word ids (rare words dropped) with sentence boundaries.

    Sentence *s* is ``ids[starts[s]:starts[s + 1]]``; ``starts[-1] == len(ids)``.
    """

    ids: np.ndarray
    starts: np.ndarray
    vocab: Vocabulary
    stats: dict = field(default_factory=dict)

    @property
    def n_sentences(self) -> int:
        return len(self.starts) - 1


def _check_written(path: Path, expected: int) -> None:
    """numpy's ``tofile`` can lose a failed write (full disk, file-size limit) without raising: compare
    the file's size with what was written, so a short file is an error, never a corpus with holes."""
    size = path.stat().st_size
    if size != expected:
        raise W2VError(f"cannot write the encoded corpus: {path} holds {size:,} of {expected:,} bytes "
                       "(disk full or file-size limit?)")


def encode_corpus(
    corpus: str | os.PathLike,
    workdir: str | os.PathLike,
    min_count: int = 5,
    max_vocab: int | None = None,
    lowercase: bool = False,
    max_sentence_length: int = 10_000,
    progress: bool = True,
    workers: int | None = None,
    tokenize: str = DEFAULT_TOKENIZER,
) -> EncodedCorpus:
    """Count the corpus, choose the vocabulary and encode the corpus to ``workdir/ids.i32``.

    Tokens are split on whitespace, or made by the named tokenizer ``tokenize`` (:mod:`w2v.tokenize`).
    Long lines are cut into sentences of at most ``max_sentence_length`` raw tokens. ``workers``
    threads count parts of the corpus in parallel (files, or byte ranges of a large plain file;
    default: the CPU count); the result is exactly the one-thread one. The options are trusted
    (validated by :class:`CorpusOptions` at the boundary). Raises :class:`W2VError` on an empty
    corpus or an empty vocabulary.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    files = list_files(corpus)
    size = sum(p.stat().st_size for p in files) if all(is_plain(p) for p in files) else None

    # Pass 1 (count.py): provisional ids in first-appearance order, counts, line ends; shards in parallel.
    shards = plan_shards(files, workers or os.cpu_count() or 1)
    bar = tqdm(total=size, unit="B", unit_scale=True, desc="vocab", disable=None if progress else True, leave=False)

    def on_bytes(n: int) -> None:
        bar.update(n - bar.n)

    try:
        results = run_shards(shards, lowercase, workdir, on_bytes, tokenize=tokenize)
    finally:
        bar.close()
    try:
        for r in results:
            _check_written(r.prov_path, 4 * r.n_tokens)
    except W2VError:
        for r in results:
            r.prov_path.unlink()
        raise
    table, counts, maps = merge_shards(results)
    offsets = np.cumsum([0] + [r.n_tokens for r in results])
    n_tokens = int(offsets[-1])
    for o, r in zip(offsets, results):
        for piece in r.line_ends:
            piece += o
    line_ends = np.concatenate([piece for r in results for piece in r.line_ends] or [np.zeros(0, np.int64)])
    for r in results:
        r.line_ends, r.table = [], None  # free them: only the merged table is needed now
    raw_starts = sentence_bounds(line_ends, n_tokens, max_sentence_length)
    del line_ends

    # Vocabulary: descending count, ties by first appearance.
    keep = select_vocab(counts, min_count, max_vocab)
    if n_tokens == 0 or len(keep) == 0:
        for r in results:
            r.prov_path.unlink()
        if n_tokens == 0:
            raise EmptyCorpus(f"corpus {corpus} is empty (no tokens found)")
        raise W2VError(
            f"vocabulary is empty: no word occurs at least min_count={min_count} times "
            f"(largest count {counts.max()}); lower --min-count")
    vocab = Vocabulary(table.words(keep), counts[keep])
    del table
    t_vocab = time.perf_counter() - t0

    # Pass 2: provisional → final ids, rare words dropped, sentence starts shifted.
    remap = np.full(len(counts), -1, dtype=np.int32)
    remap[keep] = np.arange(len(keep), dtype=np.int32)
    ids_path = workdir / "ids.i32"

    def chunks():
        # one pair of buffers for every chunk: fresh memory is slow to map, and the consumer is done with a
        # chunk before the next is made
        raw, mapped = np.empty(_CHUNK, dtype=np.int32), np.empty(_CHUNK, dtype=np.int32)
        for r, m, offset in zip(results, maps, offsets):
            shard_remap = remap[m]
            with open(r.prov_path, "rb") as prov:
                for c0 in range(offset, offset + r.n_tokens, _CHUNK):
                    n = min(_CHUNK, offset + r.n_tokens - c0)
                    if prov.readinto(raw[:n]) != 4 * n:
                        raise W2VError(f"the provisional ids in {r.prov_path} are shorter than counted")
                    yield c0, np.take(shard_remap, raw[:n], out=mapped[:n])
            r.prov_path.unlink()

    with open(ids_path, "wb") as out:
        new_starts, kept_total = write_kept(chunks(), raw_starts, n_tokens, out)
    _check_written(ids_path, 4 * kept_total)
    sentence_starts = dedupe_sorted(new_starts)  # drops sentences left empty
    if kept_total == 0:
        ids = np.zeros(0, dtype=np.int32)
    else:
        ids = np.memmap(ids_path, dtype=np.int32, mode="r")
    corpus_stats = {
        "files": sum(r.stats.files for r in results),
        "bytes": sum(r.stats.bytes for r in results),
        "lines": sum(r.stats.lines for r in results),
        "invalid_utf8": sum(r.stats.invalid_utf8 for r in results),
        "tokens": n_tokens,
        "word_types": len(counts),
        "vocab_size": len(vocab),
        "kept_tokens": kept_total,
        "sentences": len(sentence_starts) - 1,
        "count_processes": len(shards),
        "vocab_seconds": round(t_vocab, 3),
        "encode_seconds": round(time.perf_counter() - t0, 3),
    }
    return EncodedCorpus(ids, sentence_starts, vocab, corpus_stats)


def write_kept(chunks, raw_starts: np.ndarray, n_tokens: int, out) -> tuple[np.ndarray, int]:
    """Write the ids ``>= 0`` of ``chunks`` (``(offset, ids)`` in corpus order; ``-1`` = a dropped word) to the
    file ``out`` and move every sentence start back by the words dropped before it. Returns ``(new starts,
    words kept)``; starts of sentences left empty repeat (:func:`dedupe_sorted` removes them)."""
    new_starts = np.empty_like(raw_starts)
    kept = 0
    for c0, new in chunks:
        mask = new >= 0
        dropped = np.flatnonzero(~mask)
        (new[mask] if len(dropped) else new).tofile(out)  # no copy when every word is kept
        lo, hi = np.searchsorted(raw_starts, [c0, c0 + len(new)])
        if hi > lo:  # a boundary moves back by the tokens dropped before it
            local = raw_starts[lo:hi] - c0
            new_starts[lo:hi] = kept + local - np.searchsorted(dropped, local)
        kept += len(new) - len(dropped)
    new_starts[raw_starts == n_tokens] = kept
    return new_starts, kept


def sentence_bounds(line_ends: np.ndarray, n_tokens: int, max_sentence_length: int) -> np.ndarray:
    """Sentence boundaries (token offsets, ``0`` first and ``n_tokens`` last) from the offsets
    where lines end: every line a sentence, a line longer than ``max_sentence_length`` cut
    into chunks of that length from its start. Empty lines give no sentence."""
    b = dedupe_sorted(np.concatenate([np.zeros(1, np.int64), line_ends, np.full(1, n_tokens, np.int64)]))
    lengths = np.diff(b)
    long = np.flatnonzero(lengths > max_sentence_length)
    if len(long):
        n_cuts = (lengths[long] - 1) // max_sentence_length
        first = np.repeat(b[long], n_cuts)
        k = np.arange(n_cuts.sum()) - np.repeat(np.cumsum(n_cuts) - n_cuts, n_cuts) + 1
        b = np.union1d(b, first + k * max_sentence_length)
    return b


def dedupe_sorted(a: np.ndarray) -> np.ndarray:
    """``np.unique`` of an already sorted array, in linear time."""
    return a[np.concatenate([[True], a[1:] != a[:-1]])] if len(a) else a
