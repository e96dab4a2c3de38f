"""Compare embedding tables of the same words: scores, neighbourhoods and geometry.

Everything is computed on the *shared vocabulary* (words in every table, in the first table's
order, i.e. most frequent first for w2v output directories):

* the bundled benchmark scores (:func:`w2v.evaluate.evaluate_all`) of each table restricted to
  the shared words, so every table answers the same questions;
* for each pair of tables: the mean Jaccard overlap of the top-``k`` cosine neighbourhoods of the
  ``n_words`` most frequent shared words, and the words whose neighbourhoods differ most;
  orthogonal Procrustes alignment (rows unit-normalized, centred, scaled to unit Frobenius norm;
  residual ``‖A − BR‖_F``: 0 = the same geometry up to rotation); Spearman's ρ between the
  cosine similarities of a seeded sample of word pairs; linear CKA (Kornblith et al. 2019).

Tables may differ in dimension (the smaller is zero-padded for Procrustes; CKA, overlap and ρ
need no alignment). CLI: ``python -m w2v.compare A B [C ...] [--json]``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

from .cli import (
    SEED,
    add_json,
    add_quiet,
    add_seed,
    add_topn,
    check_json_target,
    deprecated_alias,
    parser,
    run_cli,
    write_json,
)
from .errors import W2VError
from .formats import load
from .outdir import plain, to_json
from .vectors import Vectors, mask_rows, top_k, unit_rows

PathLike = str | os.PathLike

#: Benchmark keys shown in the printed table (all keys go to ``--json``).
TABLE_KEYS = ("google_add", "google_semantic_add", "google_syntactic_add", "google_mul",
              "ws353", "ws353_sim", "ws353_rel", "rg65")


def shared_rows(tables: Sequence[Vectors]) -> tuple[list[str], list[np.ndarray]]:
    """Words present in every table (in the first table's order) and each table's row indices of them."""
    words = [w for w in tables[0].words if all(w in t for t in tables[1:])]
    rows = [np.fromiter((t.index_of(w) for w in words), dtype=np.int64, count=len(words)) for t in tables]
    return words, rows


def top_neighbours(unit: np.ndarray, queries: np.ndarray, k: int = 10, batch: int = 512) -> np.ndarray:
    """Indices of the ``k`` nearest rows (cosine) of each query row index, itself excluded, best first."""
    k = min(k, len(unit) - 1)
    out = np.empty((len(queries), k), dtype=np.int64)
    for s in range(0, len(queries), batch):
        q = np.asarray(queries[s:s + batch])
        sims = unit[q] @ unit.T
        mask_rows(sims, q[:, None])
        out[s:s + len(q)] = top_k(sims, k)[0]
    return out


def jaccard_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jaccard overlap of the index sets of each pair of rows of ``a`` and ``b``."""
    out = np.empty(len(a))
    for i, (x, y) in enumerate(zip(a, b)):
        sx, sy = set(x.tolist()), set(y.tolist())
        out[i] = len(sx & sy) / len(sx | sy) if sx or sy else 1.0
    return out


def _normalized(x: np.ndarray, dim: int) -> np.ndarray:
    x = unit_rows(x)
    x = x - x.mean(axis=0)
    if x.shape[1] < dim:
        x = np.hstack([x, np.zeros((len(x), dim - x.shape[1]))])
    f = np.linalg.norm(x)
    return x / f if f > 0 else x


def procrustes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Rotate ``b`` onto ``a`` (orthogonal Procrustes, scipy).

    Both are row-normalized, centred, zero-padded to a common dimension and scaled to unit
    Frobenius norm first. Returns ``(R, residual, mean_cosine)``: ``b_n @ R ≈ a_n``, the residual
    ``‖a_n − b_n R‖_F`` (0 … 2) and the mean cosine between aligned rows.
    """
    from scipy.linalg import orthogonal_procrustes

    dim = max(a.shape[1], b.shape[1])
    an, bn = _normalized(a, dim), _normalized(b, dim)
    r, _ = orthogonal_procrustes(bn, an)
    aligned = bn @ r
    residual = float(np.linalg.norm(an - aligned))
    cos = np.sum(unit_rows(an) * unit_rows(aligned), axis=1)
    return r, residual, float(cos.mean())


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear centred kernel alignment of two representations of the same rows (1 = same up to
    rotation and isotropic scaling, 0 = unrelated)."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x, axis=0)
    y = np.asarray(y, dtype=np.float64) - np.mean(y, axis=0)
    xy = np.linalg.norm(x.T @ y) ** 2
    xx = np.linalg.norm(x.T @ x)
    yy = np.linalg.norm(y.T @ y)
    return float(xy / (xx * yy)) if xx > 0 and yy > 0 else math.nan


MAX_PAIRS = 10_000_000  #: more pairs than this only cost memory (16 bytes a pair); rho is settled long before


def sample_pairs(n: int, n_pairs: int, seed: int = SEED) -> np.ndarray:
    """``(n_pairs, 2)`` seeded random pairs of distinct indices below ``n``."""
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=n_pairs)
    j = (i + rng.integers(1, n, size=n_pairs)) % n  # j != i
    return np.stack([i, j], axis=1)


def pair_spearman(a_unit: np.ndarray, b_unit: np.ndarray, pairs: np.ndarray) -> float:
    """Spearman's ρ between the cosines of the same word pairs in two (unit-row) tables."""
    from scipy.stats import spearmanr

    if len(pairs) < 2:
        return math.nan
    ca = np.sum(a_unit[pairs[:, 0]] * a_unit[pairs[:, 1]], axis=1)
    cb = np.sum(b_unit[pairs[:, 0]] * b_unit[pairs[:, 1]], axis=1)
    return float(spearmanr(ca, cb).statistic)


def compare(
    models: Sequence[PathLike | Vectors],
    names: Sequence[str] | None = None,
    topn: int = 10,
    n_words: int = 1000,
    n_pairs: int = 20_000,
    pair_words: int = 10_000,
    n_different: int = 15,
    seed: int = SEED,
    benchmarks: bool = True,
    restrict: int | None = 30_000,
    top: int | None = None,
) -> dict:
    """Compare two or more tables on their shared vocabulary.

    Parameters
    ----------
    models : sequence of path or Vectors
        Model directories (or word2vec/GloVe files, or :class:`Vectors`).
    names : sequence of str, optional
        Labels (default: directory names).
    topn : int
        Neighbourhood size for the overlap.
    n_words : int
        Overlap over this many most frequent shared words.
    n_pairs, pair_words : int
        Spearman's ρ over ``n_pairs`` seeded random pairs of the ``pair_words`` most frequent shared words.
    n_different : int
        How many most-different neighbourhoods to list per pair of tables.
    seed : int
        Seed of the pair sample.
    benchmarks : bool
        Also score each table on the bundled benchmarks (restricted to the shared words).
    restrict : int, optional
        Analogy vocabulary restriction passed to :func:`w2v.evaluate.evaluate_all`.

    Returns
    -------
    dict
        JSON-ready: ``models``, ``shared_vocab``, ``settings``, ``benchmarks`` ({name: scores}),
        ``pairs`` (one dict a pair of tables, with ``overlap_per_word`` for plots).
    """
    if len(models) < 2:
        raise W2VError("compare needs at least two tables")
    if top is not None:  # the old name, one release
        topn = top
    top = topn
    if top < 1 or n_words < 1 or not 1 <= n_pairs <= MAX_PAIRS or pair_words < 2:
        raise W2VError(f"top and n_words must be >= 1, n_pairs between 1 and {MAX_PAIRS:,}, pair_words >= 2")
    tables = [load(m) for m in models]
    if names is None:
        names = [Path(m).name if not isinstance(m, Vectors) else f"table{i + 1}" for i, m in enumerate(models)]
    names = list(names)
    if len(names) != len(tables):
        raise W2VError(f"{len(names)} names for {len(tables)} tables")
    if len(set(names)) != len(names):
        names = [f"{n}#{i + 1}" for i, n in enumerate(names)]
    words, rows = shared_rows(tables)
    if len(words) <= top:
        raise W2VError(f"the tables share only {len(words)} words; need more than --topn {top}")
    subs = [t.matrix[r] for t, r in zip(tables, rows)]
    units = [unit_rows(np.asarray(s, dtype=np.float64)) for s in subs]
    queries = np.arange(min(n_words, len(words)))
    neigh = [top_neighbours(u, queries, top) for u in units]
    pairs = sample_pairs(min(pair_words, len(words)), n_pairs, seed)

    result: dict = {
        "models": [{"name": n, "path": str(m) if not isinstance(m, Vectors) else None, "vocab_size": len(t),
                    "dim": t.dim, "method": t.info.get("method")}
                   for n, m, t in zip(names, models, tables)],
        "shared_vocab": len(words),
        "settings": {"top": top, "n_words": len(queries), "n_pairs": len(pairs), "pair_words": pair_words,
                     "seed": seed, "restrict": restrict},
        "benchmarks": {},
        "pairs": [],
    }
    if benchmarks:
        from .evaluate import evaluate_all

        for name, t, sub, r in zip(names, tables, subs, rows):
            result["benchmarks"][name] = evaluate_all(Vectors(sub, words, t.counts[r]), restrict=restrict)
    for i, j in combinations(range(len(tables)), 2):
        jac = jaccard_rows(neigh[i], neigh[j])
        worst = np.argsort(jac, kind="stable")[:n_different]
        _, residual, mean_cos = procrustes(subs[i], subs[j])
        result["pairs"].append({
            "a": names[i], "b": names[j],
            "neighbour_overlap": float(jac.mean()),
            "neighbour_overlap_median": float(np.median(jac)),
            "procrustes_residual": residual,
            "procrustes_mean_cosine": mean_cos,
            "spearman": pair_spearman(units[i], units[j], pairs),
            "cka": linear_cka(units[i], units[j]),
            "most_different": [
                {"word": words[q], "jaccard": float(jac[q]),
                 names[i]: [words[x] for x in neigh[i][q]], names[j]: [words[x] for x in neigh[j][q]]}
                for q in worst],
            "overlap_per_word": jac.round(6).tolist(),
        })
    return result


def format_table(result: dict, show_words: int = 5) -> str:
    """The printed form of :func:`compare`'s result."""
    names = [m["name"] for m in result["models"]]
    lines = [f"shared vocabulary: {result['shared_vocab']:,} words ("
             + ", ".join(f"{m['name']}: {m['vocab_size']:,} x {m['dim']}" for m in result["models"]) + ")"]
    width = max(12, *(len(n) + 2 for n in names))
    if result["benchmarks"]:
        lines.append("")
        lines.append(f"{'benchmark':<24}" + "".join(f"{n:>{width}}" for n in names))
        for key in TABLE_KEYS:
            vals = [result["benchmarks"][n].get(key, math.nan) for n in names]
            lines.append(f"{key:<24}" + "".join(f"{v:>{width}.4f}" for v in vals))
    s = result["settings"]
    lines.append("")
    lw = max(30, *(len(f"{p['a']} vs {p['b']}") + 2 for p in result["pairs"]))
    lines.append(f"{'pair':<{lw}}{'overlap@' + str(s['top']):>12}{'procrustes':>12}{'spearman':>10}{'cka':>8}")
    for p in result["pairs"]:
        label = f"{p['a']} vs {p['b']}"
        lines.append(f"{label:<{lw}}{p['neighbour_overlap']:>12.3f}{p['procrustes_residual']:>12.3f}"
                     f"{p['spearman']:>10.3f}{p['cka']:>8.3f}")
    lines.append(f"(overlap: mean Jaccard of top-{s['top']} neighbours over the {s['n_words']} most frequent shared "
                 f"words; procrustes: residual after rotation, 0 = same geometry; spearman: cosines of "
                 f"{s['n_pairs']} random pairs)")
    for p in result["pairs"]:
        if not p["most_different"] or show_words <= 0:
            continue
        lines.append("")
        lines.append(f"most different neighbourhoods, {p['a']} vs {p['b']}:")
        for d in p["most_different"][:show_words]:
            lines.append(f"  {d['word']} (J={d['jaccard']:.2f})  {p['a']}: {', '.join(d[p['a']][:5])}"
                         f"  |  {p['b']}: {', '.join(d[p['b']][:5])}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.compare", "Compare embedding tables on their shared vocabulary: benchmark scores side by side, "
               "top-k neighbour overlap, Procrustes residual, Spearman of pair cosines, linear CKA.")
    p.add_argument("models", nargs="+", metavar="MODEL",
                   help="two or more w2v output directories (or word2vec/GloVe files)")
    p.add_argument("--names", nargs="+", help="labels for the tables (default: directory names)")
    add_topn(p, 10, "neighbourhood size")
    deprecated_alias(p, "--top", "--topn", type=int, dest="topn")
    p.add_argument("--n-words", type=int, default=1000, help="overlap over the N most frequent shared words")
    p.add_argument("--n-pairs", type=int, default=20_000, help="random word pairs for the Spearman correlation")
    p.add_argument("--pair-words", type=int, default=10_000, help="draw the pairs from the N most frequent words")
    add_seed(p, "seed of the pair sample")
    p.add_argument("--restrict", type=int, default=30_000, help="analogy vocabulary restriction (0 = all)")
    p.add_argument("--no-benchmarks", dest="benchmarks", action="store_false", help="skip the benchmark scores")
    p.add_argument("--show", type=int, default=5, help="most-different words printed per pair")
    add_json(p)
    add_quiet(p, "no messages on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_json_target(args, {f"model {m}": m for m in args.models})
    if len(args.models) < 2:
        raise W2VError("give at least two tables to compare")
    if args.restrict < 0:
        raise W2VError(f"--restrict must be >= 0, got {args.restrict}")
    for m in args.models:
        if not Path(m).exists():
            raise W2VError(f"no model directory or vector file at {m}")
    t0 = time.perf_counter()
    result = compare(args.models, names=args.names, topn=args.topn, n_words=args.n_words, n_pairs=args.n_pairs,
                     pair_words=args.pair_words, seed=args.seed, benchmarks=args.benchmarks,
                     restrict=args.restrict or None)
    text = to_json(result, indent=1)
    print(text if write_json(args, text) else format_table(plain(result), args.show))
    if not args.quiet:
        print(f"compared {len(args.models)} tables in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_cli(main)
