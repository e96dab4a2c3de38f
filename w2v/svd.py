"""Count-based embeddings: truncated SVD of the (S)PPMI matrix, and PCA of log counts.

Levy & Goldberg (2014) showed that skip-gram with negative sampling implicitly factorizes the
word–context PMI matrix shifted by log k; this module does the factorization explicitly, so the
two can be compared on the same corpus and vocabulary:

* ``svd``: ``M = SPPMI(counts)`` (:mod:`w2v.ppmi`), ``M ≈ U Σ Vᵀ`` truncated to ``dim``,
  word vectors ``W = U Σ^p`` (eigenvalue weighting ``p = eig``; Levy et al. 2015 find p = 0 or
  0.5 better than the textbook p = 1), optionally ``W + C`` with ``C = V Σ^p``;
* ``pca``: principal components of the rows of ``log(1 + counts)`` (centred), the "word
  embeddings are like PCA" picture; word vectors are the PCA scores.

Results are saved like a trained table (:func:`w2v.outdir.save_model`), so every tool reads them.

CLI: ``python -m w2v.svd CORPUS --out DIR [--method svd|pca] [options]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .cli import SEED, add_corpus, add_quiet, option, parser, run_cli
from .cooc import WEIGHTINGS, cooccurrence
from .encode import open_corpus
from .errors import W2VError
from .outdir import check_output_dir, versions
from .ppmi import ppmi
from .safety import SignalGuard, check_disk, check_finite_rows, check_memory, check_not_input, work_dir
from .vectors import Vectors
from .vocab import CorpusOptions, EncodedCorpus, Vocabulary

METHODS = ("svd", "pca")
SOLVERS = ("arpack", "randomized")


def _fix_signs(u: np.ndarray, vt: np.ndarray) -> None:
    """Flip each component so its largest-magnitude entry of ``u`` is positive (deterministic output)."""
    idx = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[idx, np.arange(u.shape[1])])
    signs[signs == 0] = 1
    u *= signs
    vt *= signs[:, None]


def truncated_svd(m: sp.spmatrix | np.ndarray, dim: int, seed: int = 1,
                  solver: str = "arpack") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``dim`` largest singular triplets of ``m``: ``(U, s, Vt)``, ``s`` descending.

    ``arpack`` (scipy ``svds``) is exact to solver tolerance; ``randomized`` (scikit-learn
    ``randomized_svd``, 10 oversamples, 7 power iterations) is an approximation that is often
    faster on large matrices. Signs are fixed (largest entry of each ``U`` column positive).
    """
    if solver not in SOLVERS:
        raise W2VError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if not 1 <= dim < min(m.shape):
        raise W2VError(f"dim must be between 1 and {min(m.shape) - 1} for a {m.shape[0]} x {m.shape[1]} "
                       f"matrix, got {dim} (lower --dim or use a larger vocabulary)")
    if solver == "arpack":
        from scipy.sparse.linalg import svds

        u, s, vt = svds(m, k=dim, random_state=np.random.default_rng(seed))
        order = np.argsort(-s)
        u, s, vt = u[:, order], s[order], vt[order]
    else:
        from sklearn.utils.extmath import randomized_svd

        u, s, vt = randomized_svd(m, dim, n_oversamples=10, n_iter=7, random_state=seed)
    u, vt = np.ascontiguousarray(u), np.ascontiguousarray(vt)
    _fix_signs(u, vt)
    return u, s, vt


def weighted_vectors(u: np.ndarray, s: np.ndarray, vt: np.ndarray, eig: float = 0.5,
                     add_context: bool = False) -> np.ndarray:
    """Word vectors ``U Σ^eig`` (plus the context vectors ``V Σ^eig`` with ``add_context``), float32."""
    w = u * s**eig
    if add_context:
        if u.shape[0] != vt.shape[1]:
            raise W2VError(f"W + C needs a square matrix (words = contexts), got {u.shape[0]} x {vt.shape[1]}")
        w = w + vt.T * s**eig
    return w.astype(np.float32)


def svd_embeddings(counts: sp.spmatrix, dim: int = 100, cds: float = 0.75, neg: float = 1.0,
                   eig: float = 0.5, add_context: bool = False, seed: int = 1,
                   solver: str = "arpack") -> tuple[np.ndarray, dict]:
    """SPPMI-SVD word vectors from a co-occurrence matrix; returns ``(vectors, info)``.

    ``info`` holds the singular values (descending) and timings.
    """
    t0 = time.perf_counter()
    m = ppmi(counts, cds=cds, neg=neg)
    if m.nnz == 0:
        raise W2VError(f"the shifted PPMI matrix is all zero: no word pair is associated above log(neg={neg:g}) "
                       f"({counts.nnz:,} co-occurring pairs); lower --neg or give a larger corpus")
    t1 = time.perf_counter()
    u, s, vt = truncated_svd(m, dim, seed, solver)
    t2 = time.perf_counter()
    info = {"ppmi_nnz": int(m.nnz), "ppmi_seconds": round(t1 - t0, 3), "svd_seconds": round(t2 - t1, 3),
            "singular_values": s.tolist()}
    return weighted_vectors(u, s, vt, eig, add_context), info


def pca_embeddings(counts: sp.spmatrix, dim: int = 100, seed: int = 1) -> tuple[np.ndarray, dict]:
    """PCA scores of the rows of ``log(1 + counts)``; returns ``(vectors, info)``.

    scikit-learn's PCA centres sparse input implicitly (ARPACK on a linear operator), so the
    dense ``n × n`` centred matrix is never built. ``info`` holds the singular values and the
    explained-variance ratios.
    """
    from sklearn.decomposition import PCA

    if not 1 <= dim < min(counts.shape):
        raise W2VError(f"dim must be between 1 and {min(counts.shape) - 1}, got {dim}")
    t0 = time.perf_counter()
    x = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    np.log1p(x.data, out=x.data)
    pca = PCA(n_components=dim, svd_solver="arpack", random_state=seed)
    scores = pca.fit_transform(x)
    # same sign rule as the SVD: largest-magnitude entry of each score column positive
    idx = np.argmax(np.abs(scores), axis=0)
    signs = np.sign(scores[idx, np.arange(dim)])
    signs[signs == 0] = 1
    scores *= signs
    info = {"pca_seconds": round(time.perf_counter() - t0, 3), "singular_values": pca.singular_values_.tolist(),
            "explained_variance_ratio": pca.explained_variance_ratio_.tolist()}
    return scores.astype(np.float32), info


@dataclass
class FactorConfig(CorpusOptions):
    """Every option of :func:`build`, defined once (the CLI and the validation are generated from it)."""

    method: str = option("svd", "SPPMI-SVD or PCA of log(1+count) rows", choices=METHODS)
    dim: int = option(100, "vector dimensionality", lo=1, hi=100_000)
    window: int = option(5, "max context distance", lo=1, hi=10_000)
    weighting: str = option("linear", "distance weight: linear (w-d+1)/w = word2vec's dynamic window, uniform, "
                            "harmonic 1/d", choices=WEIGHTINGS)
    sample: float = option(1e-3, "subsample frequent words like word2vec (0 = off)", lo=0, hi=1, const=1e-3)
    cds: float = option(0.75, "context-distribution smoothing exponent (svd)", above=0, hi=10)
    neg: float = option(1.0, "shift PMI by log(neg) (SPPMI; svd)", above=0, hi=1e6)
    eig: float = option(0.5, "eigenvalue weighting p: W = U * S^p (svd)", lo=0, hi=10)
    add_context: bool = option(False, "save W + C instead of W (svd)")
    solver: str = option("arpack", "truncated SVD solver (svd)", choices=SOLVERS)
    max_vocab: int | None = option(50_000, "keep the N most frequent words", lo=1, all_zero=True)
    threads: int | None = option(None, "counting threads (default: all cores)", lo=1, hi=4096)
    seed: int = option(SEED, "seed of subsampling and the SVD start vector", lo=0, below=2**63)


def count_matrix(enc: EncodedCorpus, cfg: FactorConfig, progress: bool = True) -> tuple[sp.csr_matrix, Vocabulary]:
    """The co-occurrence counts ``build`` factorizes: the ``max_vocab`` most frequent words of ``enc``, windows
    over its token stream as ``cfg`` says. Returns ``(counts, the words counted)``."""
    n = len(enc.vocab) if cfg.max_vocab is None else min(len(enc.vocab), cfg.max_vocab)
    if not 1 <= cfg.dim < n:
        raise W2VError(f"dim must be below the vocabulary size ({n} words), got {cfg.dim}")
    counts = cooccurrence(enc.ids, enc.starts, len(enc.vocab), window=cfg.window, weighting=cfg.weighting,
                          sample=cfg.sample, counts=enc.vocab.counts, max_vocab=n, seed=cfg.seed,
                          threads=cfg.threads, progress=progress)
    return counts, Vocabulary(enc.vocab.words[:n], enc.vocab.counts[:n])


def build(corpus: str | os.PathLike, out: str | os.PathLike | None = None, progress: bool = True,
          config: FactorConfig | None = None, cache_dir: str | os.PathLike | None = None, force: bool = False,
          **options) -> Vectors:
    """Corpus → encode → co-occurrence counts → SPPMI-SVD or PCA → (optionally) a model directory.

    ``options`` are the fields of :class:`FactorConfig` (or pass a validated ``config``). The
    vocabulary is the trainer's (``min_count``, most frequent first), cut to the ``max_vocab`` most
    frequent words for the counts and the factorization; the windows are taken over the trainer's
    token stream (see :func:`w2v.cooc.cooccurrence`). ``corpus`` may be an encoded corpus, and
    ``cache_dir`` keeps the encoding for later runs, as in :func:`w2v.train.train_embeddings`.
    """
    cfg = config.validate() if config is not None else FactorConfig.from_kwargs(**options)
    method, dim = cfg.method, cfg.dim
    cds, neg, eig, add_context, solver = cfg.cds, cfg.neg, cfg.eig, cfg.add_context, cfg.solver
    seed = cfg.seed
    if out is not None:  # before the work: never overwrite an input or a directory of the user's
        check_not_input({"--out": out}, {"corpus": None if str(corpus) == "-" else corpus})
        check_output_dir(out, force)
    t0 = time.perf_counter()
    with SignalGuard(), work_dir() as workdir:  # SIGINT/SIGTERM: clean up and stop (nothing is half-written)
        enc = open_corpus(corpus, cfg, None, workdir, cache_dir, progress)
        t1 = time.perf_counter()
        counts, vocab = count_matrix(enc, cfg, progress)
        n = len(vocab)
        if counts.nnz == 0:
            raise W2VError(f"no two words co-occur within --window {cfg.window} in {corpus} "
                           f"({enc.stats.get('sentences', 0):,} sentences): nothing to factorize. Is the corpus one "
                           "word a line, or --max-sentence-length too small?")
        check_memory(3 * n * dim * 8, f"the {n:,} x {dim} factors", "lower --max-vocab or --dim")
        if out is not None:
            check_disk(out, n * dim * 4 + n * 24, f"the model ({n:,} x {dim} float32)")
        del enc.ids
    t2 = time.perf_counter()
    if progress:
        what = f"SPPMI-SVD (cds {cds:g}, neg {neg:g})" if method == "svd" else "PCA of log(1 + count)"
        print(f"{what} of the {n:,} x {n:,} matrix ({counts.nnz:,} non-zeros) to {dim} dims ...",
              file=sys.stderr, flush=True)
    if method == "svd":
        vectors, finfo = svd_embeddings(counts, dim, cds, neg, eig, add_context, seed, solver)
    else:
        vectors, finfo = pca_embeddings(counts, dim, seed)
    t3 = time.perf_counter()
    words, word_counts = vocab.words, vocab.counts
    info = {
        "corpus": str(corpus),
        **{k: v for k, v in asdict(cfg).items()
           if method == "svd" or k not in ("cds", "neg", "eig", "add_context", "solver")},
        "corpus_stats": enc.stats, "cooc_nnz": int(counts.nnz),
        "encode_seconds": round(t1 - t0, 3), "cooc_seconds": round(t2 - t1, 3),
        "factor_seconds": round(t3 - t2, 3), **finfo, "total_seconds": round(time.perf_counter() - t0, 3),
        "versions": versions("scipy"),
    }
    check_finite_rows(vectors, words, "the factorization")
    result = Vectors(vectors, words, word_counts, info)
    if out is not None:
        result.save(out, force=force)
    return result


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.svd", "Count-based word vectors: co-occurrence counts -> (shifted) PPMI -> truncated SVD, "
               "or PCA of log counts. Saved like a trained table (embeddings.npy, vocab.txt, config.json).")
    add_corpus(p)
    FactorConfig.add_arguments(p)
    add_quiet(p)
    p.add_argument("--force", action="store_true",
                   help="write into --out even if it is a non-empty directory that is not a w2v model")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = FactorConfig.from_args(args)
    out = Path(args.out)
    res = build(args.corpus, out, progress=not args.quiet, config=cfg, cache_dir=args.cache_dir, force=args.force)
    if not args.quiet:
        i = res.info
        print(f"{cfg.method}: {len(res):,} words x {cfg.dim} dims, {i['cooc_nnz']:,} co-occurring pairs; "
              f"encode {i['encode_seconds']:.1f}s, count {i['cooc_seconds']:.1f}s, "
              f"factorize {i['factor_seconds']:.1f}s -> {out}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_cli(main)
