"""Count-based pipeline speed: co-occurrence counting + SPPMI + truncated SVD, time and peak RSS.

Three runs, each in its own subprocess so its peak RSS is its own:

* ``compiled``: w2v's pipeline (numba counting, sparse SPPMI, ARPACK SVD) on the whole corpus;
* ``compiled-slice``: the same on the first 10 % of the tokens;
* ``python-slice``: the same pipeline with the counts made by plain Python (a ``Counter`` of
  word pairs) on the same 10 % slice — the ratio to ``compiled-slice`` is the speed-up the
  compiled, chunked counting buys. The two slice count matrices are checked to be equal.

Settings: window 5, linear weighting (word2vec's dynamic window), no subsampling, the 50,000 most
frequent words, SPPMI with cds 0.75 and neg 1, SVD to dim 100. Encoding the corpus (shared with
training) is timed separately. Run it under the heavy-work lock:

    flock /tmp/w2v-heavy.lock python benchmarks/cooc_speed.py [--corpus ../shared/corpora/text8like]
        [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from w2v.cli import parser, run_cli
from w2v.errors import W2VError

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "text8like"
SETTINGS = dict(window=5, weighting="linear", max_vocab=50_000, dim=100, cds=0.75, neg=1.0, min_count=5)


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def python_counts(ids: np.ndarray, starts: np.ndarray, n: int, window: int) -> sp.csr_matrix:
    """Plain-Python counting: a Counter of (word, context) pairs, linear weights (w - d + 1) / w."""
    weights = [0.0] + [(window - d + 1) / window for d in range(1, window + 1)]
    pairs: Counter = Counter()
    for s in range(len(starts) - 1):
        sent = ids[starts[s]:starts[s + 1]].tolist()
        for i, a in enumerate(sent):
            if a >= n:
                continue
            for d in range(1, window + 1):
                if i + d >= len(sent):
                    break
                b = sent[i + d]
                if b < n:
                    pairs[a, b] += weights[d]
                    pairs[b, a] += weights[d]
    rows = np.fromiter((k[0] for k in pairs), dtype=np.int32, count=len(pairs))
    cols = np.fromiter((k[1] for k in pairs), dtype=np.int32, count=len(pairs))
    vals = np.fromiter(pairs.values(), dtype=np.float64, count=len(pairs))
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


def run(kind: str, corpus: Path) -> dict:
    from w2v.cooc import cooccurrence
    from w2v.ppmi import ppmi
    from w2v.svd import truncated_svd
    from w2v.vocab import encode_corpus

    s = SETTINGS
    t = time.perf_counter()  # compile (or load from numba's cache) outside the timings
    cooccurrence(np.zeros(10, np.int32), np.array([0, 10]), 1, progress=False)
    ppmi(sp.csr_matrix(np.ones((2, 2))))
    jit_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory(prefix="w2v-bench-") as workdir:
        t0 = time.perf_counter()
        enc = encode_corpus(corpus, workdir, min_count=s["min_count"], progress=False)
        ids, starts = enc.ids, enc.starts
        if kind != "compiled":
            cut = len(ids) // 10
            ids = np.array(ids[:cut])
            starts = np.concatenate([starts[starts < cut], [cut]])
        n = min(len(enc.vocab), s["max_vocab"])
        t1 = time.perf_counter()
        if kind == "python-slice":
            counts = python_counts(np.asarray(ids), starts, n, s["window"])
        else:
            counts = cooccurrence(ids, starts, len(enc.vocab), window=s["window"], weighting=s["weighting"],
                                  max_vocab=n, progress=False)
        t2 = time.perf_counter()
        m = ppmi(counts, cds=s["cds"], neg=s["neg"])
        t3 = time.perf_counter()
        _, sv, _ = truncated_svd(m, s["dim"])
        t4 = time.perf_counter()
        res = {
            "run": kind, "tokens": int(len(ids)), "vocab": n, "cooc_nnz": int(counts.nnz), "ppmi_nnz": int(m.nnz),
            "jit_s": round(jit_s, 2), "encode_s": round(t1 - t0, 2), "count_s": round(t2 - t1, 2),
            "ppmi_s": round(t3 - t2, 2), "svd_s": round(t4 - t3, 2), "pipeline_s": round(t4 - t1, 2),
            "peak_rss_gb": round(peak_rss_gb(), 3), "top_singular_values": [round(float(v), 4) for v in sv[:3]],
        }
        if kind == "python-slice":  # same numbers as the compiled counting?
            ref = cooccurrence(ids, starts, len(enc.vocab), window=s["window"], max_vocab=n, progress=False)
            res["max_abs_diff_vs_compiled"] = float(abs(ref - counts).max()) if counts.nnz else 0.0
    return res


def main(argv: list[str] | None = None) -> int:
    p = parser("benchmarks/cooc_speed.py", __doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus file")
    p.add_argument("--runs", default="compiled,compiled-slice,python-slice", help="comma-separated runs")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.corpus.is_file():
        raise W2VError(f"corpus not found: {args.corpus} (give --corpus)")
    if args.child:
        print(json.dumps(run(args.child, args.corpus)))
        return
    results = {}
    for kind in args.runs.split(","):
        proc = subprocess.run([sys.executable, __file__, "--corpus", str(args.corpus), "--child", kind],
                              capture_output=True, text=True)
        if proc.returncode:
            last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
            raise W2VError(f"{kind} failed: {last}")
        results[kind] = res = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{kind:<15} {res['tokens']:>11,} tokens  count {res['count_s']:7.2f}s  ppmi {res['ppmi_s']:6.2f}s  "
              f"svd {res['svd_s']:6.2f}s  pipeline {res['pipeline_s']:7.2f}s  (+ encode {res['encode_s']:.1f}s)  "
              f"peak RSS {res['peak_rss_gb']:.2f} GB  nnz {res['cooc_nnz']:,}", flush=True)
    if "compiled-slice" in results and "python-slice" in results:
        c, py = results["compiled-slice"], results["python-slice"]
        results["ratio"] = {"count": round(py["count_s"] / c["count_s"], 1),
                            "pipeline": round(py["pipeline_s"] / c["pipeline_s"], 1)}
        print(f"plain Python / compiled on the 10 % slice: counting x{results['ratio']['count']}, "
              f"whole pipeline x{results['ratio']['pipeline']} "
              f"(counts differ by at most {py['max_abs_diff_vs_compiled']:.2g})")
    results["settings"] = SETTINGS
    results["corpus"] = str(args.corpus)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    run_cli(main)
