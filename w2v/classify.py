"""Train and test the bag-of-embeddings text classifier from the shell.

``python -m w2v.classify pos.txt neg.txt`` (one file per class) or ``python -m w2v.classify data.tsv``
(a label column); ``--init MODEL`` starts the Embedding table from a trained w2v model aligned to
the training split's word index, ``--freeze`` keeps it fixed. Holds out ``--test-size`` of the data
(stratified, seeded) for the reported accuracy, or scores on the given ``--test`` files; ``--val-size``
of the training part is the early-stopping set; ``--train-fraction`` trains on a stratified part of
the training labels (nested: a smaller fraction's examples are part of every larger one's).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

import numpy as np

from .cli import add_quiet, deprecated_alias, parser, run_cli
from .errors import W2VError
from .export import RESERVED
from .outdir import check_output_dir, save_model
from .safety import check_not_input
from .supervised import ClassifyConfig, Dataset, load_dataset, nested_subsets, stratified_split, train_and_evaluate
from .tokenize import get as get_tokenizer


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m w2v.classify`` argument parser (every option shows its default in ``--help``)."""
    p = parser("w2v.classify", "Text classifier: Embedding -> masked mean -> linear -> softmax, trained with "
               "mini-batch Adam/SGD and early stopping. Prints the accuracy on a held-out test split.")
    p.add_argument("data", nargs="+",
                   help="one file per class (one example a line; class = file name minus the shared "
                   "prefix/suffix), or a single file with a label column")
    p.add_argument("--test", nargs="+", metavar="FILE",
                   help="score on these files (same layout and class names as DATA) instead of holding out "
                   "--test-size of DATA")
    p.add_argument("--encoding", default="utf-8", help="text encoding of the data (Pang & Lee: latin-1)")
    p.add_argument("--delimiter", default=None, help="column delimiter of a labeled file (default: ',' for .csv, "
                   "else tab)")
    p.add_argument("--label-column", type=int, default=0, help="0-based label column of a labeled file")
    p.add_argument("--text-column", type=int, default=1, help="0-based text column of a labeled file")
    p.add_argument("--header", action="store_true", help="the labeled file starts with a header line")
    p.add_argument("--model", metavar="MODEL", help="w2v model directory to initialize the Embedding table from "
                   "(aligned to the training word index); default: random uniform(-0.05, 0.05)")
    deprecated_alias(p, "--init", "--model", dest="model")
    p.add_argument("--no-lowercase-text", action="store_true", help="deprecated: --tokenize words-cased")
    ClassifyConfig.add_arguments(p)
    p.add_argument("--out", metavar="DIR",
                   help="write the trained table as a w2v model directory (words of the training index; "
                   "row i = index i + 2)")
    deprecated_alias(p, "--save-embeddings", "--out", dest="out")
    p.add_argument("--force", action="store_true", help="with --out: write into a non-empty directory that is not "
                   "a w2v model (its other files are kept)")
    add_quiet(p, "print only the test accuracy")
    return p


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: load the data, split, :func:`~w2v.supervised.train_and_evaluate`, print."""
    args = build_parser().parse_args(argv)
    cfg = ClassifyConfig.from_args(args)
    if args.out:  # before the work: never overwrite an input or a directory of the user's
        check_not_input({"--out": args.out}, {**{f"data {p}": p for p in args.data + (args.test or [])},
                                              "--model": args.model})
        check_output_dir(args.out, args.force)
    if args.no_lowercase_text:
        print("warning: --no-lowercase-text is deprecated; use --tokenize words-cased", file=sys.stderr)
        cfg.tokenize = "words-cased"
    read = dict(encoding=args.encoding, delimiter=args.delimiter, label_column=args.label_column,
                text_column=args.text_column, header=args.header)
    data = load_dataset(args.data, **read)
    if args.test:
        data, train_idx, test_idx = _join(data, load_dataset(args.test, **read))
    else:
        train_idx, test_idx = stratified_split(data.labels, cfg.test_size, cfg.seed, "the test split (--test-size)",
                                               " (or give --test FILE)")
    if cfg.train_fraction < 1:
        train_idx = train_idx[nested_subsets(data.labels[train_idx], [cfg.train_fraction], cfg.seed)[
            cfg.train_fraction]]
    if cfg.val_size > 0:  # an empty validation split would print "val acc nan": say what is needed instead
        stratified_split(data.labels[train_idx], cfg.val_size, cfg.seed, "the validation split (--val-size)",
                         " (or pass --val-size 0: no early stopping)")
    split = get_tokenizer(cfg.tokenize)
    tokens = [split(t) for t in data.texts]
    result = train_and_evaluate(
        tokens, data.labels, train_idx, test_idx, init=args.model, freeze=cfg.freeze, unknown=cfg.unknown,
        lowercase=cfg.lowercase_fallback, extend_vocabulary=cfg.extend_vocab, dim=cfg.dim, pooling=cfg.pooling,
        scale=cfg.scale, val_size=cfg.val_size, min_count=cfg.min_count, max_len=cfg.max_len, epochs=cfg.epochs,
        batch_size=cfg.batch_size, optimizer=cfg.optimizer, lr=cfg.lr, table_lr=cfg.table_lr,
        patience=cfg.patience, min_epochs=cfg.min_epochs, monitor=cfg.monitor, seed=cfg.seed,
        tokenize=cfg.tokenize, progress=not args.quiet,
    )
    if result.report is not None and result.report.tokenize_warning:
        print(result.report.tokenize_warning, file=sys.stderr)
    if args.out:
        table = result.classifier.embedding.table[: len(result.vocabulary)]  # not rows added for test words
        k = len(RESERVED)  # rows 0 and 1 are padding and [UNK], not words
        save_model(args.out, table[k:], result.vocabulary[k:], result.train_counts[k:],
                   {"method": "supervised", "classes": data.classes, "init": args.model, **asdict(cfg),
                    "test_accuracy": result.test_accuracy}, force=args.force)
    if args.quiet:
        print(f"{result.test_accuracy:.4f}")
        return 0
    sizes = np.bincount(data.labels, minlength=len(data.classes))
    print(f"classes: {', '.join(f'{c} ({n})' for c, n in zip(data.classes, sizes))}")
    where = f" ({', '.join(args.test)})" if args.test else ""
    print(f"split: {result.n_train} train, {result.n_val} validation, {result.n_test} test{where}; "
          f"word index: {len(result.vocabulary):,} rows (0 padding, 1 [UNK])")
    if result.report is not None:
        print(f"init {args.model}: {result.report.summary()}")
    if result.test_words_from_ngrams:
        print(f"test: {result.test_words_from_ngrams:,} words first seen in the test texts got their vector from "
              "the model (their row or character n-grams) instead of [UNK]")
    h = result.history
    for e, loss in enumerate(h.train_loss, 1):
        val = f"  val acc {h.val_accuracy[e - 1]:.4f}" if e <= len(h.val_accuracy) else ""
        print(f"epoch {e:>3}  loss {loss:.4f}{val}{'  *' if e == h.best_epoch else ''}")
    table_mode = "frozen" if cfg.freeze else "trained"
    print(f"test accuracy {result.test_accuracy:.4f} (n={result.n_test}; best epoch {h.best_epoch}, "
          f"val acc {result.val_accuracy:.4f}; table {table_mode})")
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _join(train: Dataset, test: Dataset) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """One dataset of the training examples then the test examples, test classes mapped by name."""
    lookup = {c: i for i, c in enumerate(train.classes)}
    unknown = [c for c in test.classes if c not in lookup]
    if unknown:
        raise W2VError(f"--test has class(es) {unknown} that the training data lacks (classes: {train.classes})")
    labels = np.concatenate([train.labels, [lookup[test.classes[y]] for y in test.labels]]).astype(np.int64)
    joined = Dataset(train.texts + test.texts, labels, train.classes)
    n = len(train)
    return joined, np.arange(n), np.arange(n, len(joined))


if __name__ == "__main__":
    run_cli(main)
