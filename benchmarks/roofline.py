"""This machine's bound for the training kernel: how fast could an epoch go if only memory cost time?

The kernel (``w2v.kernels.train_job``) does ~100-float dot products and updates on rows picked at
random from two (V, dim) float32 tables (27 MB each for text8like), so it may be bound by memory
latency rather than arithmetic. This script replays the real access stream of training on a prefix
of the corpus -- the same subsampling, reduced windows and noise draws, from the same generator and
seeds as ``train_job``, so the same row ids in the same order -- and times, per mode and thread count:

* ``kernel``: the real ``train_job`` (what training does);
* ``memory``: the replay touching every row the kernel touches, in order, with one read-modify-write
  of its ``dim`` floats (``row += g``, g = 0 at run time), and no dot product, sigmoid or log: the
  memory-only bound; ``memory_pf``: the same with the next centre word's rows prefetched as the
  kernel prefetches them (the bound for a kernel that prefetches);
* ``stream``: the replay without any row access (generator, subsampling, windows, noise draws);
  ``stream-nodraw``: the same without the noise draws (their cost is the difference);
* ``arith``: the real ``train_job`` on the same stream with every id folded onto 64 words (rows stay
  in L1/L2, noise uniform over the 64): the arithmetic alone on rows in cache.

The bound is min(the faster memory-only replay, arith): the kernel can hide one behind the other at
best. Then the table layout, with the memory-only replay: rows of ``dim`` floats stored ``stride`` floats
apart (100 = 400 B rows, 6.25 cache lines, most 64-byte vector loads split over two lines; 112 =
448 B, every row 64-byte aligned; 128 = 512 B), the table's base 64-byte aligned or 16 bytes off,
and 4 KiB pages vs 2 MiB transparent huge pages (``madvise``); plus the kernel on huge pages.

Speeds are corpus words per second (the prefix's raw tokens / time), the best of ``--repeats``
(a bound is best measured by the fastest run on a loaded machine). Run under the benchmark lock:

    flock /tmp/w2v-bench.lock python benchmarks/roofline.py [--corpus ../shared/corpora/text8like]
        [--tokens 1000000] [--threads 1,2] [--modes sg,cbow] [--repeats 2] [--json out.json]

The layout sweep runs at the first thread count only. About 1.5 minutes on a quiet 2-core machine;
``--threads 1,2,4,8,16`` on a larger one.
"""

from __future__ import annotations

import json
import mmap
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from numba import njit

from w2v import kernels
from w2v.cli import parser, run_cli
from w2v.kernels import _below, _bits, _draw_ahead, _next, _prefetch_row, _subsample
from w2v.train import job_bounds
from w2v.vocab import encode_corpus, keep_probabilities, noise_distribution

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "text8like"
SETTINGS = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-3, alpha=0.025, min_alpha=0.0001)
FOLD = 64  # "arith": ids folded onto this many words, 2 x 64 x 400 B = 51 KB of rows


@njit(inline="always", fastmath=True)
def _touch(table, row, dim, g):
    # One read-modify-write of a row's dim floats: the loads and stores the kernel makes, no arithmetic
    # worth the name (g is 0.0 at run time, so the tables do not change, but the compiler cannot know).
    for c in range(dim):
        table[row, c] += g


@njit(inline="always", fastmath=True)
def _touch_centre(syn0, syn1, dim, buf, i, lo, hi, targets, negative, cbow, g):
    # The rows one centre word touches, where the kernel touches them.
    center = targets[0]
    if cbow:
        for j in range(lo, hi):  # the context rows read into the mean (and written back)
            if j != i:
                _touch(syn0, buf[j], dim, g)
        for d in range(negative + 1):
            if d == 0 or targets[d] != center:
                _touch(syn1, targets[d], dim, g)
    else:
        for j in range(lo, hi):
            if j != i:
                for d in range(negative + 1):
                    if d == 0 or targets[d] != center:
                        _touch(syn1, targets[d], dim, g)
                _touch(syn0, buf[j], dim, g)


@njit(nogil=True, fastmath=True)
def replay_job(syn0, syn1, dim, ids, starts, s0, s1, keep_prob, alias_prob, alias_idx,
               window, negative, cbow, touch, draws, prefetch, seed, g):
    """``train_job``'s stream (shared negatives) for sentences ``s0 .. s1-1``: the same generator calls
    in the same order, so the same row ids. With ``touch`` each row the kernel touches gets one
    read-modify-write where the kernel touches it; with ``prefetch`` the next centre word's rows are
    prefetched as the kernel does; without ``draws`` the noise words are not drawn (the centre word
    stands in). Returns the number of (word, target) pairs, as ``train_job`` counts them."""
    state = _bits(np.uint64(seed) + kernels.GOLDEN)
    max_len = 0
    for s in range(s0, s1):
        max_len = max(max_len, starts[s + 1] - starts[s])
    buf = np.empty(max_len, dtype=np.int32)
    targets = np.empty(negative + 1, dtype=np.int32)
    ahead = np.empty(negative + 1, dtype=np.int32)
    pairs = 0
    for s in range(s0, s1):
        n, state = _subsample(ids, starts[s], starts[s + 1], keep_prob, buf, state)
        if n <= 1:
            if n == 1:
                state = _next(state)
            continue
        if draws:
            reduced, state = _draw_ahead(state, window, negative, alias_prob, alias_idx, ahead)
        else:
            state = _next(state)
            reduced = window - _below(state, window)
        for i in range(n):
            center = buf[i]
            r = reduced
            targets[0] = center
            for d in range(1, negative + 1):
                targets[d] = ahead[d] if draws else center
            if i + 1 < n:
                if draws:
                    reduced, state = _draw_ahead(state, window, negative, alias_prob, alias_idx, ahead)
                else:
                    state = _next(state)
                    reduced = window - _below(state, window)
                if prefetch:
                    _prefetch_row(syn1, buf[i + 1])
                    for d in range(1, negative + 1):
                        _prefetch_row(syn1, ahead[d])
                    for j in range(i + r + 1, min(n, i + 2 + reduced)):
                        _prefetch_row(syn0, buf[j])
            lo, hi = max(0, i - r), min(n, i + r + 1)
            live = 1
            for d in range(1, negative + 1):
                if targets[d] != center:
                    live += 1
            pairs += live if cbow else live * (hi - lo - 1)
            if touch:
                _touch_centre(syn0, syn1, dim, buf, i, lo, hi, targets, negative, cbow, g)
    return pairs


def table(rows: int, stride: int, offset: int = 0, huge: bool = False) -> np.ndarray:
    """A zeroed (rows, stride) float32 table whose base is 64-byte aligned plus ``offset`` bytes; with
    ``huge``, in anonymous memory advised to use 2 MiB transparent huge pages."""
    nbytes = rows * stride * 4 + 4096 + offset
    if huge:
        nbytes = (nbytes + (2 << 20) - 1) // (2 << 20) * (2 << 20) + (2 << 20)
        mem = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        if hasattr(mmap, "MADV_HUGEPAGE"):
            mem.madvise(mmap.MADV_HUGEPAGE)
        raw = np.frombuffer(mem, dtype=np.uint8)
    else:
        raw = np.zeros(nbytes, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    out = raw[start:start + rows * stride * 4].view(np.float32).reshape(rows, stride)
    out[:] = 0.0
    return out


def run_threads(work, n_jobs: int, threads: int) -> tuple[float, float]:
    """Run ``work(j)`` for every job j on ``threads`` threads pulling jobs in order, as the trainer
    does; returns the wall time and the CPU time the threads got (less sensitive to other tenants)."""
    it = iter(range(n_jobs))
    lock = threading.Lock()
    cpu = []

    def worker() -> None:
        t = time.thread_time()
        while True:
            with lock:
                j = next(it, None)
            if j is None:
                break
            work(j)
        cpu.append(time.thread_time() - t)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    t = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return time.perf_counter() - t, sum(cpu)


class Setup:
    """The corpus prefix, the noise and subsampling tables, the jobs, and the folded copy for ``arith``."""

    def __init__(self, corpus: Path, tokens: int, workdir: Path) -> None:
        enc = encode_corpus(corpus, workdir, min_count=SETTINGS["min_count"], progress=False)
        starts = np.asarray(enc.starts)
        last = max(1, int(np.searchsorted(starts, tokens, side="right")) - 1)
        self.starts = starts[:last + 1].astype(np.int64)
        self.ids = np.ascontiguousarray(enc.ids[: self.starts[-1]])
        self.tokens = int(self.starts[-1])
        self.V = len(enc.vocab)
        self.keep = keep_probabilities(enc.vocab.counts, SETTINGS["sample"])
        self.alias_prob, self.alias_idx = kernels.build_alias(noise_distribution(enc.vocab.counts))
        self.bounds = job_bounds(self.starts)
        self.n_jobs = len(self.bounds) - 1
        # "arith": subsample once here (same probabilities), fold the kept ids onto FOLD words and let
        # train_job keep them all, with noise uniform over the FOLD words: the same windows and
        # per-word work, every row in cache.
        rng = np.random.default_rng(0)
        kept = self.ids[rng.random(len(self.ids)) < self.keep[self.ids]]
        self.fold_ids = (kept % FOLD).astype(np.int32)
        self.fold_starts = np.append(np.arange(0, len(kept), 10_000), len(kept)).astype(np.int64)
        self.fold_bounds = job_bounds(self.fold_starts)
        self.fold_keep = np.ones(FOLD)
        self.fold_alias = (np.ones(FOLD), np.arange(FOLD, dtype=np.int32))

    def fresh(self, stride: int = 100, offset: int = 0, huge: bool = False, rows: int | None = None):
        rows = self.V if rows is None else rows
        syn0 = table(rows, stride, offset, huge)
        syn0[:, :SETTINGS["dim"]] = (np.random.default_rng(1).random((rows, SETTINGS["dim"]), dtype=np.float32)
                                     - 0.5) / SETTINGS["dim"]
        return syn0, table(rows, stride, offset, huge)


def kernel_work(s: Setup, cbow: bool, syn0, syn1, folded: bool = False):
    ids, starts, bounds = (s.fold_ids, s.fold_starts, s.fold_bounds) if folded else (s.ids, s.starts, s.bounds)
    keep, (ap, ai) = (s.fold_keep, s.fold_alias) if folded else (s.keep, (s.alias_prob, s.alias_idx))
    total = int(starts[-1])

    def work(j: int) -> None:
        s0, s1 = int(bounds[j]), int(bounds[j + 1])
        kernels.train_job(syn0, syn1, ids, starts, s0, s1, keep, ap, ai, SETTINGS["window"], SETTINGS["negative"],
                          cbow, True, SETTINGS["alpha"], SETTINGS["min_alpha"], int(starts[s0]), total, j)

    return work, len(bounds) - 1


def replay_work(s: Setup, cbow: bool, syn0, syn1, touch: bool, draws: bool = True, prefetch: bool = False):
    def work(j: int) -> None:
        replay_job(syn0, syn1, SETTINGS["dim"], s.ids, s.starts, int(s.bounds[j]), int(s.bounds[j + 1]), s.keep,
                   s.alias_prob, s.alias_idx, SETTINGS["window"], SETTINGS["negative"], cbow, touch, draws, prefetch,
                   j, 0.0)

    return work, s.n_jobs


def check_stream(s: Setup) -> None:
    """The replay must see exactly the kernel's pairs: same generator calls, same ids."""
    for cbow in (False, True):
        syn0, syn1 = s.fresh()
        a, b = int(s.bounds[0]), int(s.bounds[min(3, s.n_jobs)])
        _, pairs, _, _ = kernels.train_job(syn0, syn1, s.ids, s.starts, a, b, s.keep, s.alias_prob, s.alias_idx,
                                           SETTINGS["window"], SETTINGS["negative"], cbow, True, 0.0, 0.0, 0,
                                           1, 0)
        rp = replay_job(syn0, syn1, SETTINGS["dim"], s.ids, s.starts, a, b, s.keep, s.alias_prob, s.alias_idx,
                        SETTINGS["window"], SETTINGS["negative"], cbow, True, True, True, 0, 0.0)
        if pairs != rp:
            raise SystemExit(f"replay stream differs from train_job's ({'cbow' if cbow else 'sg'}: "
                             f"{rp} vs {pairs} pairs)")


def best(s: Setup, threads: int, repeats: int, make, cbow: bool, fresh: dict | None = None, **kw) -> tuple:
    """``(corpus words/s, corpus words per CPU-second)`` of the fastest of ``repeats`` runs of
    ``make(s, cbow, syn0, syn1, **kw)``'s work, tables made by ``s.fresh(**fresh)`` before each, untimed."""
    walls, cpus = [], []
    for _ in range(repeats):
        work, n_jobs = make(s, cbow, *s.fresh(**(fresh or {})), **kw)
        wall, cpu = run_threads(work, n_jobs, threads)
        walls.append(wall)
        cpus.append(cpu)
    return s.tokens / min(walls), s.tokens / min(cpus)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int | None:
    p = parser("benchmarks/roofline.py", __doc__)
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    p.add_argument("--tokens", type=int, default=1_000_000, help="corpus prefix replayed (raw tokens)")
    p.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    p.add_argument("--modes", default="sg,cbow")
    p.add_argument("--repeats", type=int, default=2, help="best of this many runs per number")
    p.add_argument("--no-layout", action="store_true", help="skip the table-layout measurements")
    p.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "w2v-roofline"),
                   help="where the corpus is encoded")
    p.add_argument("--json", help="write the numbers here")
    args = p.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",") if t]
    modes = [m for m in args.modes.split(",") if m]
    t0 = time.perf_counter()
    s = Setup(Path(args.corpus), args.tokens, Path(args.workdir))
    check_stream(s)
    print(f"corpus {args.corpus}: prefix of {s.tokens:,} tokens, {s.n_jobs} jobs, V={s.V:,} "
          f"({s.V * 400 / 1e6:.1f} MB a table), {SETTINGS}, best of {args.repeats}; load {load()}", flush=True)
    rows = []
    for mode in modes:
        cbow = mode == "cbow"
        for t in threads:
            r = {"mode": mode, "threads": t, "load_before": load()}
            runs = {"kernel": (kernel_work, {}, {}),
                    "memory": (replay_work, {}, {"touch": True}),
                    "memory_pf": (replay_work, {}, {"touch": True, "prefetch": True}),
                    "stream": (replay_work, {"rows": 1}, {"touch": False}),
                    "stream_nodraw": (replay_work, {"rows": 1}, {"touch": False, "draws": False}),
                    "arith": (kernel_work, {"rows": FOLD}, {"folded": True}),
                    "kernel_huge": (kernel_work, {"huge": True}, {})}
            for key, (make, fresh, kw) in runs.items():
                r[key], r[key + "_cpu"] = best(s, t, args.repeats, make, cbow, fresh, **kw)
            r["load_after"] = load()
            bound = min(max(r["memory"], r["memory_pf"]), r["arith"])
            print(f"{mode:4s} {t:2d} thr  kernel {r['kernel'] / 1e3:6.0f}k  memory-only {r['memory'] / 1e3:6.0f}k "
                  f"(prefetched {r['memory_pf'] / 1e3:6.0f}k)  "
                  f"arith-in-cache {r['arith'] / 1e3:6.0f}k  stream {r['stream'] / 1e3:6.0f}k "
                  f"(no draws {r['stream_nodraw'] / 1e3:6.0f}k)  "
                  f"kernel/memory {r['kernel'] / max(r['memory'], r['memory_pf']):.2f}  "
                  f"kernel/bound {r['kernel'] / bound:.2f}  kernel on huge pages "
                  f"{r['kernel_huge'] / 1e3:6.0f}k  load {r['load_after']}", flush=True)
            print("          per CPU-second: " + "  ".join(f"{k} {r[k + '_cpu'] / 1e3:.0f}k" for k in runs), flush=True)
            rows.append(r)
        for a, b in zip(threads, threads[1:]):
            ra, rb = [x for x in rows if x["mode"] == mode and x["threads"] in (a, b)]
            print(f"{mode:4s} scaling {a} -> {b} threads: kernel x{rb['kernel'] / ra['kernel']:.2f}, "
                  f"memory-only x{rb['memory'] / ra['memory']:.2f}, arith x{rb['arith'] / ra['arith']:.2f}", flush=True)
    layout = []
    if not args.no_layout:
        variants = [("stride 100, base aligned", 100, 0, False), ("stride 100, base +16 B", 100, 16, False),
                    ("stride 112 (448 B rows, all aligned)", 112, 0, False), ("stride 128 (512 B)", 128, 0, False),
                    ("stride 100, huge pages", 100, 0, True), ("stride 112, huge pages", 112, 0, True)]
        for mode in modes:
            for t in threads[:1]:
                for name, stride, offset, huge in variants:
                    wps, cpu = best(s, t, args.repeats, replay_work, mode == "cbow",
                                    {"stride": stride, "offset": offset, "huge": huge}, touch=True)
                    layout.append({"mode": mode, "threads": t, "layout": name, "memory": wps, "memory_cpu": cpu})
                    print(f"layout {mode:4s} {t:2d} thr  {name:38s} memory-only {wps / 1e3:6.0f}k  "
                          f"per CPU-s {cpu / 1e3:6.0f}k", flush=True)
    print(f"total {time.perf_counter() - t0:.0f}s, load {load()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"tokens": s.tokens, "V": s.V, "settings": SETTINGS, "rows": rows,
                                               "layout": layout}, indent=2))


if __name__ == "__main__":
    run_cli(main)
