"""Start a training run from an existing table (``python -m w2v.train NEW_CORPUS --from MODEL``).

The run's vocabulary is the model's words followed by the new corpus's words (``--vocab``):

* ``union`` (default): every word of the model, then the new corpus's other words that reach
  ``--min-count``, by descending count;
* ``model``: the model's words only (the new corpus's other words are dropped from the text);
* ``new``: the model's words the new corpus holds ``--min-count`` times, then its other words as in union.

Old words keep their order and come first, so with ``union`` and ``model`` every old word keeps its
row id (``new`` drops the old words the corpus lacks, and the ids close up). Old rows start from the
model's input vectors, and from its output vectors when it is a w2v model saved with ``context.npy``
(otherwise the output side starts at zero, as a fresh run's does: the first updates then barely move
the old input rows while the output rows are learned, so part of the first epoch is spent on that).
New rows start as a fresh run's would. The noise distribution and subsampling use the old and new
counts added up (``--counts merged``) or the new corpus's alone (``--counts new``; old words it lacks
are then never drawn as noise). ``--freeze-old`` keeps the old input rows fixed: only new words'
vectors (and the output vectors) move, so a table others depend on only grows.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import tokenize as tokenizers
from .cli import Options, option
from .encode import is_encoded, load_encoded, open_corpus, remap
from .errors import W2VError
from .formats import load
from .phrases import file_digest
from .resume import RunState
from .safety import check_finite_rows
from .vectors import Vectors
from .vocab import EmptyCorpus, EncodedCorpus, Vocabulary

#: The recorded settings of the starting model copied into the lineage.
_SETTINGS = ("method", "corpus", "dim", "window", "negative", "epochs", "alpha", "min_count", "sample",
             "tokenize", "lowercase", "cbow", "seed", "max_vocab")
_BLOCK = 1 << 16  # rows blended (or hashed) at a time


@dataclass
class StartOptions(Options):
    """How a run started from a table builds its vocabulary and counts (only with ``--from``)."""

    vocab: str = option("union", "with --from: the run's words: union (the model's, then the new corpus's "
                        "reaching --min-count), model (the model's only), new (the new corpus's only)",
                        choices=("union", "model", "new"))
    counts: str = option("merged", "with --from: counts for the noise distribution and subsampling: merged "
                         "(model's + new corpus's) or new (the new corpus's)", choices=("merged", "new"))
    freeze_old: bool = option(False, "with --from: keep the model's input rows fixed; train only new words")
    blend_old: bool = option(False, "with --from: end with each old row moved back toward the model's, "
                             "weighted by the words each side learned from (the model's count total against the "
                             "new corpus's tokens): a table of both texts, where plain continuing forgets part of "
                             "the model's text")
    mixed_tokenizers: bool = option(False, "with --from: accept a model recorded with another tokenizer than "
                                    "--tokenize (a warning instead of an error; e.g. text8-style words continued "
                                    "on raw text)")


@dataclass
class Start:
    """A run's starting point: the new corpus encoded to the merged vocabulary, the tables, the lineage."""

    enc: EncodedCorpus
    state: RunState
    frozen: int  # input rows below this do not move
    lineage: dict
    blend: Blend | None = None


@dataclass
class Blend:
    """``--blend-old``: at the end of the run each row that came from ``model`` becomes
    ``trained + weight * (model row - trained)`` (input rows, n-gram rows and output rows alike).

    ``weight`` is the model's share of the words both tables learned from (``model_words`` against the new
    corpus's ``new_words``), so the result weighs each text by its size as training on both would; a row
    that did not move stays exactly as it was."""

    model: Vectors
    rows: np.ndarray  # the model row of each old word of the run (merged row i < len(rows))
    model_words: int
    new_words: int
    subwords: bool

    @property
    def weight(self) -> float:
        return self.model_words / (self.model_words + self.new_words)

    def _parts(self) -> list[tuple[np.ndarray, np.ndarray, str, bool]]:
        """``(model table, its rows, "syn0"/"syn1", after the word rows)`` of each blended block."""
        table = self.model.ngrams if self.subwords else self.model.matrix
        parts = [(table, self.rows, "syn0", False)]
        if self.subwords:  # the n-gram rows follow the word rows in both tables
            parts.append((table, np.arange(len(self.model.words), table.shape[0]), "syn0", True))
        if self.model.context is not None:
            parts.append((self.model.context, self.rows, "syn1", False))
        return parts

    def digest(self) -> str:
        """SHA-1 of the model rows the blend uses (a resumed run checks that its model is still the same)."""
        h = hashlib.sha1()
        for table, rows, _, _ in self._parts():
            for c0 in range(0, len(rows), _BLOCK):
                h.update(np.ascontiguousarray(table[rows[c0:c0 + _BLOCK]], dtype=np.float32).tobytes())
        return h.hexdigest()

    def apply(self, state: RunState, n_words: int) -> None:
        """Blend ``state``'s tables in place (``n_words``: the run's vocabulary size; n-gram rows follow)."""
        w = np.float32(self.weight)
        for table, rows, side, after_words in self._parts():
            dest, first = getattr(state, side), n_words if after_words else 0
            for c0 in range(0, len(rows), _BLOCK):  # in blocks: the n-gram table may be large
                trained = dest[first + c0:first + min(len(rows), c0 + _BLOCK)]
                trained += w * (np.asarray(table[rows[c0:c0 + _BLOCK]], dtype=np.float32) - trained)

    def record(self, where: str) -> dict:
        """The ``start_from.blend_old`` entry of ``config.json`` (what a resumed run needs to blend again;
        ``where``: the model's path)."""
        return {"model": where, "weight": self.weight, "model_words": self.model_words,
                "new_words": self.new_words, "digest": self.digest()}


def blend_for(vec: Vectors, rows: np.ndarray, new_words: int, subwords: bool, model) -> Blend:
    """The :class:`Blend` of a run from ``vec`` (its rows ``rows``) on ``new_words`` tokens of new text."""
    model_words = int(np.asarray(vec.counts, dtype=np.int64).sum())
    if model_words <= 0:
        raise W2VError(f"--blend-old needs the word counts of --from {model} (a w2v model directory or a fastText "
                       ".bin has them): it has none, so the two texts cannot be weighed")
    return Blend(vec, np.asarray(rows, dtype=np.int64), model_words, max(0, int(new_words)), subwords)


def reload_blend(lineage: dict, words: list[str], subwords: bool) -> Blend:
    """The :class:`Blend` of a resumed ``--from --blend-old`` run: its model loaded again and checked."""
    info = lineage["blend_old"]
    model = info["model"]
    try:
        vec = load(model, mmap=True, context=True)
    except W2VError as exc:
        raise W2VError(f"the run blends with its starting table {model} at the end, which cannot be read now: "
                       f"{exc}") from None
    index, old = vec.vocab.index, words[:lineage["old_words"]]
    changed = (f"the run blends with its starting table {model} at the end, but that table has changed since the "
               "run began")
    if any(w not in index for w in old):
        raise W2VError(changed)
    blend = Blend(vec, np.array([index[w] for w in old], dtype=np.int64), info["model_words"], info["new_words"],
                  subwords)
    if blend.digest() != info["digest"]:
        raise W2VError(changed)
    return blend


def merge_vocab(old_words: list[str], old_counts: np.ndarray, new: Vocabulary, min_count: int, mode: str = "union",
                counts: str = "merged", max_vocab: int | None = None) -> tuple[Vocabulary, np.ndarray, np.ndarray]:
    """The merged vocabulary: ``(vocabulary, old_rows, mapping)``.

    ``old_rows[i]`` is the model row of merged word *i* for ``i < len(old_rows)`` (old words first, in
    the model's order); ``mapping[j]`` is the merged id of the new corpus's word *j* (-1: dropped).
    ``new`` must be sorted by descending count (as every encoding is), so new words come by count.
    """
    index = new.index
    new_count = np.array([new.counts[index[w]] if w in index else 0 for w in old_words], dtype=np.int64)
    if mode == "new":
        old_rows = np.flatnonzero(new_count >= min_count)
    else:
        old_rows = np.arange(len(old_words))
    known = set(old_words)
    added = [] if mode == "model" else [j for j, (w, c) in enumerate(zip(new.words, new.counts))
                                        if c >= min_count and w not in known]
    if max_vocab is not None:
        added = added[:max(0, max_vocab - len(old_rows))]
    words = [old_words[i] for i in old_rows] + [new.words[j] for j in added]
    base = np.asarray(old_counts, dtype=np.int64)[old_rows] if counts == "merged" else 0
    merged = np.concatenate([base + new_count[old_rows], new.counts[added]]).astype(np.int64)
    vocab = Vocabulary(words, merged)
    mapping = np.array([vocab.index.get(w, -1) for w in new.words], dtype=np.int32)
    return vocab, old_rows.astype(np.int64), mapping


def load_model(model: str | os.PathLike | Vectors) -> Vectors:
    """The starting table, with its output vectors when a w2v model directory holds them."""
    vec = load(model, context=True)
    check_finite_rows(vec.matrix, vec.words, f"--from {model}")
    if vec.context is not None:
        check_finite_rows(vec.context, vec.words, f"--from {model} (context.npy)")
    return vec


def check_model(vec: Vectors, cfg, model, mixed_tokenizers: bool = False, freeze_old: bool = False) -> None:
    """Refuse a starting table that does not fit the run: another dimension, another tokenizer (only
    warned about with ``mixed_tokenizers``), n-grams cut otherwise; warn about other phrases."""
    if vec.dim != cfg.dim:
        raise W2VError(f"--from {model} has {vec.dim} dimensions but --dim is {cfg.dim}; give --dim {vec.dim} "
                       "or leave --dim out")
    info = vec.info if isinstance(vec.info, dict) else {}
    made_by = tokenizers.of_config(info)
    if made_by not in ("unknown", cfg.tokenize):
        if mixed_tokenizers:
            tokenizers.check_match(made_by, cfg.tokenize, f"--from {model} table")
        else:
            raise W2VError(f"--from {model} was trained on words of the {made_by!r} tokenizer, this run's are "
                           f"{cfg.tokenize!r}: words split differently would not match; give --tokenize {made_by}, "
                           "or --mixed-tokenizers if that is meant")
    if "lowercase" in info and "corpus" in info and bool(info["lowercase"]) != bool(cfg.lowercase):
        print(f"warning: --from {model} was trained with lowercase={bool(info['lowercase'])}, this run has "
              f"{bool(cfg.lowercase)}; words cased differently will not match", file=sys.stderr)
    _check_phrases(info, cfg, model)
    _check_subwords(vec, cfg, model, freeze_old)


def _check_phrases(info: dict, cfg, model) -> None:
    """Warn when the model's text was phrased with another table than this run's (or only one of them
    was): phrase tokens such as ``new_york`` of one side never occur in the other's text."""
    stats = info.get("corpus_stats") if isinstance(info.get("corpus_stats"), dict) else {}
    had = stats.get("phrases") if isinstance(stats.get("phrases"), dict) else None
    given = file_digest(cfg.phrases) if cfg.phrases is not None else None
    if had is None or had.get("sha1") == given:
        return
    name = had.get("table", "a phrase table")
    if given is None:
        print(f"warning: --from {model} was trained on text joined with the phrases of {name}, this run has no "
              f"--phrases: its phrase tokens (such as new_york) will not occur in the new text and stay as they "
              f"are; give --phrases {name} to join the same phrases", file=sys.stderr)
    else:
        print(f"warning: --from {model} was trained with the phrases of {name}, this run joins those of "
              f"{cfg.phrases} (another table): phrases only one of them joins are trained on one side only",
              file=sys.stderr)


def _check_subwords(vec: Vectors, cfg, model, freeze_old: bool) -> None:
    """A subword run starts from a table with n-grams cut the same way; a plain run from a subword table
    keeps its composed word vectors and drops the n-grams (said)."""
    spec = vec.subword_spec
    if not cfg.subwords:
        if spec is not None:
            print(f"note: --from {model} has character n-grams; without --subwords this run trains a plain "
                  "word table from its composed word vectors (the n-gram table is not carried on)", file=sys.stderr)
        return
    if spec is None:
        raise W2VError(f"--from {model} has no character n-gram table (not a --subwords model or fastText .bin): "
                       "a --subwords run cannot start from it; train without --subwords, or from scratch")
    if (spec.minn, spec.maxn, spec.buckets) != (cfg.minn, cfg.maxn, cfg.buckets if cfg.maxn else 0):
        raise W2VError(f"--from {model} cuts n-grams with --minn {spec.minn} --maxn {spec.maxn} --buckets "
                       f"{spec.buckets}, this run with --minn {cfg.minn} --maxn {cfg.maxn} --buckets {cfg.buckets}: "
                       "give the model's (or leave them out)")
    if freeze_old:
        raise W2VError("--freeze-old does not go with --subwords: old and new words share the n-gram rows, so "
                       "training new words moves the old words' vectors")


def _encode_all(corpus, cfg, workdir, cache_dir, progress: bool) -> EncodedCorpus:
    """The new corpus with every word an id (min_count 1: an old word rarer than --min-count there still
    trains; an encoded corpus at the min_count it was encoded with); an empty corpus gives an empty one."""
    floor = load_encoded(corpus)[1].get("options", {}).get("min_count", 1) if is_encoded(corpus) else 1
    try:
        return open_corpus(corpus, replace(cfg, min_count=min(floor, cfg.min_count)), None, workdir, cache_dir,
                           progress)
    except EmptyCorpus:  # nothing new to learn: the run gives back the table (--vocab model, union)
        return EncodedCorpus(np.zeros(0, np.int32), np.zeros(1, np.int64), Vocabulary([], np.zeros(0, np.int64)),
                             {"tokens": 0, "kept_tokens": 0, "sentences": 0, "vocab_size": 0})


def encode_to(corpus, words: list[str], counts: np.ndarray, cfg, workdir, cache_dir=None,
              progress: bool = True) -> EncodedCorpus:
    """``corpus`` encoded to a given vocabulary (a resumed run that was started from a table)."""
    full = _encode_all(corpus, cfg, workdir, cache_dir, progress)
    _, _, mapping = merge_vocab(words, counts, full.vocab, cfg.min_count, "model", "new")
    return remap(full, mapping, Vocabulary(list(words), np.asarray(counts, dtype=np.int64)),
                 Path(workdir) / "merged")


def prepare(model: str | os.PathLike | Vectors, corpus, cfg, opts: StartOptions, workdir, cache_dir=None,
            progress: bool = True, vec: Vectors | None = None) -> Start:
    """Encode ``corpus`` to the vocabulary merged from ``model`` and it, and seed the tables (see the module)."""
    t0 = time.perf_counter()
    vec = load_model(model) if vec is None else vec
    check_model(vec, cfg, model, opts.mixed_tokenizers, opts.freeze_old)
    full = _encode_all(corpus, cfg, workdir, cache_dir, progress)
    vocab, old_rows, mapping = merge_vocab(vec.words, vec.counts, full.vocab, cfg.min_count, opts.vocab,
                                           opts.counts, cfg.max_vocab)
    if len(vocab) == 0:
        raise W2VError(f"the vocabulary is empty: the new corpus holds none of the words of --from {model} "
                       f"--min-count ({cfg.min_count}) times (--vocab new)")
    enc = remap(full, mapping, vocab, Path(workdir) / "merged")
    del full
    n_old, V = len(old_rows), len(vocab)
    rng = np.random.default_rng(cfg.seed)
    spec = vec.subword_spec if cfg.subwords else None
    buckets = spec.buckets if spec is not None else 0
    syn0 = np.empty((V + buckets, cfg.dim), dtype=np.float32)  # with --subwords: word rows, then n-gram rows
    syn0[:n_old] = np.asarray(vec.ngrams if spec is not None else vec.matrix)[old_rows]
    syn0[n_old:V] = (rng.random((V - n_old, cfg.dim), dtype=np.float32) - 0.5) / cfg.dim
    if buckets:
        syn0[V:] = vec.ngrams[len(vec.words):]
    syn1 = np.zeros((V, cfg.dim), dtype=np.float32)
    if vec.context is not None:
        syn1[:n_old] = np.asarray(vec.context)[old_rows]
    elif progress:
        print(f"note: --from {model} has no output vectors (a w2v model saved with --save-context has): the "
              "output side starts at zero, so the first updates barely move the old rows while it is learned "
              "(measured: ~0.7 analogy point on half of text8like continued on the other half)",
              file=sys.stderr)
    info = vec.info if isinstance(vec.info, dict) else {}
    lineage = {
        "model": str(model) if not isinstance(model, Vectors) else info.get("source", "<Vectors>"),
        "model_settings": {k: info[k] for k in _SETTINGS if k in info},
        "model_start_from": info.get("start_from"),  # the chain, when the model itself was continued
        "vocab": opts.vocab, "counts": opts.counts, "freeze_old": opts.freeze_old,
        "mixed_tokenizers": opts.mixed_tokenizers,
        "model_words": len(vec.words), "old_words": n_old, "new_words": V - n_old,
        "output_vectors": "model" if vec.context is not None else "zero",
        "merge_seconds": round(time.perf_counter() - t0, 3),
    }
    blend = None
    if opts.blend_old:  # the model's rows are needed again at the end: memory-mapped when it is a model directory
        kept = load(model, mmap=True, context=True) if isinstance(model, (str, os.PathLike)) else vec
        blend = blend_for(kept, old_rows, len(enc.ids), spec is not None, model)
        lineage["blend_old"] = blend.record(os.path.abspath(model) if isinstance(model, (str, os.PathLike))
                                            else lineage["model"])
    return Start(enc, RunState(syn0, syn1), n_old if opts.freeze_old else 0, lineage, blend)

