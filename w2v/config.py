"""The trainer's options, defined once: every field is a CLI option with its default, bounds and help.

Both engines take a :class:`TrainConfig`: threads on one machine (:mod:`w2v.train`) and a Dask
cluster (:mod:`w2v.cluster`), so it lives apart from either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .cli import SEED, option
from .vocab import CorpusOptions


@dataclass
class TrainConfig(CorpusOptions):
    """Every training hyperparameter, defined once: default, bounds and help (the CLI is generated)."""

    dim: int = option(100, "vector dimensionality", lo=1, hi=100_000)
    window: int = option(5, "max context distance (reduced at random)", lo=1, hi=10_000)
    negative: int = option(5, "noise words per positive pair", lo=0, hi=1_000)
    epochs: int = option(5, "passes over the corpus (0 only with --from: the table as it is)", lo=0, hi=100_000)
    alpha: float | None = option(None, "initial learning rate (default 0.025; 0.05 with --subwords, as fastText)",
                                 above=0, below=1)
    min_alpha: float = option(0.0001, "final learning rate", lo=0, below=1)
    sample: float = option(1e-3, "subsampling threshold (0 = off)", lo=0, hi=1)
    ns_exponent: float | None = option(None, "noise distribution exponent: noise words drawn by count**exponent "
                                       "(default 0.75, word2vec's; 0.5 with --subwords, fastText's)", lo=-10, hi=10)
    max_vocab: int | None = option(None, "keep only the N most frequent words", lo=1, all_zero=True)
    cbow: bool = option(False, "CBOW (mean of context) instead of skip-gram")
    shared_negatives: bool = option(
        True, "skip-gram: fresh noise words for every (centre, context) pair, as word2vec's C code (default: one "
        "set per centre word, shared by its context words; Ji et al. 2016; --subwords always draws per pair, as "
        "fastText)", flag="--per-pair-negatives")
    threads: int = option(os.cpu_count() or 1, "worker threads", lo=1, hi=4096)
    seed: int = option(SEED, "random seed", lo=0, below=2**63)
    save_context: bool = option(False, "also save the output vectors (context.npy)")
    subwords: bool = option(False, "fastText-style subwords: a word's input vector is the mean of its own row and "
                            "its hashed character n-gram rows, so any string gets a vector (ngrams.npy)")
    minn: int = option(3, "with --subwords: shortest character n-gram", lo=1, hi=100)
    maxn: int = option(6, "with --subwords: longest character n-gram (0 = no n-grams)", lo=0, hi=100)
    buckets: int = option(2_000_000, "with --subwords: hash buckets (rows) for the n-grams", lo=0, hi=2**31 - 1)

    def check(self) -> None:
        if self.subwords:  # one shared set per centre word costs subword skip-gram ~12 analogy points
            self.shared_negatives = False
        if self.alpha is None:
            self.alpha = 0.05 if self.subwords else 0.025
        if self.ns_exponent is None:
            self.ns_exponent = 0.5 if self.subwords else 0.75
        if self.min_alpha > self.alpha:
            self.fail("min_alpha", f"must not exceed --alpha {self.alpha}")
        if self.subwords and self.maxn and self.minn > self.maxn:
            self.fail("minn", f"must not exceed --maxn {self.maxn}: no n-gram length fits")
        if self.subwords and self.maxn and self.buckets == 0:
            self.fail("buckets", "must be at least 1 with n-grams (--maxn > 0); fastText uses 2,000,000")
