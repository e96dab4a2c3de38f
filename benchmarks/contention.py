"""Where does two-thread training lose time? The compiled kernel run directly, alternating modes.

For skip-gram and CBOW, on the same encoded corpus, one epoch's jobs are run (rounds alternate
between the modes, so the machine's load hits them alike):

* ``1 thread``: every job on one thread;
* ``2 threads, shared``: two threads on the same tables (what training does: Hogwild);
* ``2 threads, private``: two threads, each on its own copy of both tables: the same work
  with no cache line shared between the threads. The gap between *shared* and *private* is
  what contention on shared rows (frequent words' output rows above all) costs;
* ``2 threads, hot rows private``: each thread has its own copy of the output rows of the
  most frequent words (``--hot`` of them; ids are remapped so the rows stay contiguous) and
  shares the rest.

Per-job times (ns per corpus word) are recorded for every thread, so a slow *job* can be told
from a slow *run*. The machine's load average is printed with each round.

    python benchmarks/contention.py [--corpus ../shared/corpora/text8like] [--tokens 4000000] [--rounds 3]
                                    [--methods sg,cbow]
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from w2v import kernels
from w2v.cli import parser, run_cli
from w2v.train import job_bounds
from w2v.vocab import encode_corpus, keep_probabilities, noise_distribution

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "text8like"


def run(mode: str, enc, cbow: bool, hot: int, seed: int) -> tuple[float, list[np.ndarray]]:
    """One pass over the corpus's jobs in ``mode``; returns (words/s, per-thread ns/word of each job)."""
    ids, starts = enc["ids"], enc["starts"]
    V, dim = enc["V"], 100
    rng = np.random.default_rng(seed)
    syn0 = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    syn1 = np.zeros((V, dim), dtype=np.float32)
    bounds = job_bounds(starts)
    n_jobs = len(bounds) - 1
    n_threads = 1 if mode == "1 thread" else 2
    keep, alias = enc["keep"], (enc["alias_prob"], enc["alias_idx"])
    tables = [(syn0, syn1, ids, keep, alias)] * n_threads
    if mode == "2 threads, private":
        tables = [(syn0.copy(), syn1.copy(), ids, keep, alias) for _ in range(n_threads)]
    elif mode == "2 threads, hot rows private":
        # Rows V + t*hot .. are thread t's own copy of the `hot` most frequent words (ids 0..hot-1):
        # its corpus ids and its noise draws are moved there, so no thread touches rows 0..hot-1.
        big0 = np.vstack([syn0, syn0[:hot], syn0[:hot]])
        big1 = np.zeros((V + 2 * hot, dim), dtype=np.float32)
        big_keep = np.concatenate([keep, keep[:hot], keep[:hot]])
        tables = []
        for t in range(2):
            ids_t = ids.copy()
            ids_t[ids < hot] += V + t * hot
            noise = np.zeros(V + 2 * hot)
            noise[:V] = enc["noise"]
            noise[V + t * hot:V + (t + 1) * hot] = noise[:hot]
            noise[:hot] = 0.0
            tables.append((big0, big1, ids_t, big_keep, kernels.build_alias(noise)))
    total_words = int(starts[-1])
    lock = threading.Lock()
    jobs = iter(range(n_jobs))
    per_job: list[list[float]] = [[] for _ in range(n_threads)]

    def worker(t: int) -> None:
        s0_, s1_, ids_, keep_, (alias_prob, alias_idx) = tables[t]
        while True:
            with lock:
                j = next(jobs, None)
            if j is None:
                return
            a, b = int(bounds[j]), int(bounds[j + 1])
            t0 = time.perf_counter_ns()
            kernels.train_job(s0_, s1_, ids_, starts, a, b, keep_, alias_prob, alias_idx, 5, 5, cbow,
                              True, 0.025, 0.0001, int(starts[a]), total_words, j)
            per_job[t].append((time.perf_counter_ns() - t0) / max(int(starts[b] - starts[a]), 1))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - t0
    return total_words / seconds, [np.array(x) for x in per_job]


def main(argv: list[str] | None = None) -> int | None:
    p = parser("benchmarks/contention.py", __doc__)
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    p.add_argument("--tokens", type=int, default=4_000_000, help="use the first N tokens of the corpus")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--hot", type=int, default=64, help="output rows made private per thread in the 'hot' mode")
    p.add_argument("--modes", default="1 thread,2 threads, shared,2 threads, private,2 threads, hot rows private")
    p.add_argument("--methods", default="sg,cbow", help="comma-separated: sg, cbow")
    args = p.parse_args(argv)
    modes = [m.strip() for m in args.modes.replace(", ", "|").split(",")]
    modes = [m.replace("|", ", ") for m in modes]
    with tempfile.TemporaryDirectory() as work:
        src = Path(work) / "slice.txt"
        with open(args.corpus, "rb") as fh, open(src, "wb") as out:
            out.write(fh.read(args.tokens * 6))
        e = encode_corpus(src, work, min_count=5, progress=False)
        enc = {"ids": np.array(e.ids), "starts": e.starts, "V": len(e.vocab),
               "keep": keep_probabilities(e.vocab.counts, 1e-3)}
        enc["noise"] = noise_distribution(e.vocab.counts, 0.75)
        enc["alias_prob"], enc["alias_idx"] = kernels.build_alias(enc["noise"])
    print(f"{len(enc['ids']):,} tokens, {enc['V']:,} words; compiling...", flush=True)
    run("1 thread", {**enc, "starts": enc["starts"][:3]}, False, args.hot, 0)
    run("1 thread", {**enc, "starts": enc["starts"][:3]}, True, args.hot, 0)
    results: dict[tuple[str, str], list[float]] = {}
    for r in range(args.rounds):
        for method in args.methods.split(","):
            for mode in modes:
                wps, per_job = run(mode, enc, method == "cbow", args.hot, r)
                results.setdefault((method, mode), []).append(wps)
                jobs = np.concatenate(per_job)
                print(f"round {r} {method:4s} {mode:28s} {wps / 1e3:7.0f}k words/s  job ns/word p10 "
                      f"{np.percentile(jobs, 10):5.0f} p50 {np.percentile(jobs, 50):5.0f} p90 "
                      f"{np.percentile(jobs, 90):5.0f}  threads' mean {[round(float(x.mean())) for x in per_job]}  "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
    print()
    for (method, mode), v in results.items():
        print(f"{method:4s} {mode:28s} median {np.median(v) / 1e3:7.0f}k words/s  runs "
              + ", ".join(f"{x / 1e3:.0f}k" for x in v))
    for method in ("sg", "cbow"):
        one, two = results.get((method, "1 thread")), results.get((method, "2 threads, shared"))
        if one and two:
            print(f"{method}: scaling 1 -> 2 threads x{np.median(two) / np.median(one):.2f} (medians)")


if __name__ == "__main__":
    run_cli(main)
