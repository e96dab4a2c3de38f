#!/usr/bin/env python
"""Does a pre-trained table help a supervised Embedding layer? Learning curves on Pang & Lee and IMDB.

The same bag-of-embeddings classifier (:mod:`w2v.supervised`: Embedding -> pooling -> linear ->
softmax, Adam, early stopping) with its table

* ``random``               – uniform(-0.05, 0.05) (Keras' default), trained;
* ``sgns-text8like``       – w2v SGNS on text8like (Wikipedia, 17M tokens, whitespace tokens);
* ``sgns-imdb``            – w2v SGNS on IMDB ``unsup`` + ``train`` reviews (``words`` tokens);
* ``sgns-text8like+imdb``  – w2v SGNS on both, concatenated, from scratch;
* ``sgns-text8like-then-imdb`` – the text8like table continued on the IMDB text (``train --from``);
* ``sppmi-svd-imdb``, ``pca-imdb`` – the count-based tables of :mod:`w2v.svd` on the same IMDB text;

each pre-trained table ``frozen`` (only the linear layer learns) and ``tuned`` (fine-tuned), at
label fractions 1, 3, 10, 30, 100 % of each training split. The subsets are stratified and nested
(:func:`w2v.supervised.nested_subsets`) and depend on the split's seed only, so every table sees the
same examples, the same validation part and the same shuffling seed: differences are paired.

Tasks: Pang & Lee sentence polarity (10-fold stratified CV; 95 % t-interval of the mean per-fold
difference against random) and the IMDB document task (25k train / 25k test; 95 % interval of the
paired difference of test accuracies from the discordant test reviews). IMDB test reviews are never
pre-training text. Tables are trained once and cached in ``--tables-dir`` (git-ignored ``models/``).

    python scripts/supervised_init.py                      # full: ../shared data, ~45 min (see docs)
    python scripts/supervised_init.py --quick --out out/q  # bundled slices, small tables, ~2.5 min
    python scripts/supervised_init.py --select             # choose the defaults on validation data only
    python scripts/supervised_init.py --tables-only --tables-dir DIR   # train the tables, print their times

Writes ``results.json``, ``results.md`` (Markdown tables) and ``learning_curves.png`` to ``--out``.
"""

from __future__ import annotations

import json
import lzma
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.model_selection import StratifiedKFold

from w2v.cli import add_quiet, parser, run_cli
from w2v.errors import W2VError
from w2v.formats import load
from w2v.outdir import to_json
from w2v.supervised import load_class_files, nested_subsets, stratified_split, train_and_evaluate
from w2v.svd import build as build_counts
from w2v.tokenize import get as get_tokenizer
from w2v.train import train_embeddings

ROOT = Path(__file__).resolve().parents[1]
#: ``../shared`` of the checkout (of the main checkout, for a worktree one level deeper)
SHARED = next((d / "shared" for d in (ROOT.parent, ROOT.parent.parent) if (d / "shared").is_dir()),
              ROOT.parent / "shared")
TABLES = ["random", "sgns-text8like", "sgns-imdb", "sgns-text8like+imdb", "sgns-text8like-then-imdb", "sppmi-svd-imdb",
          "pca-imdb"]
#: Tables built only when asked for (``--tables``): ``sgns-text8like-subwords`` is the text8like table with
#: character n-grams (``train --subwords``), so training words it lacks can be built from their n-grams.
EXTRA_TABLES = ["sgns-text8like-subwords"]
#: Unknown-word policies (``--unknown``): how rows of training words a table lacks start
#: (:func:`w2v.export.align`); ``auto`` is n-grams for a table that has them, else random.
POLICIES = ["auto", "zeros", "mean", "random", "subword"]
FRACTIONS = [0.01, 0.03, 0.1, 0.3, 1.0]
TOKENIZER = "words"

#: Classifier settings, chosen with ``--select`` on validation data only (see docs/supervised.md).
#: ``tuned`` is used for every trained table (random with its own table learning rate), ``frozen`` for
#: fixed tables.
DEFAULTS = {
    "tuned": dict(pooling="mean-max", scale="none", lr=1e-3, table_lr=1e-4, monitor="loss"),
    "frozen": dict(pooling="mean", scale="none", lr=1e-2, table_lr=None, monitor="loss"),
}
#: The random table learns at the classifier's rate (1e-3): on validation it did as well as at 1e-4
#: (P&L 10 %: 65.3 vs 65.1, 100 %: 77.6 vs 77.8), and a table that starts from nothing must move.
RANDOM = dict(table_lr=None)
#: Per-task exceptions, for compute only: max pooling touches every token's vector (25k reviews of ~270
#: tokens), mean pooling runs on sparse word frequencies, ~4x faster on IMDB; mean was the runner-up on
#: validation and is the baseline of the issue. At most 10 epochs of 25k reviews (7,000 steps). The table
#: learning rate on IMDB is 1e-3: on a validation part of the IMDB training set (20 %, all labels) an
#: ``sgns-imdb`` table fine-tuned at 1e-3 reached 90.4 %, at 1e-4 89.0 % (random: 90.1 %).
TASK_SETTINGS = {"imdb": {"tuned": dict(pooling="mean", max_epochs=10, max_steps=7000, table_lr=1e-3)}}
COMMON = dict(val_size=0.1, min_val=20, batch_size=32, patience=3, max_epochs=30, min_steps=100, max_steps=3000)


# --- data and tables ----------------------------------------------------------------------------------------


def sources(quick: bool, imdb_dir: Path, text8like: Path) -> dict:
    """Where the labeled data and the pre-training text come from."""
    if quick:
        imdb_dir = ROOT / "corpora" / "imdb"
        text8like = ROOT / "corpora" / "text8like-20M.xz"
    rt = ROOT / "corpora" / "rt-polarity"
    return {
        "pl": [rt / "rt-polarity.pos", rt / "rt-polarity.neg"],
        "imdb_train": [imdb_dir / "train-pos.txt.xz", imdb_dir / "train-neg.txt.xz"],
        "imdb_test": [imdb_dir / "test-pos.txt.xz", imdb_dir / "test-neg.txt.xz"],
        # pre-training text: unsup + train, never test (fair for both tasks)
        "imdb_text": [imdb_dir / "unsup.txt.xz", imdb_dir / "train-pos.txt.xz", imdb_dir / "train-neg.txt.xz"],
        "text8like": text8like,
    }


def _link_dir(directory: Path, files: list[Path]) -> Path:
    """A directory of symbolic links to ``files``: the trainer reads a directory's files in sorted order."""
    directory.mkdir(parents=True, exist_ok=True)
    for f in files:
        link = directory / Path(f).name
        if not link.exists():
            os.symlink(Path(f).resolve(), link)
    return directory


def build_tables(tables_dir: Path, src: dict, quick: bool, threads: int, log, names: list[str]) -> dict[str, Path]:
    """Train (or reuse) the pre-trained tables ``names``; returns ``{name: model directory}``."""
    tables_dir.mkdir(parents=True, exist_ok=True)
    if quick:  # the first 4 MB of the bundled text8like slice (~700k tokens)
        head = tables_dir / "text8like-4M.txt"
        if not head.is_file():
            with lzma.open(src["text8like"], "rb") as fh:
                data = fh.read(4_000_000)
            head.write_bytes(data[: data.rfind(b" ")])
        src = {**src, "text8like": head}
    imdb = _link_dir(tables_dir / "corpus-imdb", src["imdb_text"])
    both = _link_dir(tables_dir / "corpus-text8like+imdb", [src["text8like"]] + src["imdb_text"])
    epochs = 1 if quick else 5
    min_count = 3 if quick else 5
    sgns = dict(threads=threads, epochs=epochs, min_count=min_count, progress=False)
    counts = dict(threads=threads, min_count=min_count, progress=False, max_vocab=5000 if quick else 50_000)
    jobs = {
        "sgns-text8like": lambda out: train_embeddings(str(src["text8like"]), out=out, save_context=True, **sgns),
        "sgns-text8like-subwords": lambda out: train_embeddings(
            str(src["text8like"]), out=out, subwords=True, buckets=200_000 if quick else 2_000_000, **sgns),
        "sgns-imdb": lambda out: train_embeddings(str(imdb), out=out, tokenize=TOKENIZER, **sgns),
        "sgns-text8like+imdb": lambda out: train_embeddings(str(both), out=out, tokenize=TOKENIZER, **sgns),
        # text8like's whitespace words are lowercase without punctuation: the `words` tokenizer splits them alike
        "sgns-text8like-then-imdb": lambda out: train_embeddings(
            str(imdb), out=out, start_from=tables_dir / "sgns-text8like", tokenize=TOKENIZER, mixed_tokenizers=True,
            **sgns),
        "sppmi-svd-imdb": lambda out: build_counts(str(imdb), out=out, method="svd", tokenize=TOKENIZER, **counts),
        "pca-imdb": lambda out: build_counts(str(imdb), out=out, method="pca", tokenize=TOKENIZER, **counts),
    }
    paths = {}
    needed = set(names) | ({"sgns-text8like"} if "sgns-text8like-then-imdb" in names else set())
    for name, job in jobs.items():  # in order: a continued table after the one it starts from
        if name not in needed:
            continue
        out = tables_dir / name
        if not (out / "config.json").is_file():
            t0 = time.time()
            job(out)
            log(f"  trained {name} in {time.time() - t0:.0f} s (load {os.getloadavg()[0]:.1f})")
        paths[name] = out
    return paths


def table_seconds(path: Path) -> float:
    """A table's own training time (a continued table: its run only, with the vocabulary merge)."""
    cfg = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    return float(cfg.get("train_seconds", cfg.get("total_seconds", 0.0))) + float(
        (cfg.get("start_from") or {}).get("merge_seconds", 0.0))


def load_tasks(src: dict, tasks: list[str], quick: bool) -> dict:
    """Tokens, labels and splits of each task: ``{task: (tokens, labels, [(train_idx, test_idx), ...])}``."""
    split = get_tokenizer(TOKENIZER)
    out = {}
    if "pl" in tasks:
        data = load_class_files(src["pl"], encoding="latin-1")
        if quick:  # a stratified 40 % of the sentences, 2 of the 10 folds
            keep = nested_subsets(data.labels, [0.4], seed=0)[0.4]
            data.texts, data.labels = [data.texts[i] for i in keep], data.labels[keep]
        skf = StratifiedKFold(n_splits=10, shuffle=True, random_state=0)
        folds = list(skf.split(np.zeros(len(data)), data.labels))
        out["pl"] = ([split(t) for t in data.texts], data.labels, folds[:2] if quick else folds)
    if "imdb" in tasks:
        train, test = load_class_files(src["imdb_train"]), load_class_files(src["imdb_test"])
        assert train.classes == test.classes
        labels = np.concatenate([train.labels, test.labels])
        n = len(train)
        out["imdb"] = ([split(t) for t in train.texts + test.texts], labels,
                       [(np.arange(n), np.arange(n, len(labels)))])
    return out


# --- one run ------------------------------------------------------------------------------------------------


def run(tokens, labels, train_idx, test_idx, table, mode: str, seed: int, settings: dict | None = None):
    """One classifier: ``table`` (None = random) ``frozen`` or ``tuned`` on ``train_idx``; returns the result.
    ``settings`` override the defaults (``unknown``: the policy for training words the table lacks)."""
    s = {**COMMON, **DEFAULTS[mode], **(RANDOM if table is None else {}), **(settings or {})}
    n = len(train_idx)
    val_size = min(0.25, max(s["val_size"], s["min_val"] / n))
    n_batches = max(1, int(np.ceil(n * (1 - val_size) / s["batch_size"])))
    # few labels -> few steps per epoch: bound the number of steps rather than of epochs
    min_epochs = int(np.ceil(s["min_steps"] / n_batches))
    epochs = max(s["max_epochs"], min(int(np.ceil(s["max_steps"] / n_batches)), 500), min_epochs)
    return train_and_evaluate(tokens, labels, train_idx, test_idx, init=table, freeze=mode == "frozen",
                              pooling=s["pooling"], scale=s["scale"] if table is not None else "none",
                              val_size=val_size, epochs=epochs, min_epochs=min_epochs, patience=s["patience"],
                              batch_size=s["batch_size"], lr=s["lr"], table_lr=s["table_lr"],
                              monitor=s["monitor"], seed=seed, tokenize=TOKENIZER, unknown=s.get("unknown", "auto"))


def settings_list(names: list[str]) -> list[tuple[str, str]]:
    """``(table, mode)`` pairs: random tuned only; every pre-trained table frozen and tuned."""
    return [(t, m) for t in names for m in (("tuned",) if t == "random" else ("frozen", "tuned"))]


def policies_of(table, policies) -> list[str]:
    """The unknown-word policies to run for ``table``: ``subword`` only for a table with n-grams."""
    if table is None:
        return ["auto"]
    return [p for p in policies if p != "subword" or getattr(table, "has_subwords", False)]


def experiment(task, tokens, labels, splits, tables, fractions, log, policies=("auto",)) -> dict:
    """Accuracy of every (table, mode[, unknown policy]) at every fraction on every split, plus IMDB's
    per-review correctness. Keys are ``table/mode``, with ``/policy`` for a policy other than ``auto``."""
    res: dict = {"acc": {}, "correct": {}, "coverage": {}, "epochs": {}}
    for k, (train_idx, test_idx) in enumerate(splits):
        subsets = nested_subsets(labels[train_idx], fractions, seed=k)
        for f in fractions:
            part = np.asarray(train_idx)[subsets[f]]
            line = [f"{task} split {k + 1}/{len(splits)} {100 * f:g}% ({len(part)} labels)"]
            for table, mode in settings_list(list(tables)):
                runs = policies_of(tables[table], policies)
                for policy in runs:
                    key = f"{table}/{mode}" + ("" if policy == "auto" else f"/{policy}")
                    settings = TASK_SETTINGS.get(task, {}).get(mode)
                    if policy != "auto":
                        settings = {**(settings or {}), "unknown": policy}
                    r = run(tokens, labels, part, test_idx, tables[table], mode, seed=k, settings=settings)
                    record(res, key, str(f), r, labels[test_idx], len(splits) == 1)
                    if r.report is not None and f == fractions[-1] and mode == "tuned" and policy == runs[0]:
                        res["coverage"].setdefault(table, []).append(
                            (r.report.coverage, r.report.token_coverage, r.report.model_tokenize, r.report.subwords))
                    line.append(f"{key} {r.test_accuracy:.3f}")
            log("  ".join(line))
    return res


def record(res: dict, key: str, f: str, r, test_labels, per_item: bool) -> None:
    """Store one run's test accuracy and best epoch (and, for a single split, which test items it got right)."""
    res["acc"].setdefault(key, {}).setdefault(f, []).append(r.test_accuracy)
    res["epochs"].setdefault(key, {}).setdefault(f, []).append(r.history.best_epoch)
    if per_item:
        res["correct"].setdefault(key, {})[f] = (r.predictions == test_labels).tolist()


# --- statistics and reports ---------------------------------------------------------------------------------


def paired_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of ``a - b`` over splits and its 95 % t-interval."""
    d = np.asarray(a, float) - np.asarray(b, float)
    if len(d) < 2:
        return float(d.mean()), float("nan"), float("nan")
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def paired_proportions(correct_a, correct_b) -> tuple[float, float, float]:
    """Difference of two classifiers' accuracies on the same test items, with the 95 % Wald interval of
    paired proportions (from the discordant pairs)."""
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    n = len(a)
    n10, n01 = int(np.sum(a & ~b)), int(np.sum(~a & b))
    d = (n10 - n01) / n
    se = np.sqrt(max((n10 + n01) / n - d * d, 0.0) / n)
    return d, d - 1.96 * se, d + 1.96 * se


def paired(res: dict, a: str, b: str, f: str) -> tuple[float, float, float]:
    """Accuracy of setting ``a`` minus setting ``b`` at fraction ``f`` with its 95 % interval: per-item
    (paired proportions) for one split, per-split t-interval for several."""
    if res["correct"]:
        return paired_proportions(res["correct"][a][f], res["correct"][b][f])
    return paired_interval(res["acc"][a][f], res["acc"][b][f])


def summarize(res: dict, fractions) -> dict:
    """Per (table/mode, fraction): mean accuracy, and the paired difference against random with its interval."""
    out = {}
    for key, by_f in res["acc"].items():
        for f in fractions:
            acc = np.array(by_f[str(f)])
            d, lo, hi = paired(res, key, "random/tuned", str(f))
            out.setdefault(key, {})[str(f)] = {"mean": float(acc.mean()), "diff": d, "lo": lo, "hi": hi,
                                               "n_splits": len(acc)}
    return out


def policy_contrasts(res: dict, fractions) -> dict:
    """For every ``table/mode/subword`` setting: the paired difference against the best other unknown-word
    policy of the same table and mode (the one with the highest mean accuracy at that fraction; chosen on
    the test scores, so the comparison favours the other policy)."""
    out = {}
    for key in res["acc"]:
        if not key.endswith("/subword"):
            continue
        base = key[: -len("/subword")]
        others = [k for k in res["acc"] if k != key and (k == base or k.startswith(base + "/"))]
        for f in map(str, fractions):
            if not others:
                continue
            best = max(others, key=lambda k: np.mean(res["acc"][k][f]))
            d, lo, hi = paired(res, key, best, f)
            out.setdefault(key, {})[f] = {"mean": float(np.mean(res["acc"][key][f])), "best_other": best,
                                          "best_mean": float(np.mean(res["acc"][best][f])), "diff": d, "lo": lo,
                                          "hi": hi}
    return out


def contrast_markdown(task: str, contrasts: dict, fractions) -> str:
    if not contrasts:
        return ""
    head = "| setting | " + " | ".join(f"{100 * f:g} %" for f in fractions) + " |"
    lines = [f"**{task}: unknown words built from n-grams vs the best other policy**: accuracy of `subword`, "
             "best other policy and its accuracy, Δ [95 % CI]", "", head, "|---" * (len(fractions) + 1) + "|"]
    for key, by_f in contrasts.items():
        cells = []
        for f in fractions:
            c = by_f[str(f)]
            ci = "" if np.isnan(c["lo"]) else f" [{100 * c['lo']:+.1f}, {100 * c['hi']:+.1f}]"
            cells.append(f"{100 * c['mean']:.1f} vs {c['best_other'].rsplit('/', 1)[-1]} {100 * c['best_mean']:.1f}"
                         f" ({100 * c['diff']:+.1f}{ci})")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown(task: str, summary: dict, fractions, n_splits: int = 10) -> str:
    name = {"pl": f"Pang & Lee, {n_splits} of the 10 CV folds" if n_splits != 10 else "Pang & Lee, 10-fold CV",
            "imdb": "IMDB, 25k train / 25k test"}.get(task, task)
    head = "| table | " + " | ".join(f"{100 * f:g} %" for f in fractions) + " |"
    lines = [f"**{name}**: accuracy (Δ vs random [95 % CI])", "", head, "|---" * (len(fractions) + 1) + "|"]
    for key, by_f in summary.items():
        cells = []
        for f in fractions:
            s = by_f[str(f)]
            cell = f"{100 * s['mean']:.1f}"
            if key != "random/tuned":
                ci = "" if np.isnan(s["lo"]) else f" [{100 * s['lo']:+.1f}, {100 * s['hi']:+.1f}]"
                cell += f" ({100 * s['diff']:+.1f}{ci})"
            cells.append(cell)
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(summaries: dict, fractions, n_train: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(summaries), figsize=(6.5 * len(summaries), 9), squeeze=False)
    colors = dict(zip(TABLES + EXTRA_TABLES, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for col, (task, summary) in enumerate(summaries.items()):
        x = np.array(fractions) * n_train[task]
        for row, mode in enumerate(("tuned", "frozen")):
            ax = axes[row, col]
            for key, by_f in summary.items():
                table, m = key.split("/")[:2]
                if m != mode and table != "random":
                    continue
                mean = np.array([by_f[str(f)]["mean"] for f in fractions])
                base = np.array([summary["random/tuned"][str(f)]["mean"] for f in fractions])
                lo = np.array([by_f[str(f)]["lo"] for f in fractions])
                hi = np.array([by_f[str(f)]["hi"] for f in fractions])
                ax.plot(x, 100 * mean, "o-", color=colors[table], label=table + "".join(
                    f" ({p})" for p in key.split("/")[2:]) + (" (trained)" if table == "random"
                                                                                     else ""))
                if table != "random" and np.all(np.isfinite(lo)):
                    ax.fill_between(x, 100 * (base + lo), 100 * (base + hi), color=colors[table], alpha=0.15)
            ax.set_xscale("log")
            ax.set_xlabel("training labels (log scale)")
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(f"{task}: tables {mode} (bands: random + 95% CI of the paired difference)", fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- choosing the defaults on validation data only -------------------------------------------------------


SELECT_GRID = {
    "tuned": [dict(pooling=p, scale=s, table_lr=None, monitor="accuracy") for p in ("mean", "max", "mean-max")
              for s in ("none", "random")]
    + [dict(pooling="mean-max", scale="random", table_lr=None), dict(pooling="mean", scale="none", table_lr=1e-2)]
    + [dict(pooling="mean-max", scale=s, table_lr=t) for s, t in (("random", 1e-4), ("none", 1e-4), ("none", None))],
    "frozen": [dict(pooling=p, monitor=m) for p in ("mean", "max", "mean-max") for m in ("loss", "accuracy")],
}


def select(tasks: dict, tables: dict, log, n_splits: int = 2) -> dict:
    """Score the candidate settings on a validation part carved out of each training split (test parts unused)."""
    out = {}
    for task, (tokens, labels, splits) in tasks.items():
        for k, (train_idx, _) in enumerate(splits[:n_splits]):
            inner, held = stratified_split(labels[train_idx], 0.2, seed=100 + k)
            inner, held = np.asarray(train_idx)[inner], np.asarray(train_idx)[held]
            subsets = nested_subsets(labels[inner], [0.03, 0.1, 1.0] if task == "pl" else [0.03], seed=k)
            for f, sub in subsets.items():
                for mode, grid in SELECT_GRID.items():
                    for table in (["random"] if mode == "tuned" else []) + ["sgns-imdb"]:
                        for cand in grid:
                            name = f"{task} {100 * f:g}% {table}/{mode} " + " ".join(f"{a}={b}" for a, b in
                                                                                     cand.items())
                            r = run(tokens, labels, inner[sub], held, tables[table], mode, k, cand)
                            out.setdefault(name, []).append(r.test_accuracy)
                            log(f"  {name}: {r.test_accuracy:.4f}")
    log("\nvalidation accuracy (mean over splits) of each candidate:")
    for name, accs in out.items():
        log(f"  {np.mean(accs):.4f}  {name}")
    return out


def combine(paths: list[Path], out: Path) -> int:
    """One ``learning_curves.png`` and ``results.md`` from the ``results.json`` of runs of different tasks."""
    summaries, n_train, md = {}, {}, ""
    for path in paths:
        res = json.loads(Path(path).read_text(encoding="utf-8"))
        summaries.update(res["summary"])
        n_train.update(res["n_train"])
        fractions = res["fractions"]
        md += (Path(path).parent / "results.md").read_text(encoding="utf-8") + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(md, encoding="utf-8")
    plot(summaries, fractions, n_train, out / "learning_curves.png")
    print(f"wrote {out / 'results.md'}, learning_curves.png")
    return 0


# --- main -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = parser("scripts/supervised_init.py", __doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="bundled slices (corpora/imdb, text8like-20M), small tables, 2 P&L folds of 40 %% of the "
                   "sentences (a smoke run)")
    p.add_argument("--select", action="store_true", help="only score the candidate classifier settings on "
                   "validation parts of the training splits (never the test parts)")
    p.add_argument("--tasks", nargs="+", choices=["pl", "imdb"], default=["pl", "imdb"], help="tasks to run")
    p.add_argument("--fractions", nargs="+", type=float, default=None,
                   help=f"label fractions (default: {' '.join(map(str, FRACTIONS))}; with --quick 0.1 1)")
    p.add_argument("--tables", nargs="+", choices=TABLES + EXTRA_TABLES, default=TABLES,
                   help=f"tables to compare (default: all but {', '.join(EXTRA_TABLES)})")
    p.add_argument("--unknown", nargs="+", choices=POLICIES, default=["auto"],
                   help="unknown-word policies to compare for each pre-trained table (training words it lacks: "
                   "zeros, the table's mean, random at its scale, or built from n-grams, which also gives words "
                   "first seen at test time their vector; subword only for tables with n-grams)")
    p.add_argument("--folds", type=int, default=10, help="Pang & Lee: use the first N of the 10 folds")
    p.add_argument("--imdb-dir", type=Path, default=SHARED / "corpora" / "imdb", help="IMDB reviews (full mode)")
    p.add_argument("--text8like", type=Path, default=SHARED / "corpora" / "text8like", help="text8like (full mode)")
    p.add_argument("--tables-dir", type=Path, default=None,
                   help="cache of the pre-trained tables (default: models/supervised-init[-quick])")
    p.add_argument("--threads", type=int, default=2, help="threads for training the tables")
    p.add_argument("--out", type=Path, default=ROOT / "out" / "supervised-init", help="output directory")
    add_quiet(p, "print only the tables")
    p.add_argument("--tables-only", action="store_true",
                   help="only train (or reuse) the tables and print each one's training time (a timing run)")
    p.add_argument("--combine", nargs="+", type=Path, metavar="JSON",
                   help="only merge the results.json of runs of different tasks into one figure and table")
    args = p.parse_args(argv)
    if args.combine:
        return combine(args.combine, args.out)
    if "random" not in args.tables and not args.tables_only:
        raise W2VError("--tables must include random (the baseline)")
    fractions = sorted(set(args.fractions or ([0.1, 1.0] if args.quick else FRACTIONS)))
    if fractions[-1] != 1.0:
        fractions.append(1.0)

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, flush=True)

    t0 = time.time()
    load0 = os.getloadavg()
    src = sources(args.quick, args.imdb_dir, args.text8like)
    tables_dir = args.tables_dir or ROOT / "models" / ("supervised-init-quick" if args.quick else "supervised-init")
    log(f"tables in {tables_dir}")
    names = ["sgns-imdb"] if args.select else args.tables
    paths = build_tables(tables_dir, src, args.quick, args.threads, log, names)
    t_tables = time.time() - t0
    if args.tables_only:
        for t, path in paths.items():
            cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
            tokens, speed = cfg.get("corpus_stats", {}).get("tokens", 0), cfg.get("words_per_second", 0)
            print(f"{t}: {table_seconds(path):.1f} s training (+ merge), {tokens:,} tokens, {speed:,} words/s")
        print(f"load average at start {load0[0]:.1f}, at end {os.getloadavg()[0]:.1f}")
        return 0
    tables = {"random": None, **{t: load(paths[t]) for t in names if t != "random"}}
    tasks = load_tasks(src, args.tasks, args.quick)
    if "pl" in tasks:
        tokens, labels, folds = tasks["pl"]
        tasks["pl"] = (tokens, labels, folds[:max(2, args.folds)])
    args.out.mkdir(parents=True, exist_ok=True)
    if args.select:
        sel = select(tasks, tables, log)
        (args.out / "select.json").write_text(json.dumps(sel, indent=1) + "\n", encoding="utf-8")
        return 0
    results, summaries, contrasts, n_train = {}, {}, {}, {}
    for task, (tokens, labels, splits) in tasks.items():
        results[task] = experiment(task, tokens, labels, splits, tables, fractions, log, args.unknown)
        summaries[task] = summarize(results[task], fractions)
        contrasts[task] = policy_contrasts(results[task], fractions)
        n_train[task] = int(np.mean([len(tr) for tr, _ in splits]))
    seconds = time.time() - t0
    md = "".join(markdown(task, summaries[task], fractions, len(tasks[task][2])) + "\n"
                 + contrast_markdown(task, contrasts[task], fractions)
                 + "\n" for task in summaries)
    coverage = {task: {t: [list(c) for c in v] for t, v in r["coverage"].items()} for task, r in results.items()}
    cov_lines = [f"- {task}, {t}: word index coverage {100 * np.mean([c[0] for c in v]):.1f} % of types, "
                 f"{100 * np.mean([c[1] for c in v]):.1f} % of tokens (table tokenizer: {v[0][2]})"
                 + (f"; {np.mean([c[3] for c in v]):,.0f} more word types built from n-grams" if len(v[0]) > 3
                    and v[0][3] else "")
                 for task, by_t in coverage.items() for t, v in by_t.items()]
    meta = (f"\nMachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
            f"Python {platform.python_version()}, numpy {np.__version__}. Load average at start "
            f"{load0[0]:.1f}, at end {os.getloadavg()[0]:.1f} (shared machine). Date: "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Wall time {seconds / 60:.1f} min "
            f"(tables {t_tables / 60:.1f} min, 0 when cached). Command: "
            f"`python scripts/supervised_init.py {' '.join(argv if argv is not None else sys.argv[1:])}`\n")
    times = {t: round(table_seconds(paths[t]), 1) for t in paths}
    cov_lines.append("- table training time, s (a continued table: its own run + the vocabulary merge): "
                     + ", ".join(f"{t} {s:.0f}" for t, s in times.items()))
    (args.out / "results.md").write_text(md + "\n".join(cov_lines) + "\n" + meta, encoding="utf-8")
    (args.out / "results.json").write_text(to_json({
        "summary": summaries, "policy_contrasts": contrasts, "results": results, "coverage": coverage,
        "fractions": fractions,
        "settings": {"defaults": DEFAULTS, "random": RANDOM, "common": COMMON, "task_settings": TASK_SETTINGS},
        "n_train": n_train, "seconds": round(seconds, 1),
        "table_seconds": round(t_tables, 1), "table_train_seconds": times, "load_start": load0,
        "load_end": os.getloadavg(),
        "tables": {t: str(paths[t]) for t in paths}}) + "\n", encoding="utf-8")
    plot(summaries, fractions, n_train, args.out / "learning_curves.png")
    print(md + "\n".join(cov_lines) + "\n" + meta)
    print(f"wrote {args.out / 'results.md'}, results.json, learning_curves.png")
    return 0


if __name__ == "__main__":
    run_cli(main)
