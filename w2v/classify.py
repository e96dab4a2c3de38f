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

import numpy as np

from .errors import ArgumentParser, W2VError, run_cli
from .export import POLICIES
from .outdir import save_model
from .pooling import POOLINGS
from .supervised import (
    DEFAULT_LR,
    MONITORS,
    OPTIMIZERS,
    SCALES,
    TOKENIZER,
    Dataset,
    load_dataset,
    nested_subsets,
    stratified_split,
    train_and_evaluate,
)
from .tokenize import TOKENIZERS
from .tokenize import get as get_tokenizer


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m w2v.classify`` argument parser (every option shows its default in ``--help``)."""
    p = ArgumentParser(
        prog="python -m w2v.classify",
        description="Text classifier: Embedding -> masked mean -> linear -> softmax, trained with mini-batch "
        "Adam/SGD and early stopping. Prints the accuracy on a held-out test split.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
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
    p.add_argument("--init", metavar="MODEL", help="w2v model directory to initialize the Embedding table from "
                   "(aligned to the training word index); default: random uniform(-0.05, 0.05)")
    p.add_argument("--freeze", action="store_true", help="keep the Embedding table fixed (train only the linear layer)")
    p.add_argument("--unknown", choices=POLICIES, default="random",
                   help="with --init: initial row of training words the model lacks")
    p.add_argument("--lowercase", action="store_true", help="with --init: look missing words up lowercased")
    p.add_argument("--extend-vocab", action="store_true",
                   help="with --init: append the model's other words to the word index, so words first seen at "
                   "test time keep their pre-trained vector instead of [UNK]")
    p.add_argument("--tokenize", choices=list(TOKENIZERS), default=TOKENIZER,
                   help="tokenizer (w2v.tokenize); a --init model whose config.json records another one is "
                   "warned about")
    p.add_argument("--pooling", choices=POOLINGS, default="mean",
                   help="combine a text's vectors by their mean, max, or both concatenated (SWEM)")
    p.add_argument("--scale", choices=SCALES, default="none",
                   help="with --init: 'random' rescales the pre-trained table to the random table's standard "
                   "deviation (0.0289)")
    p.add_argument("--dim", type=int, default=100, help="vector length without --init")
    p.add_argument("--min-count", type=int, default=1, help="words seen fewer times in training map to [UNK]")
    p.add_argument("--max-len", type=int, default=None, help="cut texts to this many tokens")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="optimizer")
    p.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default: {DEFAULT_LR['adam']} for adam, {DEFAULT_LR['sgd']} for sgd)")
    p.add_argument("--table-lr", type=float, default=None,
                   help="learning rate of the Embedding table (default: --lr)")
    p.add_argument("--batch-size", type=int, default=32, help="examples per step")
    p.add_argument("--epochs", type=int, default=20, help="maximum epochs")
    p.add_argument("--patience", type=int, default=3, help="stop after this many epochs without a better "
                   "validation score (the best epoch's parameters are kept)")
    p.add_argument("--min-epochs", type=int, default=1, help="never stop before this many epochs")
    p.add_argument("--monitor", choices=MONITORS, default="accuracy",
                   help="validation score for early stopping (loss still moves when few examples are held out)")
    p.add_argument("--test-size", type=float, default=0.1, help="fraction held out for testing (stratified), "
                   "without --test")
    p.add_argument("--val-size", type=float, default=0.1, help="fraction of the training part for early stopping")
    p.add_argument("--train-fraction", type=float, default=1.0,
                   help="train on this stratified fraction of the training labels (validation taken from it)")
    p.add_argument("--seed", type=int, default=0, help="seed for splits, initialization and shuffling")
    p.add_argument("--save-embeddings", metavar="DIR",
                   help="write the trained table as a w2v model directory (words of the training index; "
                   "row i = index i + 2)")
    p.add_argument("--quiet", action="store_true", help="print only the test accuracy")
    return p


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: load the data, split, :func:`~w2v.supervised.train_and_evaluate`, print."""
    args = build_parser().parse_args(argv)
    for name in ("dim", "batch_size", "epochs", "patience", "min_count", "min_epochs"):
        if getattr(args, name) < 1:
            raise W2VError(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_len is not None and args.max_len < 1:
        raise W2VError("--max-len must be at least 1")
    if not 0 <= args.val_size < 1:
        raise W2VError(f"--val-size must be in [0, 1), got {args.val_size}")
    if not 0 < args.train_fraction <= 1:
        raise W2VError(f"--train-fraction must be in (0, 1], got {args.train_fraction}")
    read = dict(encoding=args.encoding, delimiter=args.delimiter, label_column=args.label_column,
                text_column=args.text_column, header=args.header)
    data = load_dataset(args.data, **read)
    if args.test:
        test = load_dataset(args.test, **read)
        data, train_idx, test_idx = _join(data, test)
    else:
        if len(data) < 10:
            raise W2VError(f"only {len(data)} examples; need at least 10 to split into train/validation/test")
        train_idx, test_idx = stratified_split(data.labels, args.test_size, args.seed)
    if args.train_fraction < 1:
        train_idx = train_idx[nested_subsets(data.labels[train_idx], [args.train_fraction], args.seed)[
            args.train_fraction]]
    split = get_tokenizer(args.tokenize)
    tokens = [split(t) for t in data.texts]
    result = train_and_evaluate(
        tokens, data.labels, train_idx, test_idx, init=args.init, freeze=args.freeze, unknown=args.unknown,
        lowercase=args.lowercase, extend_vocabulary=args.extend_vocab, dim=args.dim, pooling=args.pooling,
        scale=args.scale, val_size=args.val_size, min_count=args.min_count, max_len=args.max_len,
        epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
        table_lr=args.table_lr, patience=args.patience, min_epochs=args.min_epochs, monitor=args.monitor,
        seed=args.seed, tokenize=args.tokenize, progress=not args.quiet,
    )
    if result.report is not None and result.report.tokenize_warning:
        print(result.report.tokenize_warning, file=sys.stderr)
    if args.save_embeddings:
        table = result.classifier.embedding.table
        save_model(args.save_embeddings, table[2:], result.vocabulary[2:], result.train_counts[2:],
                   {"method": "supervised", "classes": data.classes, "init": args.init, "freeze": args.freeze,
                    "tokenize": args.tokenize, "pooling": args.pooling, "seed": args.seed,
                    "test_accuracy": result.test_accuracy})
    if args.quiet:
        print(f"{result.test_accuracy:.4f}")
        return 0
    sizes = np.bincount(data.labels, minlength=len(data.classes))
    print(f"classes: {', '.join(f'{c} ({n})' for c, n in zip(data.classes, sizes))}")
    where = f" ({', '.join(args.test)})" if args.test else ""
    print(f"split: {result.n_train} train, {result.n_val} validation, {result.n_test} test{where}; "
          f"word index: {len(result.vocabulary):,} rows (0 padding, 1 [UNK])")
    if result.report is not None:
        print(f"init {args.init}: {result.report.summary()}")
    h = result.history
    for e, loss in enumerate(h.train_loss, 1):
        val = f"  val acc {h.val_accuracy[e - 1]:.4f}" if e <= len(h.val_accuracy) else ""
        print(f"epoch {e:>3}  loss {loss:.4f}{val}{'  *' if e == h.best_epoch else ''}")
    table_mode = "frozen" if args.freeze else "trained"
    print(f"test accuracy {result.test_accuracy:.4f} (n={result.n_test}; best epoch {h.best_epoch}, "
          f"val acc {result.val_accuracy:.4f}; table {table_mode})")
    if args.save_embeddings:
        print(f"wrote {args.save_embeddings}")
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
