"""Train an embedding table with skip-gram (or CBOW) and negative sampling.

The corpus is encoded to int32 ids once (:mod:`w2v.vocab`); every epoch then runs over the
memory-mapped ids. Worker threads take jobs (runs of sentences, ~10k words each) in order
and call the compiled kernel, which releases the GIL; the main thread meanwhile updates the
progress bar. Each job seeds its own generator from (seed, epoch, job), so with one thread
a run is bit-for-bit reproducible.

CLI: ``python -m w2v.train CORPUS [--out DIR] [options]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
import types
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import __version__
from .errors import ArgumentParser, W2VError, run_cli
from .outdir import save_model
from .tokenize import TOKENIZERS
from .vocab import EncodedCorpus, Vocabulary, encode_corpus, keep_probabilities, noise_distribution

JOB_WORDS = 10_000


@dataclass
class TrainConfig:
    """Every training hyperparameter, validated in one place (:meth:`validate`)."""

    dim: int = 100
    window: int = 5
    negative: int = 5
    epochs: int = 5
    alpha: float = 0.025
    min_alpha: float = 0.0001
    sample: float = 1e-3
    ns_exponent: float = 0.75
    min_count: int = 5
    max_vocab: int | None = None
    cbow: bool = False
    shared_negatives: bool = True
    threads: int = os.cpu_count() or 1
    seed: int = 1
    lowercase: bool = False
    max_sentence_length: int = 10_000
    save_context: bool = False
    tokenize: str = "whitespace"

    def validate(self) -> TrainConfig:
        """Raise :class:`W2VError` naming the first invalid option and how to fix it."""
        checks = [
            (self.dim > 0, "dim must be > 0"),
            (self.window >= 1, "window must be >= 1"),
            (self.negative >= 0, "negative must be >= 0"),
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.alpha > 0, "alpha must be > 0"),
            (0 <= self.min_alpha <= self.alpha, "min_alpha must be between 0 and alpha"),
            (self.sample >= 0, "sample must be >= 0 (0 disables subsampling)"),
            (np.isfinite(self.ns_exponent), "ns_exponent must be a finite number"),
            (self.min_count >= 1, "min_count must be >= 1"),
            (self.max_vocab is None or self.max_vocab >= 1, "max_vocab must be >= 1"),
            (self.threads >= 1, "threads must be >= 1"),
            (self.max_sentence_length >= 1, "max_sentence_length must be >= 1"),
            (self.seed >= 0, "seed must be >= 0"),
            (self.tokenize in TOKENIZERS, f"tokenize must be one of {', '.join(TOKENIZERS)}"),
        ]
        for ok, message in checks:
            if not ok:
                name = message.split()[0]
                value = getattr(self, name)
                raise W2VError(f"invalid --{name.replace('_', '-')} {value}: {message}")
        return self


def job_bounds(starts: np.ndarray, job_words: int = JOB_WORDS) -> np.ndarray:
    """Sentence indices that cut the corpus into jobs of about ``job_words`` words each."""
    n_sent = len(starts) - 1
    if n_sent <= 0:
        return np.zeros(1, dtype=np.int64)
    block = starts[:-1] // job_words
    cuts = np.flatnonzero(np.diff(block)) + 1
    return np.concatenate([[0], cuts, [n_sent]]).astype(np.int64)


@dataclass
class TrainResult:
    """What :func:`train` returns: the table, its vocabulary and the run's metadata."""

    embeddings: np.ndarray
    vocab: Vocabulary
    context: np.ndarray
    info: dict


def _run_epochs(enc: EncodedCorpus, cfg: TrainConfig, progress: bool) -> tuple[np.ndarray, np.ndarray, dict]:
    from . import kernels  # imported here: numba compiles on first use, not on `import w2v`

    V, dim = len(enc.vocab), cfg.dim
    rng = np.random.default_rng(cfg.seed)
    syn0 = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    syn1 = np.zeros((V, dim), dtype=np.float32)
    keep = keep_probabilities(enc.vocab.counts, cfg.sample)
    alias_prob, alias_idx = kernels.build_alias(noise_distribution(enc.vocab.counts, cfg.ns_exponent))
    bounds = job_bounds(enc.starts)
    n_jobs = len(bounds) - 1
    corpus_words = len(enc.ids)
    total_words = cfg.epochs * corpus_words

    epoch_loss: list[float] = []
    epoch_seconds: list[float] = []
    words_trained = 0
    bar = tqdm(total=total_words, unit="w", unit_scale=True, desc="train", disable=None if progress else True,
               dynamic_ncols=True, smoothing=0.1)
    # An empty job first: numba compiles (or loads its cache) here, outside the timed epochs.
    t_compile = time.perf_counter()
    kernels.train_job(syn0, syn1, enc.ids, enc.starts, 0, 0, keep, alias_prob, alias_idx, cfg.window, cfg.negative,
                      cfg.cbow, cfg.shared_negatives, cfg.alpha, cfg.min_alpha, 0, total_words, 0)
    compile_seconds = time.perf_counter() - t_compile
    t_start = time.perf_counter()
    for epoch in range(cfg.epochs):
        t_epoch = time.perf_counter()
        lock = threading.Lock()
        next_job = iter(range(n_jobs))
        tally = np.zeros((cfg.threads, 4), dtype=np.float64)  # nll, pairs, words, trained
        errors: list[BaseException] = []

        def worker(tid: int, epoch: int = epoch, next_job=next_job, lock=lock, tally=tally,
                   errors=errors) -> None:
            try:
                while True:
                    with lock:
                        j = next(next_job, None)
                    if j is None:
                        return
                    s0, s1 = int(bounds[j]), int(bounds[j + 1])
                    seed = (cfg.seed * 1_000_003 + epoch) * 10_000_019 + j
                    nll, pairs, done, trained = kernels.train_job(
                        syn0, syn1, enc.ids, enc.starts, s0, s1, keep, alias_prob, alias_idx,
                        cfg.window, cfg.negative, cfg.cbow, cfg.shared_negatives, cfg.alpha,
                        cfg.min_alpha, epoch * corpus_words + int(enc.starts[s0]), total_words,
                        seed % (1 << 63),
                    )
                    tally[tid] += (nll, pairs, done, trained)
            except BaseException as exc:  # surfaced in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(cfg.threads)]
        for t in threads:
            t.start()
        shown = 0
        while any(t.is_alive() for t in threads):
            threads[0].join(0.1)
            done = int(tally[:, 2].sum())
            pairs = tally[:, 1].sum()
            if done > shown:
                bar.update(done - shown)
                shown = done
                lr = kernels.learning_rate(epoch * corpus_words + done, total_words, cfg.alpha, cfg.min_alpha)
                bar.set_postfix_str(
                    f"epoch {epoch + 1}/{cfg.epochs} lr {lr:.5f} loss {tally[:, 0].sum() / max(pairs, 1):.4f}",
                    refresh=False)
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        bar.update(int(tally[:, 2].sum()) - shown)
        epoch_loss.append(float(tally[:, 0].sum() / max(tally[:, 1].sum(), 1)))
        epoch_seconds.append(time.perf_counter() - t_epoch)
        words_trained += int(tally[:, 3].sum())
    bar.close()
    seconds = time.perf_counter() - t_start
    info = {
        "epoch_loss": epoch_loss,
        "epoch_seconds": [round(s, 3) for s in epoch_seconds],
        "train_seconds": round(seconds, 3),
        "words_per_second": round(total_words / max(seconds, 1e-9)),
        "words_trained_after_subsampling": words_trained,
        "jobs_per_epoch": n_jobs,
        "compile_seconds": round(compile_seconds, 3),
    }
    return syn0, syn1, info


def train(corpus: str | os.PathLike, out: str | os.PathLike | None = None, progress: bool = True,
          cache_dir: str | os.PathLike | None = None, **options) -> TrainResult:
    """Learn an embedding table from ``corpus`` (file, directory or ``-``).

    ``options`` are the fields of :class:`TrainConfig` (``dim``, ``window``, ``negative``,
    ``epochs``, ``alpha``, ``min_alpha``, ``sample``, ``ns_exponent``, ``min_count``,
    ``max_vocab``, ``cbow``, ``shared_negatives``, ``threads``, ``seed``, ``lowercase``,
    ``max_sentence_length``, ``save_context``, ``tokenize``). With ``out``, the table is also saved there
    (``embeddings.npy``, ``vocab.txt``, ``config.json``; ``context.npy`` with
    ``save_context``). The encoded ids live in a temporary directory under ``cache_dir``
    (default: the system's) and are removed afterwards.
    """
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise W2VError(f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    cfg = TrainConfig(**options).validate()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="w2v-ids-", dir=cache_dir) as workdir:
        enc = encode_corpus(corpus, workdir, cfg.min_count, cfg.max_vocab, cfg.lowercase,
                            cfg.max_sentence_length, progress, tokenize=cfg.tokenize)
        if progress and enc.stats["invalid_utf8"]:
            print(f"warning: replaced {enc.stats['invalid_utf8']} invalid UTF-8 sequence(s) in {corpus}",
                  file=sys.stderr)
        syn0, syn1, run_info = _run_epochs(enc, cfg, progress)
        del enc.ids
    info = {
        "method": "cbow" if cfg.cbow else "sgns",
        "corpus": str(corpus),
        **asdict(cfg),
        "corpus_stats": enc.stats,
        **run_info,
        "total_seconds": round(time.perf_counter() - t0, 3),
        "versions": _versions(),
    }
    result = TrainResult(syn0, enc.vocab, syn1, info)
    if out is not None:
        save_model(out, syn0, enc.vocab.words, enc.vocab.counts, info, syn1 if cfg.save_context else None)
    return result


def _versions() -> dict:
    import numba

    return {"w2v": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__, "platform": platform.platform()}


def default_out(corpus: str) -> Path:
    """``corpus`` → ``<name>-w2v`` in the current directory (``stdin-w2v`` for ``-``)."""
    if corpus == "-":
        return Path("stdin-w2v")
    name = Path(corpus.rstrip("/")).name
    for suffix in (".gz", ".bz2", ".xz", ".txt"):
        name = name.removesuffix(suffix)
    return Path(f"{name or 'corpus'}-w2v")


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = ArgumentParser(
        prog="python -m w2v.train",
        description="Learn a word-embedding table with skip-gram negative sampling (or CBOW).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("corpus", help="text file (.gz/.bz2/.xz ok), directory of files, or - for stdin")
    p.add_argument("--out", help="output directory (default: <corpus name>-w2v)")
    p.add_argument("--dim", type=int, default=d.dim, help="vector dimensionality")
    p.add_argument("--window", type=int, default=d.window, help="max context distance (reduced at random)")
    p.add_argument("--negative", type=int, default=d.negative, help="noise words per positive pair")
    p.add_argument("--epochs", type=int, default=d.epochs, help="passes over the corpus")
    p.add_argument("--alpha", type=float, default=d.alpha, help="initial learning rate")
    p.add_argument("--min-alpha", type=float, default=d.min_alpha, help="final learning rate")
    p.add_argument("--sample", type=float, default=d.sample, help="subsampling threshold (0 = off)")
    p.add_argument("--ns-exponent", type=float, default=d.ns_exponent, help="noise distribution exponent")
    p.add_argument("--min-count", type=int, default=d.min_count, help="drop words rarer than this")
    p.add_argument("--max-vocab", type=int, default=None, help="keep only the N most frequent words")
    p.add_argument("--cbow", action="store_true", help="CBOW (mean of context) instead of skip-gram")
    p.add_argument("--per-pair-negatives", dest="shared_negatives", action="store_false",
                   help="skip-gram: fresh noise words for every (centre, context) pair, as word2vec's C code "
                        "(default: one set per centre word, shared by its context words; Ji et al. 2016)")
    p.add_argument("--threads", type=int, default=d.threads, help="worker threads")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed")
    p.add_argument("--lowercase", action="store_true", help="lowercase the text before tokenizing")
    p.add_argument("--tokenize", choices=list(TOKENIZERS), default=d.tokenize,
                   help="how lines become tokens: whitespace (text8-style corpora), words (lowercased words with "
                   "inner apostrophes and punctuation marks: raw text, the classifier's rule), words-cased")
    p.add_argument("--max-sentence-length", type=int, default=d.max_sentence_length,
                   help="cut longer lines into chunks of this many tokens")
    p.add_argument("--save-context", action="store_true", help="also save the output vectors (context.npy)")
    p.add_argument("--cache-dir", help="where to keep the encoded corpus while training (default: system temp)")
    p.add_argument("--neighbors", nargs="*", default=None, metavar="WORD",
                   help="after training, print nearest neighbours of these words")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    return p


def _neighbours(emb: np.ndarray, vocab: Vocabulary, words: list[str], topn: int = 8) -> list[str]:
    from .vectors import Vectors

    vec = Vectors(emb, vocab.words, vocab.counts)
    return [f"{w}: " + ", ".join(f"{n} {c:.2f}" for n, c in vec.most_similar(w, topn=topn)) if w in vec
            else f"{w}: not in vocabulary" for w in words]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    opts = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    out = Path(args.out) if args.out else default_out(args.corpus)
    if out.exists() and not out.is_dir():
        raise W2VError(f"--out {out} exists and is not a directory")
    if args.cache_dir and not Path(args.cache_dir).is_dir():
        raise W2VError(f"--cache-dir {args.cache_dir} is not a directory")
    result = train(args.corpus, out=out, progress=not args.quiet, cache_dir=args.cache_dir, **opts)
    if not args.quiet:
        info = result.info
        st = info["corpus_stats"]
        print(f"{info['method']}: {st['tokens']:,} tokens, {len(result.vocab):,} words x {args.dim} dims, "
              f"{info['epochs']} epochs in {info['train_seconds']:.1f}s "
              f"({info['words_per_second']:,.0f} words/s), final loss {info['epoch_loss'][-1]:.4f} -> {out}/")
    if args.neighbors:
        print("\n".join(_neighbours(result.embeddings, result.vocab, args.neighbors)))
    return 0


class _CallableModule(types.ModuleType):
    """Lets ``w2v.train(corpus, ...)`` work even after the ``w2v.train`` module is imported
    (a submodule import rebinds the package attribute to the module)."""

    def __call__(self, *args, **kwargs) -> TrainResult:
        return train(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    run_cli(main)
