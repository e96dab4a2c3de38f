"""Reading tables (word2vec .txt / .bin, fastText .vec, GloVe): w2v.load vs gensim's load_word2vec_format.

    python benchmarks/read_text.py [--words 200000] [--dim 300] [--repeats 3] [--work /tmp/w2v-read-text]

A random table is written once as word2vec text (gensim's writer: shortest float32 reprs), as word2vec
binary (gensim's writer) and as GloVe text (no header, 6 decimals, as GloVe's files); each reader runs
``--repeats`` times in rotated order and the fastest time counts. The tables read must be equal (w2v's against
gensim's, and both against the written float32 values), so the ratio compares readers that agree.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from w2v.cli import parser, run_cli
from w2v.formats import load


def write_tables(work: Path, words: int, dim: int) -> tuple[np.ndarray, list[str], Path, Path, Path]:
    from gensim.models import KeyedVectors

    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((words, dim)).astype(np.float32)
    names = [f"w{i}" for i in range(words)]
    text, glove, binary = (work / f"table-{words}x{dim}.{ext}" for ext in ("txt", "glove", "bin"))
    if not (text.is_file() and binary.is_file()):
        kv = KeyedVectors(dim)
        kv.add_vectors(names, matrix)
        kv.save_word2vec_format(str(text), binary=False)
        kv.save_word2vec_format(str(binary), binary=True)
    if not glove.is_file():
        with open(glove, "w", encoding="utf-8") as fh:
            for name, row in zip(names, matrix):
                fh.write(name + " " + " ".join(f"{x:.6f}" for x in row) + "\n")
    return matrix, names, text, glove, binary


def main(argv: list[str] | None = None) -> int:
    p = parser("benchmarks/read_text.py", __doc__.splitlines()[0])
    p.add_argument("--words", type=int, default=200_000, help="rows of the table")
    p.add_argument("--dim", type=int, default=300, help="dimensions")
    p.add_argument("--repeats", type=int, default=3, help="rounds, each in rotated order; the fastest counts")
    p.add_argument("--work", type=Path, default=Path("/tmp/w2v-read-text"), help="where the tables are written")
    args = p.parse_args(argv)
    from gensim.models import KeyedVectors

    args.work.mkdir(parents=True, exist_ok=True)
    matrix, names, text, glove, binary = write_tables(args.work, args.words, args.dim)
    runs = {
        "w2v word2vec text": lambda: load(text),
        "gensim word2vec text": lambda: KeyedVectors.load_word2vec_format(str(text), binary=False),
        "w2v GloVe": lambda: load(glove),
        "gensim GloVe": lambda: KeyedVectors.load_word2vec_format(str(glove), binary=False, no_header=True),
        "w2v word2vec binary": lambda: load(binary),
        "gensim word2vec binary": lambda: KeyedVectors.load_word2vec_format(str(binary), binary=True),
    }
    best: dict[str, float] = {}
    tables = {}
    names_list = list(runs)
    for k in range(args.repeats):
        for name in names_list[k % len(names_list):] + names_list[:k % len(names_list)]:
            t = time.perf_counter()
            tables[name] = runs[name]()
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t)
            print(f"round {k + 1}: {name:22s} {time.perf_counter() - t:6.2f} s", flush=True)
    assert np.array_equal(tables["w2v word2vec text"].matrix, matrix)
    assert np.array_equal(tables["gensim word2vec text"].vectors, matrix)
    assert np.array_equal(tables["w2v GloVe"].matrix, tables["gensim GloVe"].vectors)
    assert tables["w2v GloVe"].words == names
    assert np.array_equal(tables["w2v word2vec binary"].matrix, matrix) and tables["w2v word2vec binary"].words == names
    size = {"word2vec text": text.stat().st_size, "GloVe": glove.stat().st_size,
            "word2vec binary": binary.stat().st_size}
    print(f"\n{args.words:,} x {args.dim} table, fastest of {args.repeats} rounds (tables equal):")
    for kind in ("word2vec text", "GloVe", "word2vec binary"):
        ours, theirs = best[f"w2v {kind}"], best[f"gensim {kind}"]
        print(f"  {kind:15s} {size[kind] / 1e6:6.0f} MB: w2v {ours:6.2f} s, gensim {theirs:6.2f} s "
              f"-> x{theirs / ours:.1f}")
    return 0


if __name__ == "__main__":
    run_cli(main)
