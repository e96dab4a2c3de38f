"""Growth: a table trained on the first half of a corpus, continued on the second half with its vocabulary
grown (``train --from``), against one trained on the whole corpus for the same total words.

    flock /tmp/w2v-bench.lock python benchmarks/growth.py [--corpus ../shared/corpora/text8like] [--work DIR]

The corpus is cut at the token nearest its middle byte into two files. Three runs, same options (skip-gram,
dim 100, 5 epochs, 2 threads unless given; ``--cbow``): ``whole`` (the whole corpus), ``half1`` (the first half,
saved with its output vectors), ``grown`` (``--from half1`` on the second half, ``--vocab union``). Each
table is scored on the Google analogies (restrict 30,000, 3CosAdd) and WordSim-353; the times are the
runs' own ``train_seconds`` (and for ``grown`` the ``merge_seconds``: loading the table, encoding the
new half and merging the vocabularies).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from w2v.cli import parser, run_cli
from w2v.errors import W2VError


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


def train(corpus: Path, out: Path, extra: list[str], threads: int) -> dict:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "w2v.train", str(corpus), "--out", str(out), "--quiet", "--threads",
                    str(threads), *extra], check=True)
    wall = time.perf_counter() - t
    cfg = json.loads((out / "config.json").read_text())
    return {"train_s": cfg["train_seconds"], "wall_s": round(wall, 1),
            "merge_s": cfg.get("start_from", {}).get("merge_seconds"),
            "words": len((out / "vocab.txt").read_text(encoding="utf-8").splitlines())}


def score(model: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "w2v.evaluate", str(model), "--json", "-", "--quiet", "--method",
                           "add"], check=True, capture_output=True, text=True)
    s = json.loads(proc.stdout)["summary"]
    return {"analogy": round(100 * s["google_add"], 2), "ws353": round(s["ws353"], 4)}


def main(argv: list[str] | None = None) -> int:
    p = parser("benchmarks/growth.py", __doc__.splitlines()[0])
    p.add_argument("--corpus", default="../shared/corpora/text8like", help="the corpus")
    p.add_argument("--work", default="/tmp/w2v-growth", help="scratch directory (halves, models)")
    p.add_argument("--threads", type=int, default=2, help="training threads")
    p.add_argument("--epochs", type=int, default=5, help="epochs of every run")
    p.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram (~3x faster)")
    args = p.parse_args(argv)
    corpus, work = Path(args.corpus), Path(args.work)
    if not corpus.is_file():
        raise W2VError(f"corpus not found: {corpus}")
    work.mkdir(parents=True, exist_ok=True)
    first, second = split_halves(corpus, work)
    common = ["--epochs", str(args.epochs), *(["--cbow"] if args.cbow else [])]
    rows = {}
    rows["whole"] = train(corpus, work / "whole", [*common, "--save-context"], args.threads)
    rows["half1"] = train(first, work / "half1", [*common, "--save-context"], args.threads)
    rows["grown"] = train(second, work / "grown", [*common, "--from", str(work / "half1")], args.threads)
    for name in ("whole", "half1", "grown"):
        rows[name].update(score(work / name))
    print(f"load {os.getloadavg()[0]:.1f}")
    print("| run | words | train s | merge s | analogy % | WS-353 ρ |\n|---|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['words']:,} | {r['train_s']:.1f} | {r['merge_s'] or '-'} | {r['analogy']:.2f} | "
              f"{r['ws353']:.4f} |")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    run_cli(main)
