"""Growth: a table trained on the first half of a corpus, continued on the second half with its vocabulary
grown (``train --from``), against one trained on the whole corpus for the same total words.

    flock /tmp/w2v-bench.lock python benchmarks/growth.py [--corpus ../shared/corpora/text8like] [--work DIR]
        [--seeds 1 2] [--cbow] [--grown-options "--alpha 0.0125"] [--reuse]

The corpus is cut at the token nearest its middle byte into two files. Per seed, four runs with the same
options (skip-gram, dim 100, 5 epochs, 2 threads unless given; ``--cbow``): ``whole`` (the whole corpus),
``half1`` (the first half, saved with its output vectors), ``grown`` (``--from half1`` on the second half,
``--vocab union``, plus ``--grown-options``) and ``half2`` (the second half from scratch: the time the bar
allows ``grown``, measured in the same run, and what ``grown`` would be without ``half1``).
Each table is scored on the Google analogies (restrict 30,000, 3CosAdd) over the questions it answers itself
("own") and over the questions both ``whole`` and ``grown`` answer ("common": the same question set for both, so
that the tables' different vocabularies and row orders do not change what is asked), and on WordSim-353. The
times are the runs' own ``train_seconds`` (and for ``grown`` the ``merge_seconds``: loading the table, encoding
the new half and merging the vocabularies); the load average is printed before each run.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from w2v.cli import parser, run_cli
from w2v.errors import W2VError
from w2v.evaluate import (
    ANALOGY_SETS,
    SIMILARITY_SETS,
    bundled,
    evaluate_analogies,
    evaluate_similarity,
    read_analogies,
)
from w2v.formats import load

RESTRICT = 30000


def split_halves(corpus: Path, work: Path) -> tuple[Path, Path]:
    """The corpus cut at the first space after its middle byte (whole tokens on both sides)."""
    first, second = work / "half1.txt", work / "half2.txt"
    if first.is_file() and second.is_file():
        return first, second
    data = corpus.read_bytes()
    cut = data.find(b" ", len(data) // 2)
    if cut < 0:
        raise W2VError(f"{corpus}: no space after the middle to cut at")
    first.write_bytes(data[:cut] + b"\n")
    second.write_bytes(data[cut + 1:])
    return first, second


def train(corpus: Path, out: Path, extra: list[str], threads: int, reuse: bool) -> dict:
    load_before = os.getloadavg()[0]
    if not (reuse and (out / "config.json").is_file()):
        subprocess.run([sys.executable, "-m", "w2v.train", str(corpus), "--out", str(out), "--quiet", "--threads",
                        str(threads), *extra], check=True)
    cfg = json.loads((out / "config.json").read_text())
    return {"train_s": cfg["train_seconds"], "load": round(load_before, 1),
            "merge_s": cfg.get("start_from", {}).get("merge_seconds"),
            "words": len((out / "vocab.txt").read_text(encoding="utf-8").splitlines())}


def answered(words: list[str], questions) -> set:
    """The questions whose four words are all among the first ``RESTRICT`` rows (case-insensitive)."""
    top = {w.upper() for w in words[:RESTRICT]}
    return {q for q in questions if all(w.upper() in top for w in q)}


def score(models: dict[str, Path], work: Path) -> dict:
    """Analogy accuracy (own questions; the questions ``whole`` and ``grown`` both answer) and WS-353."""
    google = bundled(ANALOGY_SETS["google"])
    sections = read_analogies(google)
    tables = {name: load(path) for name, path in models.items()}
    common = set.intersection(*(answered(tables[name].words, [q for _, qs in sections for q in qs])
                                for name in ("whole", "grown")))
    common_file = work / "common-questions.txt"
    common_file.write_text("".join(f": {s}\n" + "".join(" ".join(q) + "\n" for q in qs if q in common)
                                   for s, qs in sections), encoding="utf-8")
    out = {}
    for name, vec in tables.items():
        own = evaluate_analogies(vec, google, restrict=RESTRICT, method="add")
        com = evaluate_analogies(vec, common_file, restrict=RESTRICT, method="add")
        ws = evaluate_similarity(vec, bundled(SIMILARITY_SETS["ws353"]))
        out[name] = {"analogy": round(100 * own["accuracy"], 2), "answered": own["answered"],
                     "analogy_common": round(100 * com["accuracy"], 2), "common": com["answered"],
                     "ws353": round(ws["spearman"], 4)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = parser("benchmarks/growth.py", __doc__.splitlines()[0])
    p.add_argument("--corpus", default="../shared/corpora/text8like", help="the corpus")
    p.add_argument("--work", default="/tmp/w2v-growth", help="scratch directory (halves, models)")
    p.add_argument("--threads", type=int, default=2, help="training threads")
    p.add_argument("--epochs", type=int, default=5, help="epochs of every run")
    p.add_argument("--seeds", type=int, nargs="+", default=[1], help="a whole/half1/grown trio per seed")
    p.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram (~3x faster)")
    p.add_argument("--grown-options", default="", help="more options of the continued run, e.g. '--alpha 0.0125'")
    p.add_argument("--reuse", action="store_true",
                   help="reuse models already in --work (their recorded times; for rescoring, not for timing)")
    args = p.parse_args(argv)
    corpus, work = Path(args.corpus), Path(args.work)
    if not corpus.is_file():
        raise W2VError(f"corpus not found: {corpus}")
    work.mkdir(parents=True, exist_ok=True)
    first, second = split_halves(corpus, work)
    rows = {}
    for seed in args.seeds:
        common = ["--epochs", str(args.epochs), "--seed", str(seed), *(["--cbow"] if args.cbow else [])]
        d = work / f"seed{seed}"
        runs = {"whole": (corpus, [*common, "--save-context"]), "half1": (first, [*common, "--save-context"]),
                "grown": (second, [*common, "--from", str(d / "half1"), *shlex.split(args.grown_options)]),
                "half2": (second, common)}
        for name, (text, extra) in runs.items():
            t = time.perf_counter()
            rows[(seed, name)] = train(text, d / name, extra, args.threads, args.reuse)
            rows[(seed, name)]["wall_s"] = round(time.perf_counter() - t, 1)
        for name, s in score({name: d / name for name in runs}, d).items():
            rows[(seed, name)].update(s)
    print(f"load {os.getloadavg()[0]:.1f} at the end; grown options: {args.grown_options or '(none)'}")
    print("| seed | run | words | train s | merge s | load before | analogy % (answered) | analogy % on the common "
          "questions | WS-353 ρ |\n|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (seed, name), r in rows.items():
        print(f"| {seed} | {name} | {r['words']:,} | {r['train_s']:.1f} | {r['merge_s'] or '-'} | {r['load']} | "
              f"{r['analogy']:.2f} ({r['answered']:,}) | {r['analogy_common']:.2f} ({r['common']:,}) | "
              f"{r['ws353']:.4f} |")
    print(json.dumps({f"{seed}/{name}": r for (seed, name), r in rows.items()}))
    return 0


if __name__ == "__main__":
    run_cli(main)
