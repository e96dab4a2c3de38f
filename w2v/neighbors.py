"""Print nearest neighbours and analogies from the command line.

``python -m w2v.neighbors MODEL king queen`` lists the neighbours of each word;
``python -m w2v.neighbors MODEL king - man + woman`` (or the same as one quoted argument) solves the
analogy; without words it reads one query a line from stdin until EOF (an interactive prompt on a
terminal).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .cli import add_quiet, add_topn, parser, run_cli
from .errors import W2VError
from .formats import load
from .vectors import Vectors


def parse_query(text: str | Sequence[str]) -> list[tuple[list[str], list[str]]]:
    """Split a query into ``[(positive, negative), ...]``.

    Plain words are separate queries (``"king queen"`` → two); a query with ``+``/``-`` operators
    (separated by spaces) is one expression: ``"king - man + woman"`` → ``([king, woman], [man])``.
    """
    tokens = text.split() if isinstance(text, str) else [t for part in text for t in part.split()]
    if not any(t in ("+", "-") for t in tokens):
        return [([t], []) for t in tokens]
    pos: list[str] = []
    neg: list[str] = []
    sign, expect_word = "+", True
    for t in tokens:
        if t in ("+", "-"):
            if expect_word and (pos or neg):
                raise W2VError(f"two operators in a row in {' '.join(tokens)!r}")
            sign, expect_word = t, True
            continue
        if not expect_word:
            raise W2VError(f"missing '+' or '-' before {t!r} in {' '.join(tokens)!r}")
        (pos if sign == "+" else neg).append(t)
        expect_word = False
    if expect_word:
        raise W2VError(f"query {' '.join(tokens)!r} ends with an operator")
    if not pos:
        raise W2VError(f"query {' '.join(tokens)!r} needs at least one word with '+'")
    return [(pos, neg)]


def format_query(vec: Vectors, pos: list[str], neg: list[str], topn: int, restrict: int | None, method: str) -> str:
    """Neighbours of one query as text: a title line, then ``rank word cosine`` lines."""
    built = []
    for w in pos + neg:
        if w in vec:
            continue
        if not vec.has_subwords:
            raise W2VError(f"unknown word {w!r} (not among the model's {len(vec)} words, and the model has no "
                           "character n-grams to build it from)")
        try:
            vec.vector(w)
        except KeyError as exc:
            raise W2VError(str(exc).strip("\"'")) from None
        built.append(w)
    if method == "mul":
        hits = vec.most_similar_cosmul(pos, neg, topn=topn, restrict=restrict)
    else:
        hits = vec.most_similar(pos, neg, topn=topn, restrict=restrict)
    title = pos[0] + "".join(f" + {w}" for w in pos[1:]) + "".join(f" - {w}" for w in neg)
    if built:
        title += f"  ({', '.join(built)}: outside the vocabulary, built from character n-grams)"
    width = max((len(w) for w, _ in hits), default=0)
    lines = [title] + [f"{i:>4}. {w:<{width}}  {s:.4f}" for i, (w, s) in enumerate(hits, 1)]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.neighbors", "Nearest neighbours by cosine. 'A - B + C' (operators separated by spaces) solves "
               "the analogy B is to A as C is to ?. Without WORDs, reads one query a line from stdin.")
    p.add_argument("model", help="w2v output directory, or a word2vec (.txt/.bin) or GloVe text file")
    p.add_argument("words", nargs="*", help="words, or an expression such as: king - man + woman")
    add_topn(p, 10, "neighbours per query")
    p.add_argument("--restrict", type=int, default=0, help="search only the N most frequent words (0 = all)")
    p.add_argument("--method", choices=["add", "mul"], default="add",
                   help="combine terms by cosine of the summed vectors (add, 3CosAdd) or 3CosMul (mul)")
    add_quiet(p, "no prompt or loading messages")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.topn < 1:
        raise W2VError(f"--topn must be at least 1, got {args.topn}")
    if args.restrict < 0:
        raise W2VError(f"--restrict must be >= 0, got {args.restrict}")
    vec = load(args.model)
    restrict = args.restrict or None
    if args.words:
        queries = parse_query(args.words)
        print("\n\n".join(format_query(vec, p, n, args.topn, restrict, args.method) for p, n in queries))
        return 0
    interactive = sys.stdin.isatty() and not args.quiet
    if interactive:
        print(f"{len(vec)} words x {vec.dim} dims. Enter words or 'a - b + c'; Ctrl-D to quit.", file=sys.stderr)
    status = 0
    while True:
        if interactive:
            print("> ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        if not line.strip():
            continue
        try:
            out = [format_query(vec, p, n, args.topn, restrict, args.method) for p, n in parse_query(line)]
            print("\n\n".join(out) + "\n", flush=True)
        except W2VError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            status = 2
    return 0 if interactive else status


if __name__ == "__main__":
    run_cli(main)
