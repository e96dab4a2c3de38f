#!/usr/bin/env python
"""Does a word2vec table help a supervised Embedding layer? Pang & Lee sentence polarity, cross-validated.

Three settings of the same bag-of-embeddings classifier (Embedding -> masked mean -> linear ->
softmax, :mod:`w2v.supervised`), each on the same stratified folds:

* ``random``     – table from uniform(-0.05, 0.05) (Keras' default), trained;
* ``sgns-frozen`` – table from a w2v SGNS model aligned to the training word index, kept fixed;
* ``sgns-tuned``  – the same start, fine-tuned;
* ``sgns-frozen+vocab``, ``sgns-tuned+vocab`` – the same, with the model's whole vocabulary appended
  to the word index, so words first seen at test time keep their SGNS vector instead of ``[UNK]``.

Prints the accuracy of every fold, mean ± std per setting, the paired differences, and the nearest
neighbours of sentiment words in the table before and after fine-tuning (first fold). Before and
after are searched over the same words (training words the SGNS model knows, seen at least
``--min-neighbor-count`` times), so any change comes from the supervised training alone. Each
neighbour list is also scored by how many neighbours lean to the query's side in the training
labels (sign of the smoothed log-odds of appearing in positive vs negative sentences): a measure
of the claim that supervised training regroups words by their emotional load.

    python scripts/supervised_init.py --model models/text8like-sgns [--folds 10] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from w2v.outdir import load_model
from w2v.supervised import load_class_files, stratified_split, tokenize, train_and_evaluate

ROOT = Path(__file__).resolve().parents[1]
DATA = [ROOT / "corpora" / "rt-polarity" / "rt-polarity.pos", ROOT / "corpora" / "rt-polarity" / "rt-polarity.neg"]
QUERIES = ["good", "bad", "boring", "brilliant"]

#: name -> (use the SGNS table, freeze it, Adam learning rate, extend the word index with the model's
#: vocabulary). The frozen settings train only the 2x100 linear layer, which needs a larger step to
#: converge within the patience window. The "+vocab" settings check whether SGNS helps through the
#: words first seen at test time (mapped to [UNK] when the index holds training words only).
SETTINGS = {
    "random": (False, False, 1e-3, False),
    "sgns-frozen": (True, True, 1e-2, False),
    "sgns-tuned": (True, False, 1e-3, False),
    "sgns-frozen+vocab": (True, True, 1e-2, True),
    "sgns-tuned+vocab": (True, False, 1e-3, True),
}


def folds(labels: np.ndarray, n_folds: int, n_splits: int, seed: int):
    """``(train_idx, test_idx)`` pairs: stratified k-fold CV, or seeded stratified 90/10 splits."""
    if n_splits:
        for k in range(n_splits):
            yield stratified_split(labels, 0.1, seed + k)  # (train, test)
        return
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    yield from skf.split(np.zeros(len(labels)), labels)


def unit_rows(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


def neighbours(table: np.ndarray, words: list[str], query: str, topn: int) -> list[tuple[str, float]]:
    """Cosine neighbours of ``query`` among ``words`` (rows of ``table``), query excluded."""
    u = unit_rows(table)
    i = words.index(query)
    sims = u @ u[i]
    sims[i] = -np.inf
    top = np.argsort(-sims)[:topn]
    return [(words[j], float(sims[j])) for j in top]


def polarity(token_lists, labels, train_idx) -> dict[str, float]:
    """Smoothed log-odds of each word appearing in a class-0 (``pos``) vs a class-1 (``neg``) sentence."""
    pos, neg = Counter(), Counter()
    for i in train_idx:
        (pos if labels[i] == 0 else neg).update(set(token_lists[i]))
    return {w: float(np.log((pos[w] + 1) / (neg[w] + 1))) for w in set(pos) | set(neg)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "models" / "text8like-sgns"), help="w2v SGNS model directory")
    p.add_argument("--folds", type=int, default=10, help="stratified k-fold cross-validation")
    p.add_argument("--splits", type=int, default=0, help="instead of --folds: this many seeded 90/10 splits")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds (fold k also seeds its training with k)")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs (early stopping, patience 3)")
    p.add_argument("--topn", type=int, default=10, help="neighbours per query word")
    p.add_argument("--min-neighbor-count", type=int, default=5,
                   help="neighbour candidates: training words seen at least this often")
    p.add_argument("--json", help="write every number to this JSON file")
    args = p.parse_args(argv)

    t_start = time.time()
    data = load_class_files(DATA, encoding="latin-1")
    tokens = [tokenize(t) for t in data.texts]
    model = load_model(args.model)
    print(f"data: {len(data)} sentences {dict(zip(data.classes, np.bincount(data.labels).tolist()))}; "
          f"model {args.model}: {model.embeddings.shape[0]:,} x {model.embeddings.shape[1]} "
          f"({model.config.get('method', '?')}, corpus {model.config.get('corpus', '?')})")
    plan = f"{args.splits} seeded 90/10 splits" if args.splits else f"{args.folds}-fold stratified CV"
    print(f"protocol: {plan}; in each, 10% of the training part is the early-stopping validation set; "
          "Adam, batch 32, word index from the training part (0 padding, 1 [UNK]); "
          "SGNS rows for training words the model lacks: random at the table's scale\n")

    acc: dict[str, list[float]] = {name: [] for name in SETTINGS}
    epochs: dict[str, list[int]] = {name: [] for name in SETTINGS}
    seconds: dict[str, float] = {name: 0.0 for name in SETTINGS}
    coverage: list[tuple[float, float]] = []
    first_fold = None
    for k, (train_idx, test_idx) in enumerate(folds(data.labels, args.folds, args.splits, args.seed)):
        line = [f"fold {k + 1:>2} (n_test={len(test_idx)})"]
        for name, (use_sgns, freeze, lr, extend) in SETTINGS.items():
            t0 = time.time()
            res = train_and_evaluate(tokens, data.labels, train_idx, test_idx, init=model if use_sgns else None,
                                     freeze=freeze, lr=lr, extend_vocabulary=extend, epochs=args.epochs,
                                     patience=3, seed=k)
            seconds[name] += time.time() - t0
            acc[name].append(res.test_accuracy)
            epochs[name].append(res.history.best_epoch)
            line.append(f"{name} {res.test_accuracy:.4f}")
            if name == "sgns-tuned":
                rep = res.report
                counts = dict(zip(res.vocabulary, res.train_counts))
                missed = set(rep.missing)
                hit_tokens = sum(c for w, c in counts.items() if w not in missed)
                coverage.append((rep.coverage, hit_tokens / sum(res.train_counts)))
                if first_fold is None:
                    first_fold = (res, train_idx)
        print("  ".join(line), flush=True)

    print("\naccuracy (mean ± std over folds; sample std, ddof=1)")
    summary = {}
    for name in SETTINGS:
        a = np.array(acc[name])
        summary[name] = {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
                         "per_fold": acc[name], "best_epochs": epochs[name], "seconds": round(seconds[name], 1)}
        print(f"  {name:<17} {a.mean():.4f} ± {summary[name]['std']:.4f}   "
              f"(best epoch median {int(np.median(epochs[name]))}, {seconds[name]:.0f} s total)")
    diffs = {}
    for a_name, b_name in (("sgns-tuned", "random"), ("sgns-frozen", "random"), ("sgns-tuned", "sgns-frozen"),
                           ("sgns-tuned+vocab", "sgns-tuned"), ("sgns-frozen+vocab", "sgns-frozen")):
        d = np.array(acc[a_name]) - np.array(acc[b_name])
        diffs[f"{a_name} - {b_name}"] = {"mean": float(d.mean()), "std": float(d.std(ddof=1)) if len(d) > 1 else 0.0,
                                         "wins": int((d > 0).sum()), "n": len(d)}
        print(f"  {a_name} - {b_name}: {d.mean():+.4f} ± {diffs[f'{a_name} - {b_name}']['std']:.4f} "
              f"(better in {(d > 0).sum()}/{len(d)} folds)")
    cov = np.array(coverage)
    print(f"  SGNS coverage of the training word index: {cov[:, 0].mean():.1%} of word types, "
          f"{cov[:, 1].mean():.1%} of tokens")

    res, train_idx = first_fold
    vocab, counts = res.vocabulary, res.train_counts
    missing = set(res.report.missing)
    keep = [i for i, w in enumerate(vocab) if i >= 2 and w not in missing and counts[i] >= args.min_neighbor_count]
    words = [vocab[i] for i in keep]
    model_row = {w: i for i, w in enumerate(model.words)}
    before = np.asarray(model.embeddings)[[model_row[w] for w in words]]
    after = res.classifier.embedding.table[keep]
    pol = polarity(tokens, data.labels, train_idx)
    print(f"\nnearest neighbours, fold 1 (candidates: {len(words):,} training words seen >= "
          f"{args.min_neighbor_count} times that the SGNS model knows); "
          "'agree' = neighbours whose training log-odds lean to the query's side")
    nn_out = {}
    for q in QUERIES:
        if q not in words:
            print(f"  {q}: not among the candidates")
            continue
        side = np.sign(pol.get(q, 0.0))
        entry = {}
        for label, table in (("before (SGNS)", before), ("after fine-tuning", after)):
            nn = neighbours(table, words, q, args.topn)
            agree = sum(np.sign(pol.get(w, 0.0)) == side for w, _ in nn)
            entry[label] = {"neighbours": nn, "agree": int(agree)}
            print(f"  {q:<10} {label:<18} agree {agree:>2}/{args.topn}: " + ", ".join(w for w, _ in nn))
        nn_out[q] = entry

    result = {
        "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{platform.processor() or platform.machine()}, {platform.platform()}",
        "python": platform.python_version(), "numpy": np.__version__,
        "protocol": plan, "model": args.model, "model_config": {k: model.config.get(k) for k in
                                                                ("method", "corpus", "dim", "epochs", "seed")},
        "settings": {k: {"sgns": v[0], "freeze": v[1], "lr": v[2], "extend_vocabulary": v[3]}
                     for k, v in SETTINGS.items()},
        "accuracy": summary, "paired_differences": diffs,
        "coverage_types": float(cov[:, 0].mean()), "coverage_tokens": float(cov[:, 1].mean()),
        "neighbours_fold1": nn_out, "total_seconds": round(time.time() - t_start, 1),
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    print(f"total {result['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
