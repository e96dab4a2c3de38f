"""Phrases (word2phrase, Mikolov et al. 2013): bigrams that occur together far more often than
chance become one token, ``new york`` → ``new_york``; more passes build longer ones
(``new_york times`` → ``new_york_times``).

``python -m w2v.phrases CORPUS --out PHRASES`` learns a phrase table; ``python -m w2v.phrases apply
PHRASES TEXT --out FILE`` writes phrased text; ``--phrases PHRASES`` on ``w2v.encode``/``train``/``svd``
joins the phrases while encoding (:func:`encode_phrased`); :meth:`PhraseTable.apply` phrases a token list.

A bigram ``a b`` of one pass is a phrase when its score exceeds that pass's threshold:

* ``default`` (word2phrase): ``(count(a b) - min_count) * total_words / (count(a) * count(b))``,
  computed in float32 as word2phrase does; the score says how many times more often the pair occurs
  than if its words were independent (less a ``min_count`` discount that keeps rare pairs out);
* ``npmi`` (gensim's normalized PMI): ``ln(p(a b) / (p(a) p(b))) / -ln(p(a b))``, in [-1, 1].

Both need ``count(a b) >= min_count``. The text is read and ids made as for training (:mod:`w2v.vocab`),
bigrams are counted on the id stream in compiled threads (:mod:`w2v.phrase_kernels`), never across a
line, and never with a punctuation token (tokenizers other than ``whitespace``); the phrases are then
joined greedily left to right, one join per token per pass (word2phrase's and gensim's rule). Unlike
word2phrase, which also counts the pair made by the last word of a line and the first of the next, a
bigram here never spans a line; a text with one line (text8) gives word2phrase's phrases exactly.

The table is a text file a person can read and edit: a header line ``# w2v-phrases-1 {settings}``, then
``left right<TAB>count<TAB>score<TAB>pass`` lines (``left``/``right``: the two tokens of that pass's
input, so ``new_york times`` in pass 2). Only the pairs and passes are used to apply it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .cli import add_quiet, option, parser, run_cli
from .errors import W2VError
from .outdir import atomic_path, save_text
from .phrase_kernels import (
    bigram_keys,
    bucket_bits,
    build_lookup,
    count_sorted,
    entries,
    join_pairs,
    new_table,
    rehash,
    render,
    sort_keys,
    text_bytes,
)
from .safety import SignalGuard, check_output_file, check_regular, nearest_existing, work_dir
from .tokenize import get as get_tokenizer
from .vocab import CorpusOptions, EncodedCorpus, Vocabulary, encode_corpus, select_vocab, sentence_bounds, write_kept

FORMAT = "w2v-phrases-1"
DELIMITER = "_"
SCORINGS = ("default", "npmi")
DEFAULT_THRESHOLD = {"default": 100.0, "npmi": 0.5}
_LINES = 1 << 62  # max_sentence_length that never cuts a line: phrases follow lines
_CHUNK = 1 << 22
_PUNCT = re.compile(r"\w")


@dataclass
class PhraseConfig(CorpusOptions):
    """How ``python -m w2v.phrases`` learns a table (``min_count``, ``lowercase``, ``tokenize`` as for training)."""

    scoring: str = option("default", "default: word2phrase's (count(a b) - min_count) * total / (count(a) * "
                          "count(b)); npmi: gensim's normalized PMI in [-1, 1]", choices=SCORINGS)
    threshold: str | None = option(None, "score a bigram must exceed; a comma list gives one per pass, e.g. "
                                   "200,100 (the paper's two passes). Default 100 (default scoring), 0.5 (npmi)")
    passes: int | None = option(None, "passes over the phrased text (default: one per --threshold value)",
                                lo=1, hi=16)
    memory: int = option(1024, "MiB for the bigram counts; when full, rare bigrams are pruned as word2phrase "
                         "does and counts become approximate", lo=1, metavar="MIB")
    threads: int | None = option(None, "threads that read, count, join and write (default: the CPU count)", lo=1)

    def thresholds(self) -> list[float]:
        """One threshold per pass (validated)."""
        text = self.threshold if self.threshold is not None else str(DEFAULT_THRESHOLD[self.scoring])
        try:
            values = [float(t) for t in str(text).split(",")]
        except ValueError:
            self.fail("threshold", "give a number or a comma list of numbers")
        n = self.passes or len(values)
        if len(values) == 1:
            values = values * n
        if len(values) != n:
            self.fail("threshold", f"gives {len(values)} thresholds for --passes {n}")
        lo, hi = (0.0, math.inf) if self.scoring == "default" else (-1.0, 1.0)
        for v in values:
            if not (lo <= v <= hi) or math.isnan(v):
                self.fail("threshold", f"must be in [{lo:g}, {hi:g}] for --scoring {self.scoring}")
        return values

    def check(self) -> None:
        self.thresholds()
        if self.memory < 1:
            self.fail("memory", "must be at least 1 MiB")


@dataclass
class Phrase:
    """One row of a table: tokens ``left`` and ``right`` of pass ``pass_`` join into ``left_right``."""

    left: str
    right: str
    count: int
    score: float
    pass_: int

    @property
    def joined(self) -> str:
        return self.left + DELIMITER + self.right


@dataclass
class PhraseTable:
    """A phrase table: its rows (in pass order) and the settings it was learned with."""

    rows: list[Phrase]
    settings: dict = field(default_factory=dict)

    @property
    def passes(self) -> int:
        return max([r.pass_ for r in self.rows] + [int(self.settings.get("passes", 0))])

    def pairs(self, pass_: int) -> dict[tuple[str, str], str]:
        """``{(left, right): joined}`` of one pass."""
        return {(r.left, r.right): r.joined for r in self.rows if r.pass_ == pass_}

    def apply(self, tokens: list[str]) -> list[str]:
        """One sentence's tokens with the phrases joined (every pass, greedily left to right)."""
        for p in range(1, self.passes + 1):
            pairs = self.pairs(p)
            out: list[str] = []
            joinable = False
            for t in tokens:
                if joinable:
                    j = pairs.get((out[-1], t))
                    if j is not None:
                        out[-1] = j
                        joinable = False
                        continue
                out.append(t)
                joinable = True
            tokens = out
        return tokens

    def apply_sentences(self, sentences: Iterable[list[str]]) -> Iterator[list[str]]:
        """:meth:`apply` on every sentence."""
        for s in sentences:
            yield self.apply(s)

    def save(self, path: str | os.PathLike) -> None:
        """Write the table (atomically): header line with the settings, then one phrase a line."""
        lines = [f"# {FORMAT} {json.dumps(self.settings, sort_keys=True)}\n",
                 "# left right\tcount\tscore\tpass  (edit freely: delete a line to drop a phrase)\n"]
        lines += [f"{r.left} {r.right}\t{r.count}\t{r.score:.6g}\t{r.pass_}\n" for r in self.rows]
        save_text(path, "".join(lines))

    @classmethod
    def load(cls, path: str | os.PathLike) -> PhraseTable:
        """Read a table; :class:`W2VError` (one line) if the file is not one."""
        check_regular(path, "a phrase table (python -m w2v.phrases CORPUS --out FILE)")
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise W2VError(f"cannot read the phrase table {path}: {getattr(exc, 'strerror', None) or exc}") from None
        lines = text.split("\n")
        head = lines[0]
        if not head.startswith(f"# {FORMAT} "):
            raise W2VError(f"{path} is not a phrase table (no '# {FORMAT}' header; make one with "
                           "python -m w2v.phrases CORPUS --out FILE)")
        try:
            settings = json.loads(head[len(FORMAT) + 3:])
            assert isinstance(settings, dict)
        except (ValueError, AssertionError):
            raise W2VError(f"{path}: damaged phrase-table header (line 1)") from None
        rows = []
        for n, line in enumerate(lines[1:], start=2):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\r").split("\t")
            pair = parts[0].split(" ")
            try:
                if len(parts) != 4 or len(pair) != 2 or not all(pair):
                    raise ValueError
                row = Phrase(pair[0], pair[1], int(parts[1]), float(parts[2]), int(parts[3]))
                if row.pass_ < 1:
                    raise ValueError
            except ValueError:
                raise W2VError(f"{path} line {n}: expected 'left right<TAB>count<TAB>score<TAB>pass', got "
                               f"{line[:60]!r}") from None
            rows.append(row)
        rows.sort(key=lambda r: r.pass_)
        return cls(rows, settings)

    def check_options(self, options: CorpusOptions, path: str | os.PathLike) -> None:
        """Refuse to apply the table to text read with another tokenizer or case setting."""
        for name in ("tokenize", "lowercase"):
            if name in self.settings and self.settings[name] != getattr(options, name):
                raise W2VError(f"{path} was learned with {name}={self.settings[name]!r}, the text is read with "
                               f"{getattr(options, name)!r}; learn it again or use the same setting")


def file_digest(path: str | os.PathLike) -> str:
    """SHA-1 of a phrase table's bytes (what the encode cache keys on: an edited table is another table)."""
    check_regular(path, "a phrase table (python -m w2v.phrases CORPUS --out FILE)")
    try:
        return hashlib.sha1(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise W2VError(f"cannot read the phrase table {path}: {exc.strerror or exc}") from None


# -- counting and choosing ------------------------------------------------------------------------------------


def _eligible(words: list[str], tokenize: str) -> np.ndarray:
    """Which ids may be part of a phrase: all, except punctuation tokens when a tokenizer makes them."""
    if tokenize == "whitespace":
        return np.ones(len(words), dtype=np.bool_)
    return np.array([_PUNCT.search(w) is not None for w in words], dtype=np.bool_)


def count_pairs(ids: np.ndarray, starts: np.ndarray, eligible: np.ndarray, n_words: int, memory_mib: int,
                threads: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Distinct bigram keys (``a * n_words + b``), their counts, and how often the tables were pruned.

    ``threads`` tables count disjoint hash parts of the keys; each starts small, doubles while it fits in
    its share of ``memory_mib`` and is pruned (word2phrase's rule) when it cannot grow. The stream is read
    in windows of ``threads`` pieces: every thread scans one piece, dealing its keys into the parts, then
    counts its part of all pieces. (Each thread also holds ~28 MiB of keys and scratch, outside the budget.)"""
    cap = max(1, memory_mib * (1 << 20) // 16 // threads)  # entries of (int64 key, int64 count) per table
    max_size = 1 << (cap.bit_length() - 1)
    if max_size < 1024:
        raise W2VError(f"invalid --memory {memory_mib}: too small for {threads} counting thread(s) "
                       f"(needs at least {math.ceil(threads * 1024 * 16 / (1 << 20))} MiB)")
    ids = np.asarray(ids)
    n = len(ids)
    piece = int(min(max(n, 1), 1 << 20))
    tables = [new_table(min(max_size, 1 << 16)) for _ in range(threads)]
    used = [np.zeros(1 << 12, dtype=np.int64) for _ in range(threads)]
    level = [0] * threads  # word2phrase's pruning level of each table (entries seen at most this often go)
    keys = [np.empty((threads, piece), dtype=np.int64) for _ in range(threads)]
    fills = [np.zeros(threads, dtype=np.int64) for _ in range(threads)]
    scratch = [(np.empty(piece, dtype=np.int32), np.empty(piece, dtype=np.int64),  # bucket of each key, sorted keys
                np.zeros((1 << 12) + 1, dtype=np.int64)) for _ in range(threads)]

    def scan(t: int, lo: int) -> None:
        bigram_keys(ids, starts, eligible, n_words, min(n, lo + t * piece), min(n, lo + (t + 1) * piece),
                    keys[t], fills[t])

    def count(p: int) -> None:
        for t in range(threads):
            part = keys[t][p, :fills[t][p]]
            sort_keys(part, bucket_bits(len(tables[p])), *scratch[p])
            j, m = 0, len(part)
            while j < m:  # count until a bucket is 70 % full, then grow (or prune) the table and go on
                j, full = count_sorted(tables[p], used[p], scratch[p][1][:m], j)
                if full:
                    old = tables[p]
                    if len(old) < max_size:
                        tables[p], keep = new_table(2 * len(old)), 1
                    else:  # word2phrase's rule: drop the entries seen at most `level` times, level + 1
                        level[p] += 1
                        tables[p], keep = new_table(len(old)), level[p] + 1
                    rehash(old, tables[p], keep, used[p])
                    del old

    with ThreadPoolExecutor(threads, thread_name_prefix="w2v-phrases") as pool:
        for lo in range(1, n, threads * piece):
            list(pool.map(scan, range(threads), [lo] * threads))
            list(pool.map(count, range(threads)))
    found = [entries(table) for table in tables]
    return (np.concatenate([k for k, _ in found]), np.concatenate([c for _, c in found]),
            sum(level))  # one prune per level step


def score_pairs(scoring: str, ab: np.ndarray, a: np.ndarray, b: np.ndarray, total: int, min_count: int) -> np.ndarray:
    """Scores of bigrams with counts ``ab`` of words with counts ``a``, ``b`` in ``total`` tokens."""
    if scoring == "default":  # word2phrase's float arithmetic and order of operations
        f = np.float32
        return (ab - min_count).astype(f) / a.astype(f) / b.astype(f) * f(total)
    n = float(total)
    pab = ab / n
    with np.errstate(divide="ignore"):
        return np.log(pab / ((a / n) * (b / n))) / -np.log(pab)


def _above(scoring: str, scores: np.ndarray, threshold: float, ab, a, b, total) -> np.ndarray:
    """``scores > threshold`` as the reference tools decide it (float32 for word2phrase; NPMI scores near
    the threshold re-computed with Python's ``math.log``, as gensim does)."""
    if scoring == "default":
        return scores > np.float32(threshold)
    keep = scores > threshold
    near = np.flatnonzero(np.abs(scores - threshold) < 1e-9)
    n = float(total)
    for j in near:
        pab = ab[j] / n
        keep[j] = math.log(pab / ((a[j] / n) * (b[j] / n))) / -math.log(pab) > threshold
    return keep


def choose(keys: np.ndarray, pair_counts: np.ndarray, counts: np.ndarray, total: int, n_words: int,
           scoring: str, threshold: float, min_count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The bigrams that become phrases: ``(left ids, right ids, counts, scores)``, best score first."""
    m = pair_counts >= min_count
    keys, ab = keys[m], pair_counts[m]
    a, b = keys // n_words, keys % n_words
    ca, cb = counts[a], counts[b]
    ok = (ca >= min_count) & (cb >= min_count)
    keys, ab, a, b, ca, cb = keys[ok], ab[ok], a[ok], b[ok], ca[ok], cb[ok]
    scores = score_pairs(scoring, ab, ca, cb, total, min_count)
    keep = _above(scoring, scores, threshold, ab, ca, cb, total)
    order = np.lexsort((keys[keep], -scores[keep].astype(np.float64)))
    return a[keep][order], b[keep][order], ab[keep][order], scores[keep][order].astype(np.float64)


# -- joining on the id stream --------------------------------------------------------------------------------


def join_ids(ids: np.ndarray, starts: np.ndarray, words: list[str], index: dict[str, int],
             pairs: Iterable[tuple[str, str, str]], out: np.ndarray | None = None,
             threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Join ``(left, right, joined)`` pairs in the stream (greedy, left to right). New words are appended
    to ``words``/``index`` (a joined token that is already a word reuses its id). Returns the new ids
    (a prefix of ``out`` if given) and sentence starts. ``threads`` (default: the CPU count) join
    consecutive ranges at once, cut where no phrase can cross, then close up the gaps."""
    n_words = len(words)
    left, right, value = [], [], []
    for lw, rw, joined in pairs:
        a, b = index.get(lw), index.get(rw)
        if a is None or b is None or a >= n_words or b >= n_words:
            continue
        j = index.get(joined)
        if j is None:
            j = index[joined] = len(words)
            words.append(joined)
        left.append(a)
        right.append(b)
        value.append(j)
    keys = np.array(left, dtype=np.int64) * n_words + np.array(right, dtype=np.int64)
    size = 1 << max(4, (2 * len(keys) + 1).bit_length())
    tkeys, tvals = build_lookup(keys, np.array(value, dtype=np.int32), size)
    if out is None:
        out = np.empty(len(ids), dtype=np.int32)
    new_starts = np.empty_like(starts)
    is_left = np.zeros(n_words, dtype=np.bool_)
    is_left[np.array(left, dtype=np.int64)] = True
    n = len(ids)
    cuts = _safe_cuts(ids, starts, is_left, max(1, min(threads or os.cpu_count() or 1, 8, n // 100_000 or 1)))
    job = list(zip(cuts[:-1], cuts[1:]))

    def run(lohi: tuple[int, int]) -> int:
        return join_pairs(ids, starts, lohi[0], lohi[1], n_words, is_left, tkeys, tvals, out, new_starts)

    if len(job) == 1:
        ends = [run(job[0])]
    else:
        with ThreadPoolExecutor(len(job), thread_name_prefix="w2v-phrases") as pool:
            ends = list(pool.map(run, job))
    base = 0
    for (lo, hi), end in zip(job, ends):  # close up: each range's output moves down to follow the previous one's
        if base != lo:
            out[base:base + end - lo] = out[lo:end]
            a, b = np.searchsorted(starts[:-1], [lo, hi])  # the sentences that start in the range
            new_starts[a:b] -= lo - base
        base += end - lo
    new_starts[np.searchsorted(starts[:-1], n):] = base  # empty sentences at the very end, and the end
    return out[:base], new_starts


def _safe_cuts(ids: np.ndarray, starts: np.ndarray, is_left: np.ndarray, parts: int) -> list[int]:
    """``parts + 1`` positions ``0 .. len(ids)`` that cut the stream into about equal ranges no phrase
    crosses: each cut is a sentence start or follows a token that begins no phrase."""
    n = len(ids)
    cuts = [0]
    for r in range(1, parts):
        c = max(cuts[-1] + 1, r * n // parts)
        while c < n and is_left[ids[c - 1]] and starts[np.searchsorted(starts, c)] != c:
            c += 1
        if c < n:
            cuts.append(c)
    return cuts + [n]


def _scratch(workdir: Path | None, name: str, n: int) -> np.ndarray:
    """An int32 array of ``n``: a file under ``workdir`` (memory-mapped) when there is one."""
    if workdir is None or n == 0:
        return np.empty(n, dtype=np.int32)
    return np.memmap(workdir / name, dtype=np.int32, mode="w+", shape=(n,))


def learn_ids(ids: np.ndarray, starts: np.ndarray, words: list[str], cfg: PhraseConfig,
              workdir: Path | None = None, progress: bool = False, counts: np.ndarray | None = None) -> PhraseTable:
    """Learn a table from an id stream (``words[i]`` is id *i*; ``starts``: sentence starts, ``0`` first and
    ``len(ids)`` last; ``counts``: how often each id occurs, if known)."""
    thresholds = cfg.thresholds()
    threads = cfg.threads or os.cpu_count() or 1
    words = list(words)
    index = {w: i for i, w in enumerate(words)}
    eligible = _eligible(words, cfg.tokenize)
    rows: list[Phrase] = []
    info: list[dict] = []
    t0 = time.perf_counter()
    for p, threshold in enumerate(tqdm(thresholds, desc="phrases", disable=None if progress else True,
                                       leave=False), start=1):
        n_words = len(words)
        if counts is None or len(counts) != n_words:
            counts = np.bincount(ids, minlength=n_words).astype(np.int64)
        # a pair is never counted more often than either word: words below min_count cannot be in a phrase,
        # and leaving their pairs out of the counts changes no phrase (fewer distinct bigrams, fewer prunes)
        frequent = eligible & (counts >= cfg.min_count)
        keys, pair_counts, prunes = count_pairs(ids, starts, frequent, n_words, cfg.memory, threads)
        a, b, ab, scores = choose(keys, pair_counts, counts, len(ids), n_words, cfg.scoring, threshold,
                                  cfg.min_count)
        new = [Phrase(words[x], words[y], int(c), float(s), p)
               for x, y, c, s in zip(a.tolist(), b.tolist(), ab.tolist(), scores.tolist())]
        rows += new
        info.append({"pass": p, "threshold": threshold, "tokens": int(len(ids)), "bigrams": int(len(keys)),
                     "phrases": len(new), "prunes": int(prunes)})
        if p < len(thresholds) and new:
            ids, starts = join_ids(ids, starts, words, index, ((r.left, r.right, r.joined) for r in new),
                                   _scratch(workdir, f"pass-{p}.i32", len(ids)), threads)
            eligible = np.concatenate([eligible, np.ones(len(words) - len(eligible), dtype=np.bool_)])
            counts = None
    settings = {"scoring": cfg.scoring, "threshold": thresholds, "passes": len(thresholds), "min_count": cfg.min_count,
                "tokenize": cfg.tokenize, "lowercase": cfg.lowercase, "delimiter": DELIMITER,
                "approximate": any(x["prunes"] for x in info), "memory_mib": cfg.memory, "per_pass": info,
                "seconds": round(time.perf_counter() - t0, 3)}
    return PhraseTable(rows, settings)


def learn_phrases(corpus: str | os.PathLike, config: PhraseConfig | None = None, progress: bool = True,
                  text_out: str | os.PathLike | None = None, **options) -> PhraseTable:
    """Learn a phrase table from a text corpus (file, directory or ``-``), options as :class:`PhraseConfig`.
    ``text_out``: also write the corpus with the phrases joined (word2phrase's output), read only once."""
    cfg = config.validate() if config is not None else PhraseConfig.from_kwargs(**options)
    parent = nearest_existing(Path(text_out).parent) if text_out is not None else None
    with work_dir(parent, kind="w2v-phrases") as work:
        enc = encode_corpus(corpus, work, 1, None, cfg.lowercase, _LINES, progress, cfg.threads,
                            tokenize=cfg.tokenize)
        table = learn_ids(np.asarray(enc.ids), enc.starts, enc.vocab.words, cfg, work, progress, enc.vocab.counts)
        if text_out is not None:
            ids, starts, words = apply_encoded(table, enc, work, cfg.threads)
            write_text(ids, starts, words, text_out, cfg.threads)
            del ids
        del enc
    table.settings = {"corpus": str(corpus), **table.settings}
    return table


def learn_sentences(sentences: Iterable[list[str]], **options) -> PhraseTable:
    """Learn a phrase table from token lists (one a sentence), options as :class:`PhraseConfig`."""
    cfg = PhraseConfig.from_kwargs(**options)
    index: dict[str, int] = {}
    ids: list[int] = []
    starts = [0]
    for s in sentences:
        if s:
            ids += [index.setdefault(t, len(index)) for t in s]
            starts.append(len(ids))
    return learn_ids(np.array(ids, dtype=np.int32), np.array(starts, dtype=np.int64), list(index), cfg)


# -- applying while encoding ----------------------------------------------------------------------------------


def apply_encoded(table: PhraseTable, enc: EncodedCorpus, workdir: Path,
                  threads: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every pass of ``table`` on an encoded corpus (every word kept, lines uncut): ``(ids, starts, words)``;
    ``threads`` join ranges at once (default: the CPU count)."""
    words = list(enc.vocab.words)
    index = {w: i for i, w in enumerate(words)}
    ids, starts = np.asarray(enc.ids), enc.starts
    for p in range(1, table.passes + 1):
        pairs = [(r.left, r.right, r.joined) for r in table.rows if r.pass_ == p]
        if pairs:
            ids, starts = join_ids(ids, starts, words, index, pairs, _scratch(workdir, f"joined-{p}.i32", len(ids)),
                                   threads)
    return ids, starts, words


def encode_phrased(corpus: str | os.PathLike, workdir: str | os.PathLike, options: CorpusOptions,
                   max_vocab: int | None = None, progress: bool = True, workers: int | None = None) -> EncodedCorpus:
    """:func:`w2v.vocab.encode_corpus` with the phrases of ``options.phrases`` joined before the vocabulary
    is chosen (``min_count``, ``max_vocab`` and ``max_sentence_length`` then apply to the phrased tokens)."""
    workdir = Path(workdir)
    table = PhraseTable.load(options.phrases)
    table.check_options(options, options.phrases)
    enc = encode_corpus(corpus, workdir / "raw", 1, None, options.lowercase, _LINES, progress, workers,
                        tokenize=options.tokenize)
    t0 = time.perf_counter()
    ids, starts, words = apply_encoded(table, enc, workdir, workers)
    counts = np.bincount(ids, minlength=len(words)).astype(np.int64)
    first = np.full(len(words), len(ids), dtype=np.int64)  # first appearance of every token: ties' order
    for c0 in range((len(ids) - 1) // _CHUNK * _CHUNK if len(ids) else -1, -1, -_CHUNK):
        chunk = np.asarray(ids[c0:c0 + _CHUNK])
        first[chunk[::-1]] = np.arange(c0 + len(chunk) - 1, c0 - 1, -1)  # the last write (earliest) wins
    by_first = np.argsort(first, kind="stable")
    keep = by_first[select_vocab(counts[by_first], options.min_count, max_vocab)]
    if len(keep) == 0:
        raise W2VError(f"vocabulary is empty: no word occurs at least min_count={options.min_count} times "
                       f"(largest count {counts.max() if len(counts) else 0}); lower --min-count")
    remap = np.full(len(words), -1, dtype=np.int32)
    remap[keep] = np.arange(len(keep), dtype=np.int32)
    raw_starts = sentence_bounds(starts, len(ids), options.max_sentence_length)
    out_path = workdir / "phrased.i32"

    def chunks():
        for c0 in range(0, len(ids), _CHUNK):
            yield c0, remap[ids[c0:c0 + _CHUNK]]

    with open(out_path, "wb") as out:
        new_starts, kept = write_kept(chunks(), raw_starts, len(ids), out)
    sentence_starts = new_starts[np.concatenate([[True], new_starts[1:] != new_starts[:-1]])]
    vocab = Vocabulary([words[k] for k in keep], counts[keep])
    final = np.memmap(out_path, dtype=np.int32, mode="r") if kept else np.zeros(0, dtype=np.int32)
    stats = {**enc.stats, "tokens": int(counts.sum()), "word_types": int((counts > 0).sum()),
             "vocab_size": len(vocab), "kept_tokens": kept, "sentences": len(sentence_starts) - 1,
             "phrases": {"table": str(options.phrases), "sha1": file_digest(options.phrases),
                         "joined": int(enc.stats["tokens"] - counts.sum()),
                         "seconds": round(time.perf_counter() - t0, 3)}}
    return EncodedCorpus(final, sentence_starts, vocab, stats)


# -- phrased text --------------------------------------------------------------------------------------------


def write_text(ids: np.ndarray, starts: np.ndarray, words: list[str], out: str | os.PathLike,
               threads: int | None = None) -> None:
    """Write an id stream as text (atomically): one sentence a line, tokens separated by a space.
    ``threads`` render consecutive parts of each chunk at once (default: the CPU count)."""
    raw = [w.encode("utf-8", "surrogatepass") for w in words]
    offsets = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in raw], out=offsets[1:])
    arena = np.frombuffer(b"".join(raw), dtype=np.uint8)
    threads = max(1, min(threads or os.cpu_count() or 1, 8))
    buffers = [np.empty(0, dtype=np.uint8) for _ in range(threads)]  # reused: fresh memory is slow to map

    def part(chunk: np.ndarray, ends: np.ndarray, t: int) -> int:
        lo, hi = t * len(chunk) // threads, (t + 1) * len(chunk) // threads
        size = text_bytes(chunk[lo:hi], offsets)
        if len(buffers[t]) < size:
            buffers[t] = np.empty(max(size, 2 * len(buffers[t])), dtype=np.uint8)
        return render(chunk[lo:hi], ends[lo:hi], arena, offsets, buffers[t], 0)[0]

    with atomic_path(out) as tmp, open(tmp, "wb") as fh, ThreadPoolExecutor(threads) as pool:
        for c0 in range(0, len(ids), _CHUNK):
            chunk = np.asarray(ids[c0:c0 + _CHUNK])
            ends = np.zeros(len(chunk), dtype=np.bool_)
            lo, hi = np.searchsorted(starts, [c0 + 1, c0 + len(chunk)], side="left")
            ends[starts[lo:hi + 1][starts[lo:hi + 1] <= c0 + len(chunk)] - 1 - c0] = True
            sizes = list(pool.map(part, [chunk] * threads, [ends] * threads, range(threads)))
            for t, n in enumerate(sizes):
                fh.write(memoryview(buffers[t][:n]))


def apply_text(table: PhraseTable, text: str | os.PathLike, out: str | os.PathLike, progress: bool = True,
               threads: int | None = None) -> dict:
    """Write ``text`` (file, directory or ``-``) with the phrases joined, one sentence (line) a line, tokens
    made by the table's tokenizer and case setting. Returns statistics."""
    options = CorpusOptions(lowercase=bool(table.settings.get("lowercase", False)),
                            tokenize=str(table.settings.get("tokenize", "whitespace")))
    get_tokenizer(options.tokenize)
    with work_dir(nearest_existing(Path(out).parent), kind="w2v-phrases") as work:
        enc = encode_corpus(text, work, 1, None, options.lowercase, _LINES, progress, threads,
                            tokenize=options.tokenize)
        n_in = len(enc.ids)
        ids, starts, words = apply_encoded(table, enc, work, threads)
        write_text(ids, starts, words, out, threads)
        n_out = len(ids)
        del ids, enc
    return {"tokens_in": int(n_in), "tokens_out": int(n_out), "joined": int(n_in - n_out)}


# -- command line -------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.phrases", "Learn a phrase table (word2phrase): frequent bigrams such as 'new york' become "
               "tokens 'new_york'. Apply it with --phrases on w2v.encode/train/svd, or write phrased text with "
               "'python -m w2v.phrases apply PHRASES TEXT --out FILE'.")
    p.add_argument("corpus", help="text file (.gz/.bz2/.xz ok), directory of files, or - for stdin")
    p.add_argument("--out", required=True, help="phrase table to write (text)")
    p.add_argument("--text-out", metavar="FILE", help="also write CORPUS with the phrases joined (as word2phrase "
                   "does; same as 'apply' afterwards, without reading the corpus twice)")
    PhraseConfig.add_arguments(p, skip=("max_sentence_length", "phrases"))
    add_quiet(p)
    return p


def build_apply_parser() -> argparse.ArgumentParser:
    p = parser("w2v.phrases apply", "Write TEXT with the phrases of PHRASES joined (one sentence a line, tokens "
               "made by the table's tokenizer and case setting).")
    p.add_argument("phrases", help="phrase table (python -m w2v.phrases CORPUS --out FILE)")
    p.add_argument("text", help="text file (.gz/.bz2/.xz ok), directory of files, or - for stdin")
    p.add_argument("--out", required=True, help="phrased text file to write")
    p.add_argument("--threads", type=int, default=None, help="threads that read, join and write (default: CPU count)")
    add_quiet(p)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["apply"]:
        return apply_main(argv[1:])
    args = build_parser().parse_args(argv)
    cfg = PhraseConfig.from_args(args)
    inputs = {"corpus": None if args.corpus == "-" else args.corpus}
    check_output_file(args.out, "--out", inputs)
    check_output_file(args.text_out, "--text-out", {**inputs, "--out": args.out})
    with SignalGuard():
        table = learn_phrases(args.corpus, cfg, not args.quiet, args.text_out)
        table.save(args.out)
    if not args.quiet:
        per = ", ".join(f"pass {x['pass']}: {x['phrases']:,}" for x in table.settings["per_pass"])
        print(f"{len(table.rows):,} phrases ({per}) in {table.settings['seconds']:.1f} s -> {args.out}",
              file=sys.stderr)
    if table.settings["approximate"]:
        print(f"warning: the bigram counts outgrew --memory {cfg.memory} MiB and were pruned (word2phrase's "
              "rule): counts are approximate; give more --memory for exact ones", file=sys.stderr)
    return 0


def apply_main(argv: list[str]) -> int:
    args = build_apply_parser().parse_args(argv)
    if args.threads is not None and args.threads < 1:
        raise W2VError(f"invalid --threads {args.threads}: must be >= 1")
    table = PhraseTable.load(args.phrases)
    check_output_file(args.out, "--out", {"PHRASES": args.phrases, "TEXT": None if args.text == "-" else args.text})
    with SignalGuard():
        stats = apply_text(table, args.text, args.out, not args.quiet, args.threads)
    if not args.quiet:
        print(f"{stats['tokens_in']:,} tokens -> {stats['tokens_out']:,} ({stats['joined']:,} joins) -> {args.out}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_cli(main)
