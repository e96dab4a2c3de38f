"""w2v --subwords against the fasttext package's skipgram, same corpus and settings, in one run.

Each training runs in its own subprocess (its peak RSS is its own). Speed: words/s over the whole
call (vocabulary, training, saving) and training alone; quality: Google analogies (3CosAdd, 30,000
most frequent words) and WordSim-353 (Spearman), both tables scored by w2v's evaluator (fastText's
``.bin`` read by :mod:`w2v.fasttext_bin`).

Unseen words: a tenth of WordSim-353's words (every tenth of its sorted words found in the corpus)
are deleted from a copy of the corpus; both tools train on it, and WordSim-353 is scored with the
deleted words' vectors built from their n-grams, against the same table with those pairs dropped
or their similarity zero-filled.

    flock /tmp/w2v-bench.lock python benchmarks/subwords.py [--corpus PATH] [--bytes N] [--threads 2]
          [--runs w2v-sg,ft-sg,w2v-sg-unseen,ft-sg-unseen] [--json out.json]

``fasttext`` (``fasttext-wheel``) is a benchmark/test-only dependency (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peers import DEFAULT_CORPUS, AnonPeak, peak_rss_gb

from w2v.cli import parser, run_cli

SETTINGS = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=5, minn=3, maxn=6, buckets=2_000_000)
RUNS = ("w2v-sg", "ft-sg", "w2v-sg-unseen", "ft-sg-unseen")


def ws353_path() -> Path:
    from w2v.evaluate import SIMILARITY_SETS, bundled

    return Path(bundled(SIMILARITY_SETS["ws353"]))


def held_out_words(corpus: Path) -> list[str]:
    """Every tenth of WordSim-353's (lower-cased, sorted) words that occur in the corpus."""
    from w2v.evaluate import read_pairs

    words = sorted({w.lower() for a, b, _ in read_pairs(ws353_path()) for w in (a, b)})
    found = set(_pattern(words).findall(corpus.read_bytes()))
    return [w for w in words if w.encode() in found][::10]


def _pattern(words: list[str]) -> re.Pattern:
    # Whole tokens only (between spaces or line ends); longest first, so no word stops inside a longer one.
    alternatives = b"|".join(re.escape(w.encode()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rb"(?<!\S)(" + alternatives + rb")(?!\S)")


def without_words(corpus: Path, words: list[str], out: Path) -> Path:
    out.write_bytes(re.sub(rb"  +", b" ", _pattern(words).sub(b"", corpus.read_bytes())))
    return out


def child_w2v(corpus: Path, threads: int, out: Path) -> dict:
    import w2v

    mem = AnonPeak()
    t0 = time.perf_counter()
    result = w2v.train_embeddings(corpus, out=out, progress=False, threads=threads, subwords=True, **SETTINGS)
    wall = time.perf_counter() - t0
    info = result.info
    return {"wall_s": wall, "train_s": info["train_seconds"], "tokens": info["corpus_stats"]["tokens"],
            "rss_gb": peak_rss_gb(), "anon_gb": mem.stop(), "vocab_size": len(result), "model": str(out)}


def child_fasttext(corpus: Path, threads: int, out: Path) -> dict:
    import fasttext

    mem = AnonPeak()
    s = SETTINGS
    t0 = time.perf_counter()
    model = fasttext.train_unsupervised(str(corpus), model="skipgram", dim=s["dim"], ws=s["window"], neg=s["negative"],
                                        minCount=s["min_count"], t=s["sample"], epoch=s["epochs"], minn=s["minn"],
                                        maxn=s["maxn"], bucket=s["buckets"], thread=threads, verbose=0)
    wall = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    model.save_model(str(out / "model.bin"))
    return {"wall_s": wall, "train_s": wall, "tokens": None, "rss_gb": peak_rss_gb(), "anon_gb": mem.stop(),
            "vocab_size": len(model.words), "model": str(out / "model.bin")}


def unseen_scores(model: str, removed: list[str], pairs_file: Path | None = None) -> dict:
    """WordSim-353 (or another word-pair file) with the removed words, and words outside the
    vocabulary, built from n-grams, dropped, or zero-filled."""
    import numpy as np
    from scipy import stats

    import w2v
    from w2v.evaluate import read_pairs

    vec = w2v.load(model)
    gone = set(removed)
    gold, built, dropped_gold, dropped, zero = [], [], [], [], []
    n_unseen = 0
    for a, b, score in read_pairs(pairs_file or ws353_path()):
        a, b = a.lower(), b.lower()
        try:
            va, vb = vec.vector(a), vec.vector(b)
        except KeyError:
            continue
        cos = float(np.dot(va, vb) / (np.linalg.norm(va) * np.linalg.norm(vb) or 1.0))
        unseen = a in gone or b in gone or a not in vec or b not in vec
        n_unseen += unseen
        gold.append(score)
        built.append(cos)
        zero.append(0.0 if unseen else cos)
        if not unseen:
            dropped_gold.append(score)
            dropped.append(cos)
    rho = lambda g, m: float(stats.spearmanr(g, m)[0])  # noqa: E731
    return {"pairs": len(gold), "unseen_pairs": n_unseen, "ngrams": rho(gold, built), "zero_filled": rho(gold, zero),
            "dropped": rho(dropped_gold, dropped), "dropped_pairs": len(dropped)}


def child(args: argparse.Namespace) -> None:
    corpus, out = Path(args.corpus), Path(args.out)
    res = (child_w2v if args.child.startswith("w2v") else child_fasttext)(corpus, args.threads, out)
    from w2v.evaluate import evaluate_all

    scores = evaluate_all(res["model"], restrict=30000)
    res.update(analogy=scores["google_add"], ws353=scores["ws353"], syntactic=scores["google_syntactic_add"],
               semantic=scores["google_semantic_add"])
    if args.child.endswith("unseen"):
        res["unseen"] = unseen_scores(res["model"], json.loads(args.removed))
    for path in json.loads(args.similarity or "[]"):
        res.setdefault("similarity", {})[Path(path).stem] = unseen_scores(res["model"], [], Path(path))
    print("RESULT " + json.dumps(res))


def run_child(name: str, corpus: Path, threads: int, work: Path, removed: list[str], similarity: list[str]
              ) -> dict | None:
    cmd = [sys.executable, __file__, "--child", name, "--corpus", str(corpus), "--threads", str(threads),
           "--out", str(work / name), "--removed", json.dumps(removed), "--similarity", json.dumps(similarity)]
    load = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not line:
        print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return {"run": name, "load_before": load, "load_after": os.getloadavg()[0], **json.loads(line[0][7:])}


def main(argv: list[str] | None = None) -> int | None:
    p = parser("benchmarks/subwords.py", "w2v --subwords vs fastText skipgram: speed, memory, quality, unseen words")
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    p.add_argument("--bytes", type=int, default=0, help="use only the first N bytes of the corpus (0 = all)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", default=",".join(RUNS))
    p.add_argument("--json", default=None)
    p.add_argument("--work", default=None, help="keep the corpora and trained models in this folder (default: a "
                   "temporary folder, removed at the end)")
    p.add_argument("--similarity-files", nargs="*", default=[], metavar="FILE",
                   help="more word-pair files (word1 word2 score) to score every table on, e.g. a rare-word set: "
                   "Spearman over the pairs in the vocabulary, and over all pairs with words outside it built "
                   "from n-grams (not bundled: bring your own)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--removed", help=argparse.SUPPRESS)
    p.add_argument("--similarity", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="w2v-subwords-") as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus = Path(args.corpus)
        if args.bytes:
            with open(corpus, "rb") as fh:
                data = fh.read(args.bytes)
            corpus = work / "prefix.txt"
            corpus.write_bytes(data[: data.rfind(b" ")] if b" " in data else data)
        removed = held_out_words(corpus)
        reduced = without_words(corpus, removed, work / "reduced.txt")
        print(f"corpus {args.corpus} ({corpus.stat().st_size:,} bytes); unseen-word test removes {len(removed)} "
              f"WordSim-353 words: {' '.join(removed)}", flush=True)
        results = []
        for name in args.runs.split(","):
            res = run_child(name, reduced if name.endswith("unseen") else corpus, args.threads, work, removed,
                            [str(Path(f).resolve()) for f in args.similarity_files])
            if res is not None:
                results.append(res)
                print(json.dumps(res), flush=True)
        report(results)
        if args.json:
            Path(args.json).write_text(json.dumps({"corpus": args.corpus, "bytes": args.bytes, "removed": removed,
                                                   "settings": SETTINGS, "results": results}, indent=1))
    return 0


def report(results: list[dict]) -> None:
    by = {r["run"]: r for r in results}
    tokens = next((r["tokens"] for r in results if r.get("tokens")), None)
    for r in results:
        wps = SETTINGS["epochs"] * tokens / r["wall_s"] if tokens else math.nan
        line = (f"{r['run']:14s} wall {r['wall_s']:7.1f}s ({wps:9,.0f} words/s)  peak RSS {r['rss_gb']:.2f} GB  "
                f"analogy {100 * r['analogy']:.1f}%  WS-353 {r['ws353']:.3f}  load {r['load_before']:.2f}")
        if "unseen" in r:
            u = r["unseen"]
            line += (f"  unseen: n-grams {u['ngrams']:.3f} / dropped {u['dropped']:.3f} / zero {u['zero_filled']:.3f}"
                     f" ({u['unseen_pairs']} of {u['pairs']} pairs)")
        print(line)
        for name, u in r.get("similarity", {}).items():
            print(f"{'':14s} {name}: all {u['pairs']} pairs (n-grams for {u['unseen_pairs']} with a word outside the "
                  f"vocabulary) {u['ngrams']:.3f}; in-vocabulary pairs only ({u['dropped_pairs']}) {u['dropped']:.3f};"
                  f" zero-filled {u['zero_filled']:.3f}")
    if "w2v-sg" in by and "ft-sg" in by:
        print(f"speed ratio w2v/fastText (wall): {by['ft-sg']['wall_s'] / by['w2v-sg']['wall_s']:.2f}x")


if __name__ == "__main__":
    run_cli(main)
