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
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .cli import SEED, add_corpus, add_quiet, option, parser, run_cli
from .encode import open_corpus
from .errors import W2VError
from .outdir import versions
from .vectors import Vectors
from .vocab import CorpusOptions, EncodedCorpus, keep_probabilities, noise_distribution

JOB_WORDS = 10_000
HELDOUT_TOKENS = 50_000  # held out of training at the end of the corpus (at most 1 % of it) to score each epoch


def heldout_split(starts: np.ndarray, n_tokens: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Sentence starts of the part trained on and of the held-out tail: the last
    ``min(HELDOUT_TOKENS, n_tokens // 100)`` tokens (a sentence straddling the cut is cut)."""
    held = min(HELDOUT_TOKENS, n_tokens // 100)
    if held == 0:
        return starts, None
    cut = n_tokens - held
    return np.append(starts[starts < cut], cut), np.concatenate([[cut], starts[starts > cut]])


@dataclass
class TrainConfig(CorpusOptions):
    """Every training hyperparameter, defined once: default, bounds and help (the CLI is generated)."""

    dim: int = option(100, "vector dimensionality", lo=1, hi=100_000)
    window: int = option(5, "max context distance (reduced at random)", lo=1, hi=10_000)
    negative: int = option(5, "noise words per positive pair", lo=0, hi=1_000)
    epochs: int = option(5, "passes over the corpus", lo=1, hi=100_000)
    alpha: float = option(0.025, "initial learning rate", above=0, below=1)
    min_alpha: float = option(0.0001, "final learning rate", lo=0, below=1)
    sample: float = option(1e-3, "subsampling threshold (0 = off)", lo=0, hi=1)
    ns_exponent: float = option(0.75, "noise distribution exponent", lo=-10, hi=10)
    max_vocab: int | None = option(None, "keep only the N most frequent words", lo=1, all_zero=True)
    cbow: bool = option(False, "CBOW (mean of context) instead of skip-gram")
    shared_negatives: bool = option(
        True, "skip-gram: fresh noise words for every (centre, context) pair, as word2vec's C code (default: one "
        "set per centre word, shared by its context words; Ji et al. 2016)", flag="--per-pair-negatives")
    threads: int = option(os.cpu_count() or 1, "worker threads", lo=1, hi=4096)
    seed: int = option(SEED, "random seed", lo=0, below=2**63)
    save_context: bool = option(False, "also save the output vectors (context.npy)")

    def check(self) -> None:
        if self.min_alpha > self.alpha:
            self.fail("min_alpha", f"must not exceed --alpha {self.alpha}")


def job_bounds(starts: np.ndarray, job_words: int = JOB_WORDS) -> np.ndarray:
    """Sentence indices that cut the corpus into jobs of about ``job_words`` words each."""
    n_sent = len(starts) - 1
    if n_sent <= 0:
        return np.zeros(1, dtype=np.int64)
    block = starts[:-1] // job_words
    cuts = np.flatnonzero(np.diff(block)) + 1
    return np.concatenate([[0], cuts, [n_sent]]).astype(np.int64)


def _run_epochs(enc: EncodedCorpus, cfg: TrainConfig, progress: bool) -> tuple[np.ndarray, np.ndarray, dict]:
    from . import kernels  # imported here: numba compiles on first use, not on `import w2v`

    V, dim = len(enc.vocab), cfg.dim
    rng = np.random.default_rng(cfg.seed)
    syn0 = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    syn1 = np.zeros((V, dim), dtype=np.float32)
    keep = keep_probabilities(enc.vocab.counts, cfg.sample)
    alias_prob, alias_idx = kernels.build_alias(noise_distribution(enc.vocab.counts, cfg.ns_exponent))
    starts, heldout_starts = heldout_split(enc.starts, len(enc.ids))
    bounds = job_bounds(starts)
    n_jobs = len(bounds) - 1
    corpus_words = int(starts[-1])
    total_words = cfg.epochs * corpus_words

    epoch_loss: list[float] = []
    heldout_loss: list[float] = []
    heldout_seconds = 0.0
    epoch_seconds: list[float] = []
    words_trained = 0
    bar = tqdm(total=total_words, unit="w", unit_scale=True, desc="train", disable=None if progress else True,
               dynamic_ncols=True, smoothing=0.1)
    def run_job(s0: int, s1: int, words_before: int, seed: int) -> tuple[float, int, int, int]:
        """Sentences s0..s1-1 through the compiled kernel; returns (nll, pairs, words done, words trained)."""
        return kernels.train_job(syn0, syn1, enc.ids, starts, s0, s1, keep, alias_prob, alias_idx, cfg.window,
                                 cfg.negative, cfg.cbow, cfg.shared_negatives, cfg.alpha, cfg.min_alpha,
                                 words_before, total_words, seed)

    # An empty job first: numba compiles (or loads its cache) here, outside the timed epochs.
    t_compile = time.perf_counter()
    run_job(0, 0, 0, 0)
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
                    nll, pairs, done, trained = run_job(s0, s1, epoch * corpus_words + int(starts[s0]),
                                                        seed % (1 << 63))
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
        if heldout_starts is not None:  # the same pairs and noise words every epoch, frozen tables
            t_eval = time.perf_counter()
            heldout_loss.append(float(kernels.eval_loss(syn0, syn1, enc.ids, heldout_starts, keep, alias_prob,
                                                        alias_idx, cfg.window, cfg.negative, cfg.cbow, cfg.seed)))
            heldout_seconds += time.perf_counter() - t_eval
            if progress:
                bar.write(f"epoch {epoch + 1}/{cfg.epochs}: held-out loss {heldout_loss[-1]:.4f} "
                          f"(online training loss {epoch_loss[-1]:.4f})")
        epoch_seconds.append(time.perf_counter() - t_epoch)
        words_trained += int(tally[:, 3].sum())
    bar.close()
    seconds = time.perf_counter() - t_start
    info = {
        "epoch_loss": epoch_loss,
        "heldout_loss": heldout_loss,
        "heldout_tokens": len(enc.ids) - corpus_words,
        "heldout_seconds": round(heldout_seconds, 3),
        "epoch_seconds": [round(s, 3) for s in epoch_seconds],
        "train_seconds": round(seconds, 3),
        "words_per_second": round(total_words / max(seconds, 1e-9)),
        "words_trained_after_subsampling": words_trained,
        "jobs_per_epoch": n_jobs,
        "compile_seconds": round(compile_seconds, 3),
    }
    return syn0, syn1, info


def train_embeddings(corpus: str | os.PathLike, out: str | os.PathLike | None = None, progress: bool = True,
                     cache_dir: str | os.PathLike | None = None, config: TrainConfig | None = None,
                     **options) -> Vectors:
    """Learn an embedding table from ``corpus`` (file, directory or ``-``); returns it as :class:`Vectors`
    (``matrix``, ``words``, ``counts``, the run's ``info`` and the output vectors as ``context``).

    ``options`` are the fields of :class:`TrainConfig` (``dim``, ``window``, ``negative``, ``epochs``,
    ``alpha``, ``cbow``, ``threads``, ``seed`` ...), or pass a validated ``config``. With ``out``, the
    table is also saved there (``embeddings.npy``, ``vocab.txt``, ``config.json``; ``context.npy`` with
    ``save_context``). ``corpus`` may also be an encoded corpus (``python -m w2v.encode``); with
    ``cache_dir`` the encoding is kept there and reused by later runs on the same files.
    """
    cfg = config.validate() if config is not None else TrainConfig.from_kwargs(**options)
    if config is not None and options:
        raise W2VError("give either config or keyword options, not both")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="w2v-ids-") as workdir:
        enc = open_corpus(corpus, cfg, cfg.max_vocab, workdir, cache_dir, progress)
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
        "versions": versions("numba"),
    }
    result = Vectors(syn0, enc.vocab.words, enc.vocab.counts, info, context=syn1)
    if out is not None:
        result.save(out, context=cfg.save_context)
    return result


def train(*args, **kwargs) -> Vectors:
    """Deprecated name of :func:`train_embeddings` (``w2v.train`` is the module ``python -m w2v.train`` runs)."""
    import warnings

    warnings.warn("w2v.train.train is deprecated; use w2v.train_embeddings", DeprecationWarning, stacklevel=2)
    return train_embeddings(*args, **kwargs)


def default_out(corpus: str) -> Path:
    """``corpus`` → ``<name>-w2v`` in the current directory (``stdin-w2v`` for ``-``)."""
    if corpus == "-":
        return Path("stdin-w2v")
    name = Path(corpus.rstrip("/")).name
    for suffix in (".gz", ".bz2", ".xz", ".txt"):
        name = name.removesuffix(suffix)
    return Path(f"{name or 'corpus'}-w2v")


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.train", "Learn a word-embedding table with skip-gram negative sampling (or CBOW).")
    add_corpus(p, "output directory (default: <corpus name>-w2v)")
    TrainConfig.add_arguments(p)
    p.add_argument("--neighbors", nargs="*", default=None, metavar="WORD",
                   help="after training, print nearest neighbours of these words")
    add_quiet(p)
    return p


def _neighbours(vec: Vectors, words: list[str], topn: int = 8) -> list[str]:
    return [f"{w}: " + ", ".join(f"{n} {c:.2f}" for n, c in vec.most_similar(w, topn=topn)) if w in vec
            else f"{w}: not in vocabulary" for w in words]


def _final_loss(info: dict) -> str:
    if info["heldout_loss"]:
        return f"held-out loss {info['heldout_loss'][0]:.4f} -> {info['heldout_loss'][-1]:.4f}"
    return f"final training loss {info['epoch_loss'][-1]:.4f}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = TrainConfig.from_args(args)
    out = Path(args.out) if args.out else default_out(args.corpus)
    if out.exists() and not out.is_dir():
        raise W2VError(f"--out {out} exists and is not a directory")
    if args.cache_dir and not Path(args.cache_dir).is_dir():
        raise W2VError(f"--cache-dir {args.cache_dir} is not a directory")
    result = train_embeddings(args.corpus, out=out, progress=not args.quiet, cache_dir=args.cache_dir, config=cfg)
    if not args.quiet:
        info = result.info
        st = info["corpus_stats"]
        print(f"{info['method']}: {st['tokens']:,} tokens, {len(result):,} words x {cfg.dim} dims, "
              f"{info['epochs']} epochs in {info['train_seconds']:.1f}s "
              f"({info['words_per_second']:,.0f} words/s), {_final_loss(info)} -> {out}/")
    if args.neighbors:
        print("\n".join(_neighbours(result, args.neighbors)))
    return 0


if __name__ == "__main__":
    run_cli(main)
