"""Measure training on a Dask LocalCluster against the single-machine trainer.

    python benchmarks/cluster_bench.py sweep   [--corpus corpora/text8like-20M.xz] [--workers 2]
                                               [--rules touched-mean,mean,sum,weighted] [--round-words 100000,...]
    python benchmarks/cluster_bench.py compare [--corpus ../shared/corpora/text8like] [--workers 2] [--threads 2]
    python benchmarks/cluster_bench.py scaling [--corpus ../shared/corpora/text8like] [--workers 1,2,4,8]
    python benchmarks/cluster_bench.py plot --json benchmarks/cluster_sweep.json   # -> docs/img/cluster_sweep.png

``sweep`` trains on one LocalCluster with every combination rule × round length (words a partition
trains between two combinations; 0 = one round an epoch) and prints quality, rounds, bytes sent,
compute and wall time of each. ``compare`` trains the single-machine trainer (``--threads``) and the
cluster (``--workers`` single-thread worker processes) with the same default settings and prints
their quality and the throughput ratio. ``scaling`` trains the cluster with 1, 2, 4, 8 workers (for a
machine with at least that many cores). Every run prints a row as it finishes; ``--json`` appends
all rows to a file. Quality: Google analogies (3CosAdd, 30,000 most frequent words) and WordSim-353
Spearman, by w2v's evaluator. A compressed corpus is decompressed to a temporary file first (a
compressed file is one shard, so it would give one partition).
"""

from __future__ import annotations

import json
import logging
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from w2v.cli import parser, run_cli

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SETTINGS = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=5, seed=1)


def plain_corpus(corpus: Path, workdir: Path) -> Path:
    if corpus.suffix != ".xz":
        return corpus
    out = workdir / corpus.stem
    with lzma.open(corpus) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return out


def quality(result) -> dict:
    from w2v.evaluate import evaluate_all

    scores = evaluate_all(result)
    return {"analogy": round(100 * scores["google_add"], 2), "ws353": round(scores["ws353"], 4)}


def row(name: str, result, extra: dict | None = None) -> dict:
    info = result.info
    c = info.get("cluster", {})
    out = {"run": name, **quality(result), "train_s": info["train_seconds"], "total_s": info["total_seconds"],
           "words_per_s": info["words_per_second"], "final_loss": round(info["epoch_loss"][-1], 4)}
    if c:
        n = c["rounds"]
        sent = (c["bytes_up"] + c["bytes_down"]) / 1e6
        out.update(rounds=n, rounds_per_epoch=c["rounds_per_epoch"], mb_sent=round(sent),
                   mb_per_round=round(sent / n, 1),
                   compute_s=c["compute_seconds"], mean_round_s=c["mean_round_seconds"],
                   comm_s=round(info["train_seconds"] - c["compute_seconds"], 2))
    out.update(extra or {})
    return out


def emit(rows: list, r: dict, path: str | None) -> None:
    rows.append(r)
    print(json.dumps(r), flush=True)
    if path:
        Path(path).write_text(json.dumps(rows, indent=1) + "\n")


def local_client(n: int):
    import dask
    import distributed

    dask.config.set({"distributed.scheduler.work-stealing": False})  # as python -m w2v.train --cluster local:N
    cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    return cluster, distributed.Client(cluster)


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


def sweep(args, corpus: Path) -> None:
    from w2v import cluster as wc

    rows: list = []
    settings = {**SETTINGS, "epochs": args.epochs}
    for threads in (2, 1):
        emit(rows, row(f"single --threads {threads}", single(corpus, threads, settings), {"load": load()}), args.json)
    cluster, client = local_client(args.workers)
    with cluster, client:
        for rule in args.rules.split(","):
            for rw in (int(x) for x in args.round_words.split(",")):
                result = wc.train(corpus, client, progress=False, combine=rule, round_words=rw or 10**12, **settings)
                emit(rows, row(f"{rule} {rw or 'epoch'}", result, {"rule": rule, "round_words": rw,
                                                                    "load": load()}), args.json)


def single(corpus: Path, threads: int, settings: dict):
    import w2v

    return w2v.train_embeddings(corpus, progress=False, threads=threads, **settings)


def compare(args, corpus: Path) -> None:
    from w2v import cluster as wc

    rows: list = []
    settings = {**SETTINGS, "epochs": args.epochs}
    cluster, client = local_client(args.workers)
    with cluster, client:
        for rep in range(args.repeats):
            ref = single(corpus, args.threads, settings)
            emit(rows, row(f"single --threads {args.threads}", ref, {"load": load(), "rep": rep}), args.json)
            got = wc.train(corpus, client, progress=False, **settings)
            r = row(f"cluster local:{args.workers}", got, {"load": load(), "rep": rep,
                                                           "same_vocab": got.words == ref.words})
            r["ratio_words_per_s"] = round(got.info["words_per_second"] / ref.info["words_per_second"], 3)
            r["ratio_total_s"] = round(ref.info["total_seconds"] / got.info["total_seconds"], 3)
            emit(rows, r, args.json)


def scaling(args, corpus: Path) -> None:
    from w2v import cluster as wc

    rows: list = []
    settings = {**SETTINGS, "epochs": args.epochs}
    ref = single(corpus, 1, settings)
    emit(rows, row("single --threads 1", ref, {"load": load()}), args.json)
    for n in (int(x) for x in args.workers_list.split(",")):
        cluster, client = local_client(n)
        with cluster, client:
            got = wc.train(corpus, client, progress=False, **settings)
        r = row(f"cluster local:{n}", got, {"workers": n, "load": load()})
        r["speedup_vs_1_thread"] = round(got.info["words_per_second"] / ref.info["words_per_second"], 2)
        emit(rows, r, args.json)


def plot(args, _corpus) -> None:
    """Analogy accuracy and bytes sent against round length, one line per rule, from a sweep's JSON."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = json.loads(Path(args.json).read_text())
    sweep = [r for r in rows if "rule" in r]
    part_words = sweep[0]["rounds_per_epoch"] * sweep[0]["round_words"]  # about one partition's words
    x_of = {r["round_words"]: r["round_words"] or part_words for r in sweep}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for rule in dict.fromkeys(r["rule"] for r in sweep):
        pts = sorted((x_of[r["round_words"]], r["analogy"], r["mb_sent"]) for r in sweep if r["rule"] == rule)
        ax1.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=rule)
        ax2.plot([p[0] for p in pts], [p[2] / 1e3 for p in pts], "o-", label=rule)
    for r in rows:
        if r["run"].startswith("single --threads 2"):
            ax1.axhline(r["analogy"], color="k", ls="--", lw=1, label="single machine, 2 threads")
    ax1.set(xscale="log", xlabel="words a partition trains per round (rightmost: one round an epoch)",
            ylabel="Google analogy accuracy, %", title="Quality vs round length (2 workers)")
    ax2.set(xscale="log", yscale="log", xlabel="words a partition trains per round", ylabel="GB sent in the run",
            title="Bytes sent (up + down) vs round length")
    ax1.legend(fontsize=8)
    fig.tight_layout()
    out = HERE.parent / "docs" / "img" / "cluster_sweep.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int | None:
    p = parser("benchmarks/cluster_bench.py", __doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["sweep", "compare", "scaling", "plot"])
    p.add_argument("--corpus", help="default: corpora/text8like-20M.xz (sweep), ../shared/corpora/text8like (others)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (sweep, compare)")
    p.add_argument("--workers-list", default="1,2,4,8", help="worker counts (scaling)")
    p.add_argument("--threads", type=int, default=2, help="threads of the single-machine run (compare)")
    p.add_argument("--rules", default="touched-mean,mean,sum,weighted", help="combination rules (sweep)")
    p.add_argument("--round-words", default="30000,100000,300000,1000000,0",
                   help="words a partition trains a round; 0 = one round an epoch (sweep)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--repeats", type=int, default=1, help="compare: repetitions of the pair")
    p.add_argument("--json", help="write all rows to this file")
    args = p.parse_args(argv)
    default = HERE.parent / "corpora" / "text8like-20M.xz" if args.mode == "sweep" else \
        HERE.parent.parent / "shared" / "corpora" / "text8like"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE)
    print(f"# {args.mode} on {os.uname().nodename}, {os.cpu_count()} CPUs, load {load()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit.stdout.strip()}", flush=True)
    if args.mode == "plot":
        return plot(args, None)
    with tempfile.TemporaryDirectory(prefix="w2v-cluster-bench-") as tmp:
        corpus = plain_corpus(Path(args.corpus) if args.corpus else default, Path(tmp))
        {"sweep": sweep, "compare": compare, "scaling": scaling}[args.mode](args, corpus)


if __name__ == "__main__":
    run_cli(main)
