"""Train and test the bag-of-embeddings text classifier from the shell.

``python -m w2v.classify pos.txt neg.txt`` (one file per class) or ``python -m w2v.classify data.tsv``
(a label column); ``--init MODEL`` starts the Embedding table from a trained w2v model aligned to
the training split's word index, ``--freeze`` keeps it fixed. Holds out ``--test-size`` of the data
(stratified, seeded) for the reported accuracy, and ``--val-size`` of the rest for early stopping.
"""

from __future__ import annotations

import argparse

import numpy as np

from .errors import ArgumentParser, W2VError, run_cli
from .export import POLICIES
from .outdir import check_output_dir, save_model
from .safety import check_not_input, check_range
from .supervised import DEFAULT_LR, OPTIMIZERS, load_dataset, stratified_split, tokenize, train_and_evaluate


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
    p.add_argument("--no-lowercase-text", action="store_true", help="keep the text's case when tokenizing")
    p.add_argument("--dim", type=int, default=100, help="vector length without --init")
    p.add_argument("--min-count", type=int, default=1, help="words seen fewer times in training map to [UNK]")
    p.add_argument("--max-len", type=int, default=None, help="cut texts to this many tokens")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="optimizer")
    p.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default: {DEFAULT_LR['adam']} for adam, {DEFAULT_LR['sgd']} for sgd)")
    p.add_argument("--batch-size", type=int, default=32, help="examples per step")
    p.add_argument("--epochs", type=int, default=20, help="maximum epochs")
    p.add_argument("--patience", type=int, default=3, help="stop after this many epochs without a better "
                   "validation accuracy (the best epoch's parameters are kept)")
    p.add_argument("--test-size", type=float, default=0.1, help="fraction held out for testing (stratified)")
    p.add_argument("--val-size", type=float, default=0.1, help="fraction of the rest for early stopping")
    p.add_argument("--seed", type=int, default=0, help="seed for splits, initialization and shuffling")
    p.add_argument("--save-embeddings", metavar="DIR",
                   help="write the trained table as a w2v model directory (words of the training index; "
                   "row i = index i + 2)")
    p.add_argument("--quiet", action="store_true", help="print only the test accuracy")
    p.add_argument("--force", action="store_true", help="with --save-embeddings: write into a non-empty "
                   "directory that is not a w2v model (its other files are kept)")
    return p


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: load the data, split, :func:`~w2v.supervised.train_and_evaluate`, print."""
    args = build_parser().parse_args(argv)
    for name in ("dim", "batch_size", "epochs", "patience", "min_count"):
        if getattr(args, name) < 1:
            raise W2VError(f"--{name.replace('_', '-')} must be at least 1")
    if args.max_len is not None and args.max_len < 1:
        raise W2VError("--max-len must be at least 1")
    for option, value, low, high in (("--dim", args.dim, 1, 100_000), ("--lr", args.lr, 0, 1e6),
                                     ("--test-size", args.test_size, 0, 1), ("--val-size", args.val_size, 0, 1),
                                     ("--seed", args.seed, 0, None)):
        check_range(option, value, low, high, low_open=option in ("--lr", "--test-size"),
                    high_open=option in ("--test-size", "--val-size"))
    if args.save_embeddings:  # before the work: never overwrite an input or a directory of the user's
        check_not_input({"--save-embeddings": args.save_embeddings},
                        {**{f"data {p}": p for p in args.data}, "--init": args.init})
        check_output_dir(args.save_embeddings, args.force, "--save-embeddings")
    data = load_dataset(args.data, encoding=args.encoding, delimiter=args.delimiter,
                        label_column=args.label_column, text_column=args.text_column, header=args.header)
    if len(data) < 10:
        raise W2VError(f"only {len(data)} examples; need at least 10 to split into train/validation/test")
    tokens = [tokenize(t, lowercase=not args.no_lowercase_text) for t in data.texts]
    train_idx, test_idx = stratified_split(data.labels, args.test_size, args.seed)
    if not 0 <= args.val_size < 1:
        raise W2VError(f"--val-size must be in [0, 1), got {args.val_size}")
    result = train_and_evaluate(
        tokens, data.labels, train_idx, test_idx, init=args.init, freeze=args.freeze, unknown=args.unknown,
        lowercase=args.lowercase, extend_vocabulary=args.extend_vocab, dim=args.dim, val_size=args.val_size,
        min_count=args.min_count,
        max_len=args.max_len, epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
        lr=args.lr, patience=args.patience, seed=args.seed, progress=not args.quiet,
    )
    if args.save_embeddings:
        table = result.classifier.embedding.table
        save_model(args.save_embeddings, table[2:], result.vocabulary[2:], result.train_counts[2:],
                   {"method": "supervised", "classes": data.classes, "init": args.init, "freeze": args.freeze,
                    "seed": args.seed, "test_accuracy": result.test_accuracy}, force=args.force)
    if args.quiet:
        print(f"{result.test_accuracy:.4f}")
        return 0
    sizes = np.bincount(data.labels, minlength=len(data.classes))
    print(f"classes: {', '.join(f'{c} ({n})' for c, n in zip(data.classes, sizes))}")
    print(f"split: {result.n_train} train, {result.n_val} validation, {result.n_test} test; "
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


if __name__ == "__main__":
    run_cli(main)
