"""SGNS next to its explicit-factorization and PCA counterparts, on one corpus and one vocabulary.

    python scripts/compare_pca.py CORPUS --out DIR [--sgns MODEL_DIR] [--dim 100] [--window 5]
                                  [--max-vocab 50000] [--neg 1] [--cds 0.75] [--eig 0.5] [--sample 0]

1. SGNS: loads ``--sgns`` or trains one (``w2v.train``, word2vec defaults) into ``DIR/sgns``.
2. Encodes the corpus with the SGNS run's ``min_count`` (so the vocabulary is the same, most
   frequent first), counts co-occurrences once (window, linear weighting = word2vec's dynamic
   window), and factorizes twice: SPPMI-SVD (``DIR/svd``, W = U·Σ^eig; the eig 0 / 1 and W+C
   variants go to ``DIR/svd-eig0``, ``DIR/svd-eig1``, ``DIR/svd-wc``) and PCA of the centred
   log(1 + count) rows (``DIR/pca``). All are ordinary model directories.
3. Compares SGNS, SVD and PCA (:func:`w2v.compare.compare`) and writes ``DIR/report.md``,
   ``DIR/compare.json`` and PNG plots: ``projections.png`` (word groups in 2-D per method),
   ``spectrum.png`` (singular values) and ``overlap.png`` (neighbour-overlap distributions), and
   ``DIR/explorer.html``, the three tables side by side in one self-contained page (:mod:`w2v.explore`).

Training or factorizing text8like uses both cores for minutes: run it under
``flock /tmp/w2v-heavy.lock`` on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from w2v.cli import add_quiet, deprecated_alias, parser, run_cli  # noqa: E402
from w2v.compare import TABLE_KEYS, compare, format_table, unit_rows  # noqa: E402
from w2v.encode import open_corpus  # noqa: E402
from w2v.errors import W2VError  # noqa: E402
from w2v.formats import load  # noqa: E402
from w2v.outdir import save_model, save_text, to_json  # noqa: E402
from w2v.ppmi import ppmi  # noqa: E402
from w2v.svd import FactorConfig, count_matrix, pca_embeddings, truncated_svd, weighted_vectors  # noqa: E402
from w2v.vectors import Vectors  # noqa: E402

GROUPS = {
    "countries and capitals": [("france", "paris"), ("germany", "berlin"), ("italy", "rome"), ("spain", "madrid"),
                               ("japan", "tokyo"), ("china", "beijing"), ("russia", "moscow"),
                               ("england", "london"), ("greece", "athens"), ("egypt", "cairo"),
                               ("poland", "warsaw"), ("portugal", "lisbon")],
    "numbers": ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "hundred",
                "thousand", "million"],
    "sentiment": {"positive": ["good", "great", "excellent", "wonderful", "happy", "best", "beautiful", "love",
                               "success", "pleasant"],
                  "negative": ["bad", "poor", "terrible", "awful", "sad", "worst", "ugly", "hate", "failure",
                               "unpleasant"]},
}
COLORS = {"sgns": "tab:blue", "svd": "tab:orange", "pca": "tab:green"}


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- plots -----------------------------------------------------------------------------------------------------


def _project(vec: Vectors, words: list[str]) -> tuple[list[str], np.ndarray]:
    """2-D PCA of the unit vectors of the known ``words``."""
    known = [w for w in words if w in vec]
    x = unit_rows(vec[known]) if known else np.zeros((0, vec.dim))
    if len(known) < 3:
        return known, np.zeros((len(known), 2))
    x = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return known, u[:, :2] * s[:2]


def plot_projections(tables: dict[str, Vectors], path: Path) -> None:
    """One row per method, one column per word group: 2-D PCA of the group's vectors."""
    fig, axes = plt.subplots(len(tables), 3, figsize=(18, 5.6 * len(tables)))
    axes = np.atleast_2d(axes)
    for r, (name, vec) in enumerate(tables.items()):
        # countries -> capitals, with arrows
        ax = axes[r, 0]
        pairs = [p for p in GROUPS["countries and capitals"] if p[0] in vec and p[1] in vec]
        words, xy = _project(vec, [w for p in pairs for w in p])
        pos = dict(zip(words, xy))
        for country, capital in pairs:
            (x0, y0), (x1, y1) = pos[country], pos[capital]
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops=dict(arrowstyle="->", color="0.6", lw=1))
            ax.scatter([x0], [y0], c="tab:blue", s=25)
            ax.scatter([x1], [y1], c="tab:red", s=25)
            ax.text(x0, y0, country, fontsize=9, color="tab:blue")
            ax.text(x1, y1, capital, fontsize=9, color="tab:red")
        # numbers, coloured by order
        ax = axes[r, 1]
        words, xy = _project(vec, GROUPS["numbers"])
        if len(words):
            colors = plt.cm.viridis(np.linspace(0, 1, len(words)))
            ax.scatter(xy[:, 0], xy[:, 1], c=colors, s=30)
            ax.plot(xy[:10, 0], xy[:10, 1], color="0.8", lw=0.8, zorder=0)
            for w, (x, y) in zip(words, xy):
                ax.text(x, y, w, fontsize=9)
        # sentiment
        ax = axes[r, 2]
        sent = GROUPS["sentiment"]
        words, xy = _project(vec, sent["positive"] + sent["negative"])
        for w, (x, y) in zip(words, xy):
            c = "tab:green" if w in sent["positive"] else "tab:red"
            ax.scatter([x], [y], c=c, s=30)
            ax.text(x, y, w, fontsize=9, color=c)
        for c, title in enumerate(GROUPS):
            axes[r, c].set_title(f"{name}: {title}", fontsize=12)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
    fig.suptitle("Word groups, 2-D PCA of each method's unit vectors (fitted per panel)", fontsize=14)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_spectrum(spectra: dict[str, np.ndarray], path: Path) -> None:
    """Singular values normalized by the largest (log scale) and their cumulative energy."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.8))
    for name, s in spectra.items():
        k = np.arange(1, len(s) + 1)
        a1.plot(k, s / s[0], label=name, color=COLORS.get(name.split()[0]))
        a2.plot(k, np.cumsum(s**2) / np.sum(s**2), label=name, color=COLORS.get(name.split()[0]))
    a1.set_yscale("log")
    a1.set_xlabel("component")
    a1.set_ylabel("σ_k / σ_1")
    a1.set_title("Singular-value spectrum")
    a2.set_xlabel("component")
    a2.set_ylabel("fraction of Σσ² over the kept components")
    a2.set_title("Cumulative energy")
    for a in (a1, a2):
        a.grid(alpha=0.3)
        a.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_overlap(result: dict, path: Path) -> None:
    """Distribution of the number of shared top-k neighbours, for every pair of methods."""
    k = result["settings"]["top"]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    width = 0.8 / max(1, len(result["pairs"]))
    for i, p in enumerate(result["pairs"]):
        jac = np.asarray(p["overlap_per_word"])
        shared = np.rint(2 * k * jac / (1 + jac)).astype(int)  # J = i / (2k - i)
        freq = np.bincount(shared, minlength=k + 1)
        ax.bar(np.arange(k + 1) + (i - (len(result["pairs"]) - 1) / 2) * width, freq, width,
               label=f"{p['a']} vs {p['b']} (mean Jaccard {jac.mean():.2f})")
    ax.set_xticks(range(k + 1))
    ax.set_xlabel(f"neighbours shared among the top {k} (Jaccard = i / ({2 * k} − i))")
    ax.set_ylabel("words")
    ax.set_title(f"Neighbour overlap over the {result['settings']['n_words']} most frequent shared words")
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# -- report ----------------------------------------------------------------------------------------------------


def _pct(v: float) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.1f}%"


def _rho(v: float) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.3f}"


def benchmark_table(scores: dict[str, dict]) -> str:
    names = list(scores)
    lines = ["| benchmark | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key in TABLE_KEYS:
        fmt = _pct if key.startswith("google") else _rho
        lines.append(f"| {key} | " + " | ".join(fmt(scores[n].get(key)) for n in names) + " |")
    return "\n".join(lines)


def write_report(out: Path, result: dict, variants: dict[str, dict], info: dict) -> str:
    pairs = "\n".join(
        f"| {p['a']} vs {p['b']} | {p['neighbour_overlap']:.3f} | {p['procrustes_residual']:.3f} | "
        f"{p['procrustes_mean_cosine']:.3f} | {p['spearman']:.3f} | {p['cka']:.3f} |" for p in result["pairs"])
    different = []
    for p in result["pairs"]:
        different.append(f"\n**{p['a']} vs {p['b']}** (lowest top-{result['settings']['top']} Jaccard):\n")
        different.append(f"| word | J | {p['a']} | {p['b']} |\n|---|---:|---|---|")
        for d in p["most_different"][:8]:
            different.append(f"| {d['word']} | {d['jaccard']:.2f} | {', '.join(d[p['a']][:5])} | "
                             f"{', '.join(d[p['b']][:5])} |")
    s = result["settings"]
    text = f"""# SGNS vs SPPMI-SVD vs PCA on `{info['corpus']}`

Generated {info['date']} by `scripts/compare_pca.py` in {info['total_seconds']:.0f} s.

* SGNS: `{info['sgns']}` ({info['sgns_settings']})
* counts: window {info['window']}, linear weighting (word2vec's dynamic window), subsampling
  {info['sample'] or 'off'}, the {info['n']:,} most frequent words; {info['cooc_nnz']:,} non-zero pairs,
  counted in {info['cooc_seconds']:.1f} s
* SVD: SPPMI with cds {info['cds']}, shift log {info['neg']:g}; truncated SVD (ARPACK) to {info['dim']} dims in
  {info['svd_seconds']:.1f} s; W = U·Σ^{info['eig']:g}
* PCA: centred log(1 + count) rows, {info['dim']} components (scikit-learn, ARPACK) in {info['pca_seconds']:.1f} s

Scores are on the shared vocabulary ({result['shared_vocab']:,} words); analogies restricted to the
{s['restrict']:,} most frequent (3CosAdd / 3CosMul accuracy), similarities as Spearman ρ.

## Benchmarks

{benchmark_table(result['benchmarks'])}

SVD variants (same factorization, other eigenvalue weightings, and W + C):

{benchmark_table(variants)}

## Geometry

| pair | top-{s['top']} overlap | Procrustes residual | aligned cosine | Spearman (pairs) | linear CKA |
|---|---:|---:|---:|---:|---:|
{pairs}

Overlap: mean Jaccard of the top-{s['top']} cosine neighbours of the {s['n_words']:,} most frequent shared words.
Procrustes: rows unit-normalized, centred, scaled to unit Frobenius norm, then rotated; residual
‖A − BR‖_F (0 = same geometry up to rotation). Spearman: cosines of {s['n_pairs']:,} seeded random pairs of
the {s['pair_words']:,} most frequent words.

![neighbour overlap](overlap.png)

## Most different neighbourhoods
{chr(10).join(different)}

## Explorer

[explorer.html](explorer.html) shows the three tables side by side ({info['explore']}): maps (PCA, t-SNE),
a word's neighbours in each table and their overlap, analogies. One self-contained file: open it in any
browser, offline.

## Pictures

![word groups](projections.png)

![spectrum](spectrum.png)
"""
    (out / "report.md").write_text(text, encoding="utf-8")
    return text


# -- main ------------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = parser("scripts/compare_pca.py", __doc__.split("\n\n")[0])
    p.add_argument("corpus", help="text corpus (file, directory or .gz/.bz2/.xz)")
    p.add_argument("--out", required=True, help="output directory for the tables, report and plots")
    p.add_argument("--model", help="existing SGNS model directory (trained on CORPUS); default: train one")
    deprecated_alias(p, "--sgns", "--model", dest="model")
    p.add_argument("--dim", type=int, default=100, help="dimensions of every table")
    p.add_argument("--window", type=int, default=5, help="context window")
    p.add_argument("--max-vocab", type=int, default=50_000, help="words kept for the count matrix")
    p.add_argument("--min-count", type=int, default=5, help="min count when training SGNS here")
    p.add_argument("--epochs", type=int, default=5, help="SGNS epochs when training here")
    p.add_argument("--sample", type=float, default=0.0, help="subsampling of the counts (0: off)")
    p.add_argument("--cds", type=float, default=0.75, help="context-distribution smoothing")
    p.add_argument("--neg", type=float, default=1.0, help="PMI shift log(neg)")
    p.add_argument("--eig", type=float, default=0.5, help="eigenvalue weighting of the main SVD table")
    p.add_argument("--n-words", type=int, default=1000, help="words for the neighbour overlap")
    p.add_argument("--threads", type=int, default=None, help="threads for training and counting")
    p.add_argument("--explore-words", type=int, default=10_000,
                   help="words in the explorer page explorer.html (0: no page)")
    add_quiet(p, "no progress messages")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    t_start = time.perf_counter()
    out = Path(args.out)
    corpus = Path(args.corpus)
    if not corpus.exists():
        raise W2VError(f"corpus not found: {corpus}")
    if out.exists() and not out.is_dir():
        raise W2VError(f"--out {out} exists and is not a directory")
    if args.explore_words < 0 or args.explore_words == 1:
        raise W2VError(f"--explore-words must be 0 (no page) or at least 2, got {args.explore_words}")
    progress = not args.quiet

    # 1. SGNS
    if args.model:
        sgns_dir = Path(args.model)
        sgns_cfg = load(sgns_dir, mmap=True).info
        _log(f"SGNS: {sgns_dir}", args.quiet)
    else:
        from w2v.train import train_embeddings as train

        sgns_dir = out / "sgns"
        _log(f"training SGNS -> {sgns_dir}", args.quiet)
        opts = {"dim": args.dim, "window": args.window, "min_count": args.min_count, "epochs": args.epochs}
        if args.threads:
            opts["threads"] = args.threads
        sgns_cfg = train(str(corpus), out=sgns_dir, progress=progress, cache_dir=out / ".encoded", **opts).info
    min_count = int(sgns_cfg.get("min_count", args.min_count))
    sgns_settings = ", ".join(f"{k} {sgns_cfg[k]}" for k in ("method", "dim", "window", "negative", "epochs",
                                                            "sample", "min_count") if k in sgns_cfg)

    # 2. counts (the corpus is tokenized once: SGNS above and the counts here read the same cached ids), SVD, PCA
    cfg = FactorConfig(dim=args.dim, window=args.window, sample=args.sample, max_vocab=args.max_vocab,
                       min_count=min_count, threads=args.threads).validate()
    with tempfile.TemporaryDirectory(prefix="w2v-ids-") as workdir:
        enc = open_corpus(corpus, cfg, None, workdir, cache_dir=out / ".encoded", progress=progress)
        t0 = time.perf_counter()
        counts, vocab = count_matrix(enc, cfg, progress)
        cooc_seconds = time.perf_counter() - t0
        del enc.ids
    n, words, word_counts = len(vocab), vocab.words, vocab.counts
    sgns = Vectors.load(sgns_dir)
    if sgns.words[:n] != words:
        print("warning: the SGNS vocabulary differs from this encoding; comparing on the shared words",
              file=sys.stderr)
    _log(f"{n:,} words, {counts.nnz:,} co-occurring pairs in {cooc_seconds:.1f} s; SPPMI-SVD ...", args.quiet)
    t0 = time.perf_counter()
    m = ppmi(counts, cds=args.cds, neg=args.neg)
    u, s, vt = truncated_svd(m, args.dim)
    svd_seconds = time.perf_counter() - t0
    del m
    base = {"corpus": str(corpus), "dim": args.dim, "window": args.window, "weighting": "linear",
            "sample": args.sample, "max_vocab": args.max_vocab, "min_count": min_count, "cooc_nnz": int(counts.nnz),
            "cooc_seconds": round(cooc_seconds, 3)}
    svd_cfg = {**base, "method": "svd", "cds": args.cds, "neg": args.neg, "solver": "arpack",
               "svd_seconds": round(svd_seconds, 3), "singular_values": s.tolist()}
    variants = {"svd": (args.eig, False), "svd-eig0": (0.0, False), "svd-eig1": (1.0, False),
                "svd-wc": (args.eig, True)}
    for name, (eig, wc) in variants.items():
        save_model(out / name, weighted_vectors(u, s, vt, eig, wc), words, word_counts,
                   {**svd_cfg, "eig": eig, "add_context": wc})
    _log(f"SVD in {svd_seconds:.1f} s; PCA ...", args.quiet)
    pca_vec, pca_info = pca_embeddings(counts, args.dim)
    save_model(out / "pca", pca_vec, words, word_counts, {**base, "method": "pca", **pca_info})
    del counts, pca_vec

    # 3. compare, plots, report
    _log("comparing ...", args.quiet)
    result = compare([sgns_dir, out / "svd", out / "pca"], names=["sgns", "svd", "pca"], n_words=args.n_words)
    from w2v.evaluate import evaluate_all

    shared = set(sgns.words)
    variant_scores = {}
    for name in variants:
        vec = Vectors.load(out / name)
        keep = [i for i, w in enumerate(vec.words) if w in shared]
        variant_scores[f"{name} (eig {variants[name][0]:g}{', W+C' if variants[name][1] else ''})"] = evaluate_all(
            Vectors(vec.matrix[keep], [vec.words[i] for i in keep]))
    save_text(out / "compare.json", to_json({**result, "svd_variants": variant_scores}, indent=1) + "\n")
    tables = {"sgns": sgns, "svd": Vectors.load(out / "svd"), "pca": Vectors.load(out / "pca")}
    plot_projections(tables, out / "projections.png")
    sgns_shared = sgns.matrix[[sgns.index_of(w) for w in words if w in sgns]]
    plot_spectrum({"sgns (table)": np.linalg.svd(sgns_shared, compute_uv=False),
                   "svd (SPPMI)": s, "pca (log counts)": np.asarray(pca_info["singular_values"])},
                  out / "spectrum.png")
    plot_overlap(result, out / "overlap.png")
    info = {"corpus": str(corpus), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "sgns": str(sgns_dir), "sgns_settings": sgns_settings, "window": args.window, "sample": args.sample,
            "n": n, "cooc_nnz": int(svd_cfg["cooc_nnz"]), "cooc_seconds": cooc_seconds, "cds": args.cds,
            "neg": args.neg, "dim": args.dim, "svd_seconds": svd_seconds, "eig": args.eig,
            "pca_seconds": pca_info["pca_seconds"], "total_seconds": time.perf_counter() - t_start}
    info["explore"] = "not written (--explore-words 0)"
    if args.explore_words:
        from w2v.explore import write_page

        _log("explorer page ...", args.quiet)
        page = write_page([sgns_dir, out / "svd", out / "pca"], out / "explorer.html", names=list(tables),
                          progress=progress, words=args.explore_words)
        info["total_seconds"] = time.perf_counter() - t_start
        info["explore"] = (f"{page['words']:,} words, {page['bytes'] / 1e6:.1f} MB, built in {page['seconds']:.0f} s"
                           + (f"; {page['note']}" if page["note"] else ""))
    write_report(out, result, variant_scores, info)
    if not args.quiet:
        print(format_table(result))
        print(f"report: {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    run_cli(main)
