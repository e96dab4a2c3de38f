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
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import __version__
from .cooc import WEIGHTINGS, cooccurrence
from .errors import ArgumentParser, W2VError, run_cli
from .outdir import save_model
from .ppmi import ppmi
from .vocab import encode_corpus

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
class FactorResult:
    """What :func:`build` returns: the table, its words and counts, and the run's metadata."""

    embeddings: np.ndarray
    words: list[str]
    counts: np.ndarray
    info: dict


def build(
    corpus: str | os.PathLike,
    out: str | os.PathLike | None = None,
    method: str = "svd",
    dim: int = 100,
    window: int = 5,
    weighting: str = "linear",
    sample: float = 0.0,
    cds: float = 0.75,
    neg: float = 1.0,
    eig: float = 0.5,
    add_context: bool = False,
    max_vocab: int | None = 50_000,
    min_count: int = 5,
    solver: str = "arpack",
    seed: int = 1,
    threads: int | None = None,
    lowercase: bool = False,
    max_sentence_length: int = 10_000,
    progress: bool = True,
    tokenize: str = "whitespace",
) -> FactorResult:
    """Corpus → encode → co-occurrence counts → SPPMI-SVD or PCA → (optionally) a model directory.

    The vocabulary is the trainer's (``min_count``, most frequent first), cut to the
    ``max_vocab`` most frequent words for the counts and the factorization; the windows are
    taken over the trainer's token stream (see :func:`w2v.cooc.cooccurrence`).
    """
    if method not in METHODS:
        raise W2VError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if weighting not in WEIGHTINGS:
        raise W2VError(f"unknown weighting {weighting!r}; choose one of {', '.join(WEIGHTINGS)}")
    if dim < 1:
        raise W2VError(f"dim must be >= 1, got {dim}")
    if eig < 0:
        raise W2VError(f"eig must be >= 0, got {eig}")
    if solver not in SOLVERS:
        raise W2VError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if cds <= 0 or neg <= 0:
        raise W2VError("cds and neg must be > 0")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="w2v-ids-") as workdir:
        enc = encode_corpus(corpus, workdir, min_count=min_count, lowercase=lowercase,
                            max_sentence_length=max_sentence_length, progress=progress, tokenize=tokenize)
        n = len(enc.vocab) if max_vocab is None else min(len(enc.vocab), max_vocab)
        if not 1 <= dim < n:
            raise W2VError(f"dim must be below the vocabulary size ({n} words), got {dim}")
        t1 = time.perf_counter()
        counts = cooccurrence(enc.ids, enc.starts, len(enc.vocab), window=window, weighting=weighting,
                              sample=sample, counts=enc.vocab.counts, max_vocab=n, seed=seed, threads=threads,
                              progress=progress)
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
    words, word_counts = enc.vocab.words[:n], enc.vocab.counts[:n]
    info = {
        "method": method, "corpus": str(corpus), "dim": dim, "window": window, "weighting": weighting,
        "sample": sample, "max_vocab": max_vocab, "min_count": min_count, "seed": seed,
        "lowercase": lowercase, "tokenize": tokenize, "max_sentence_length": max_sentence_length,
        **({"cds": cds, "neg": neg, "eig": eig, "add_context": add_context, "solver": solver}
           if method == "svd" else {}),
        "corpus_stats": enc.stats, "cooc_nnz": int(counts.nnz),
        "encode_seconds": round(t1 - t0, 3), "cooc_seconds": round(t2 - t1, 3),
        "factor_seconds": round(t3 - t2, 3), **finfo, "total_seconds": round(time.perf_counter() - t0, 3),
        "versions": {"w2v": __version__, "python": platform.python_version(), "numpy": np.__version__,
                     "platform": platform.platform()},
    }
    if out is not None:
        save_model(out, vectors, words, word_counts, info)
    return FactorResult(vectors, words, word_counts, info)


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(
        prog="python -m w2v.svd",
        description="Count-based word vectors: co-occurrence counts -> (shifted) PPMI -> truncated SVD, "
        "or PCA of log counts. Saved like a trained table (embeddings.npy, vocab.txt, config.json).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("corpus", help="text file (.gz/.bz2/.xz ok), directory of files, or - for stdin")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--method", choices=METHODS, default="svd", help="SPPMI-SVD or PCA of log(1+count) rows")
    p.add_argument("--dim", type=int, default=100, help="vector dimensionality")
    p.add_argument("--window", type=int, default=5, help="max context distance")
    p.add_argument("--weighting", choices=WEIGHTINGS, default="linear",
                   help="distance weight: linear (w-d+1)/w = word2vec's dynamic window, uniform, harmonic 1/d")
    p.add_argument("--sample", type=float, nargs="?", const=1e-3, default=0.0,
                   help="subsample frequent words like word2vec (bare --sample: 1e-3; 0: off)")
    p.add_argument("--cds", type=float, default=0.75, help="context-distribution smoothing exponent (svd)")
    p.add_argument("--neg", type=float, default=1.0, help="shift PMI by log(neg) (SPPMI; svd)")
    p.add_argument("--eig", type=float, default=0.5, help="eigenvalue weighting p: W = U * S^p (svd)")
    p.add_argument("--add-context", action="store_true", help="save W + C instead of W (svd)")
    p.add_argument("--solver", choices=SOLVERS, default="arpack", help="truncated SVD solver (svd)")
    p.add_argument("--max-vocab", type=int, default=50_000, help="keep the N most frequent words (0: all)")
    p.add_argument("--min-count", type=int, default=5, help="drop words rarer than this")
    p.add_argument("--lowercase", action="store_true", help="lowercase the text before tokenizing")
    p.add_argument("--threads", type=int, default=None, help="counting threads (default: all cores)")
    p.add_argument("--seed", type=int, default=1, help="seed of subsampling and the SVD start vector")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.max_vocab < 0:
        raise W2VError(f"--max-vocab must be >= 0, got {args.max_vocab}")
    if args.threads is not None and args.threads < 1:
        raise W2VError(f"--threads must be >= 1, got {args.threads}")
    if args.sample < 0:
        raise W2VError(f"--sample must be >= 0, got {args.sample}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise W2VError(f"--out {out} exists and is not a directory")
    res = build(args.corpus, out, method=args.method, dim=args.dim, window=args.window, weighting=args.weighting,
                sample=args.sample, cds=args.cds, neg=args.neg, eig=args.eig, add_context=args.add_context,
                max_vocab=args.max_vocab or None, min_count=args.min_count, solver=args.solver, seed=args.seed,
                threads=args.threads, lowercase=args.lowercase, progress=not args.quiet)
    if not args.quiet:
        i = res.info
        print(f"{args.method}: {len(res.words):,} words x {args.dim} dims, {i['cooc_nnz']:,} co-occurring pairs; "
              f"encode {i['encode_seconds']:.1f}s, count {i['cooc_seconds']:.1f}s, "
              f"factorize {i['factor_seconds']:.1f}s -> {out}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_cli(main)
