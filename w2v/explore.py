"""One self-contained HTML page to look at one or more tables: a map, neighbours, analogies.

``python -m w2v.explore MODEL [MODEL ...] --out explorer.html`` writes a single file (script, style
and data inline; nothing is fetched when it is opened) for the ``--words N`` most frequent words
that every table has:

* a 2-D map per table (PCA of the unit vectors, and t-SNE from scikit-learn unless ``--no-tsne``),
  switchable in the page, with zoom (wheel), pan (drag) and labels placed so that they never overlap;
* a search box: the nearest neighbours of a word (or of ``a - b + c``) by cosine, computed in the page
  from the vectors embedded in the file, exactly as :meth:`w2v.Vectors.most_similar` ranks them
  (query words excluded) among the shown words, i.e. ``python -m w2v.neighbors MODEL WORD --restrict N``
  up to ties within the quantization error;
* an analogy box ``a : b :: c : ?`` (3CosAdd, as ``w2v.neighbors``);
* with several tables, the maps side by side with one selection: the selected word is highlighted in
  every map, and its neighbours in each table are listed with their overlap.

Vectors are stored as ``--bits`` 12 (or 8) bit integers: each unit row, turned by a seeded random rotation,
scaled so its largest component is ±2047 (±127), base64. The page renormalizes the rows, so a cosine
differs from the float32 one by at most the two rows' quantization errors (:func:`row_errors`). On
text8like at dim 100 the cosines move by 0.00004 on average with 12 bits (0.0007 with 8 bits, enough to
swap near-tied neighbours often); 10,000 words at dim 100 take about 2.3 MB (1.6 MB with 8 bits).

The map coordinates are uint16 in the unit square. t-SNE runs on the 50 leading principal components of
the unit vectors (Barnes-Hut, PCA initialisation, learning rate n/12, ``--tsne-iter`` iterations); it
dominates the time.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np

from .cli import SEED, Options, add_quiet, option, parser, run_cli
from .errors import W2VError
from .formats import load
from .outdir import save_text
from .safety import check_finite_rows, check_output_file, human
from .vectors import Vectors, unit_rows

PathLike = str | os.PathLike

#: The placeholder in ``data/explorer.html`` that the JSON data replaces.
DATA_MARK = "__W2V_EXPLORER_DATA__"
#: Config keys that are long lists or nested records: left out of the settings the page shows.
_SKIP_SETTINGS = {"epoch_loss", "heldout_loss", "epoch_seconds", "singular_values", "versions", "corpus_stats",
                  "partial", "cluster"}


@dataclass
class ExploreConfig(Options):
    """Every option of :func:`build_page`, defined once (the CLI and the validation are generated from it)."""

    words: int = option(10_000, "show the N most frequent words (of those every table has)", lo=2, hi=1_000_000)
    topn: int = option(10, "neighbours listed per query in the page", lo=1, hi=1000)
    tsne: bool = option(True, "PCA map only (skip t-SNE, the slow part)", flag="--no-tsne")
    perplexity: float = option(30.0, "t-SNE perplexity (capped below a third of the words)", above=0, hi=10_000)
    tsne_iter: int = option(500, "t-SNE iterations (the first 250 are early exaggeration)", lo=250, hi=100_000)
    bits: int = option(12, "bits per vector component in the page (8: a smaller file, cosines less exact)",
                       choices=(8, 12))
    seed: int = option(SEED, "seed of t-SNE and of the rotation applied before quantizing", lo=0, below=2**32)


# -- the data the page embeds -----------------------------------------------------------------------------------


def select_words(tables: Sequence[Vectors], n: int) -> tuple[list[str], list[np.ndarray]]:
    """The ``n`` first words (most frequent first, in the first table's order) that every table has, and
    each table's rows of them."""
    words: list[str] = []
    for w in tables[0].words:
        if all(w in t for t in tables[1:]):
            words.append(w)
            if len(words) == n:
                break
    rows = [np.fromiter((t.index_of(w) for w in words), dtype=np.int64, count=len(words)) for t in tables]
    return words, rows


def rotation(dim: int, seed: int = SEED) -> np.ndarray:
    """A seeded random orthogonal ``(dim, dim)`` matrix (QR of a Gaussian one, signs fixed)."""
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def quantize(unit: np.ndarray, seed: int = SEED, bits: int = 12) -> np.ndarray:
    """The integer rows the page embeds: the unit rows turned by :func:`rotation` (cosines do not change, and
    a table whose variance sits in a few coordinates, such as PCA's, gets its error spread evenly), each
    scaled so its largest absolute component is ``2**(bits-1) - 1`` and rounded (zero rows stay 0). Only
    the direction matters (the page renormalizes), so no scale is stored. Returns int16 values."""
    x = unit_rows(np.asarray(unit, dtype=np.float64)) @ rotation(np.shape(unit)[1], seed)
    peak = np.abs(x).max(axis=1, keepdims=True) if x.shape[1] else np.zeros((len(x), 1))
    top = 2.0 ** (bits - 1) - 1
    return np.rint(x * (top / np.where(peak > 0, peak, 1.0))).astype(np.int16)


def pack(q: np.ndarray, bits: int) -> bytes:
    """Row-major values as bytes: int8 (``bits=8``), or two 12-bit two's-complement values in 3 bytes
    (``bits=12``: ``b0 = v0 & 255``, ``b1 = v0 >> 8 | (v1 & 15) << 4``, ``b2 = v1 >> 4``; padded to even)."""
    flat = np.ascontiguousarray(q, dtype=np.int16).ravel()
    if bits == 8:
        return flat.astype(np.int8).tobytes()
    u = (flat.astype(np.int32) & 0xFFF).astype(np.uint32)
    if len(u) % 2:
        u = np.append(u, 0)
    v0, v1 = u[0::2], u[1::2]
    return np.stack([v0 & 0xFF, (v0 >> 8) | ((v1 & 0xF) << 4), v1 >> 4], axis=1).astype(np.uint8).tobytes()


def dequantize(q: np.ndarray) -> np.ndarray:
    """The unit rows the page computes from :func:`quantize`'s output (float64, in the turned coordinates)."""
    return unit_rows(q.astype(np.float64))


def row_errors(unit: np.ndarray, seed: int = SEED, bits: int = 12) -> np.ndarray:
    """Distance of every unit row from its quantized, renormalized copy (both turned alike). A cosine the
    page shows is within ``err[a] + err[b]`` of the float one (``|a'·b' − a·b| ≤ |a' − a| + |b' − b|``)."""
    unit = unit_rows(np.asarray(unit, dtype=np.float64))
    return np.linalg.norm(dequantize(quantize(unit, seed, bits)) - unit @ rotation(unit.shape[1], seed), axis=1)


def quantization_error(unit: np.ndarray, seed: int = SEED, bits: int = 12) -> float:
    """The largest of :func:`row_errors` (at dim 100: about 0.011 with 8 bits, 0.0007 with 12; the cosines
    themselves move about 10 times less)."""
    return float(row_errors(unit, seed, bits).max(initial=0.0))


def pca_2d(unit: np.ndarray, k: int = 2) -> np.ndarray:
    """The ``k`` leading principal components of the (centred) rows, as ``(n, k)`` float64 scores."""
    x = np.asarray(unit, dtype=np.float64)
    x = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    out = u[:, :k] * s[:k]
    if out.shape[1] < k:
        out = np.hstack([out, np.zeros((len(out), k - out.shape[1]))])
    for j in range(k):  # a fixed sign, so that two runs draw the same picture
        col = out[:, j]
        if col.size and col[np.argmax(np.abs(col))] < 0:
            out[:, j] = -col
    return out


def tsne_2d(unit: np.ndarray, cfg: ExploreConfig) -> np.ndarray:
    """t-SNE (scikit-learn, Barnes-Hut) of the rows, after PCA to at most 50 dimensions."""
    from sklearn.manifold import TSNE

    n = len(unit)
    x = pca_2d(unit, min(50, unit.shape[1], n)).astype(np.float32)
    perplexity = min(cfg.perplexity, max(1.0, (n - 1) / 3.0))
    # Learning rate n / 12 (Belkina et al. 2019; scikit-learn's "auto" is 4 times smaller): on 10,000 text8like
    # words, 500 iterations then reach a lower KL divergence than "auto" does in 1,000, in under half the time.
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate=max(n / 12.0, 50.0),
                max_iter=cfg.tsne_iter, random_state=cfg.seed, method="barnes_hut", n_jobs=os.cpu_count())
    return tsne.fit_transform(x).astype(np.float64)


def pack_coords(xy: np.ndarray) -> str:
    """2-D points → base64 of little-endian uint16 pairs in the unit square (aspect kept, centred)."""
    xy = np.asarray(xy, dtype=np.float64)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = float((hi - lo).max()) or 1.0
    z = (xy - (lo + hi) / 2) / span + 0.5
    return b64(np.rint(z * 65535).clip(0, 65535).astype("<u2"))


def b64(data: np.ndarray | bytes) -> str:
    raw = data if isinstance(data, bytes) else np.ascontiguousarray(data).tobytes()
    return base64.b64encode(raw).decode("ascii")


def settings_of(info: dict) -> dict:
    """The scalar settings of a ``config.json`` (lists and nested records left out)."""
    return {k: v for k, v in sorted(info.items())
            if k not in _SKIP_SETTINGS and (v is None or isinstance(v, (str, int, float, bool)))}


def _names(models: Sequence, names: Sequence[str] | None) -> list[str]:
    if names is None:
        names = [Path(m).name if isinstance(m, (str, os.PathLike)) else f"table{i + 1}" for i, m in enumerate(models)]
    names = [str(n) for n in names]
    if len(names) != len(models):
        raise W2VError(f"{len(names)} names for {len(models)} tables")
    if len(set(names)) != len(names):
        names = [f"{n}#{i + 1}" for i, n in enumerate(names)]
    return names


def page_data(models: Sequence[PathLike | Vectors], names: Sequence[str] | None = None,
              config: ExploreConfig | None = None, progress: bool = True, **options) -> dict:
    """Everything the page shows, JSON-ready: words, counts, and per table its int8 vectors, map
    coordinates and settings (``options`` are the fields of :class:`ExploreConfig`)."""
    from tqdm import tqdm

    cfg = config or ExploreConfig.from_kwargs(**options)
    if not models:
        raise W2VError("give at least one table to explore")
    names = _names(models, names)
    tables = [load(m) for m in models]
    words, rows = select_words(tables, cfg.words)
    if len(words) < 2:
        raise W2VError(f"the tables share {len(words)} word(s); the explorer needs at least 2")
    note = ""
    if len(words) < cfg.words:
        shared = "that every table has" if len(tables) > 1 else "in the table"
        note = f"{cfg.words:,} words requested, only {len(words):,} {shared}: showing all {len(words):,}"
    layouts = ["pca", "tsne"] if cfg.tsne and len(words) >= 4 else ["pca"]
    timings: dict[str, float] = {}
    out_models = []
    bar = tqdm(total=len(tables) * len(layouts), desc="maps", unit="map", disable=not progress, leave=False)
    for name, m, t, r in zip(names, models, tables, rows):
        sub = np.asarray(t.matrix[r])
        check_finite_rows(sub, words, f"table {name}")
        unit = unit_rows(sub.astype(np.float64))
        coords = {}
        for layout in layouts:
            bar.set_postfix_str(f"{name} {layout}")
            t0 = time.perf_counter()
            coords[layout] = pack_coords(pca_2d(unit) if layout == "pca" else tsne_2d(unit, cfg))
            timings[f"{name} {layout}"] = round(time.perf_counter() - t0, 3)
            bar.update()
        info = t.info
        out_models.append({
            "name": name, "path": str(m) if isinstance(m, (str, os.PathLike)) else None,
            "method": info.get("method"), "dim": t.dim, "vocab_size": len(t),
            "corpus": info.get("corpus") or info.get("source"), "settings": settings_of(info),
            "bits": cfg.bits, "vectors": b64(pack(quantize(unit, cfg.seed, cfg.bits), cfg.bits)),
            "layouts": coords, "quantization_error": round(quantization_error(unit, cfg.seed, cfg.bits), 7),
        })
    bar.close()
    from . import __version__

    return {
        "format": 1, "tool": f"w2v {__version__} (python -m w2v.explore)",
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "words": words, "counts": [int(c) for c in tables[0].counts[rows[0]]],
        "requested": cfg.words, "note": note, "topn": cfg.topn, "layouts": layouts,
        "tsne": {"perplexity": min(cfg.perplexity, max(1.0, (len(words) - 1) / 3.0)), "iterations": cfg.tsne_iter,
                 "learning_rate": max(len(words) / 12.0, 50.0), "seed": cfg.seed} if "tsne" in layouts else None,
        "models": out_models, "timings": timings,
    }


def render(data: dict) -> str:
    """The page: the template ``w2v/data/explorer.html`` with ``data`` inlined as JSON."""
    template = resources.files("w2v").joinpath("data/explorer.html").read_text(encoding="utf-8")
    # "<" escaped: a word such as "</script>" cannot end the data block; the page never parses words as HTML.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    title = "w2v explorer: " + ", ".join(m["name"] for m in data["models"])
    return template.replace("__W2V_TITLE__", html.escape(title)).replace(DATA_MARK, payload, 1)


def write_page(models: Sequence[PathLike | Vectors], out: PathLike, names: Sequence[str] | None = None,
               progress: bool = True, config: ExploreConfig | None = None, **options) -> dict:
    """Build the page for ``models`` and write it to ``out`` atomically; returns a summary
    (``words``, ``note``, ``bytes``, ``seconds``, ``timings``)."""
    t0 = time.perf_counter()
    data = page_data(models, names, config, progress, **options)
    text = render(data)
    save_text(out, text)
    return {"words": len(data["words"]), "note": data["note"], "bytes": len(text.encode("utf-8")),
            "seconds": time.perf_counter() - t0, "timings": data["timings"], "layouts": data["layouts"]}


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.explore", "Write one self-contained HTML page (no network needed to view it) to explore "
               "tables: 2-D maps (PCA, t-SNE) with zoom and pan, nearest neighbours and analogies computed in "
               "the page, several tables side by side with linked selection.")
    p.add_argument("models", nargs="+", metavar="MODEL",
                   help="w2v output directories (or word2vec/GloVe files) of the same corpus")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.add_argument("--names", nargs="+", help="labels for the tables (default: directory names)")
    ExploreConfig.add_arguments(p)
    add_quiet(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = ExploreConfig.from_args(args)
    check_output_file(args.out, "--out", {f"MODEL {m}": m for m in args.models})
    for m in args.models:
        if not Path(m).exists():
            raise W2VError(f"no model directory or vector file at {m}")
    res = write_page(args.models, args.out, names=args.names, progress=not args.quiet, config=cfg)
    if res["note"]:
        print(f"warning: {res['note']}", file=sys.stderr)
    if not args.quiet:
        maps = " + ".join(res["layouts"])
        print(f"wrote {args.out}: {res['words']:,} words x {len(args.models)} table(s), {maps} maps, "
              f"{human(res['bytes'])} in {res['seconds']:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_cli(main)


__all__ = ["ExploreConfig", "page_data", "render", "write_page", "quantize", "dequantize", "quantization_error",
           "select_words", "rotation", "row_errors", "pack"]
