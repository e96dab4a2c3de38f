"""Spark MLlib's Word2Vec on the same corpus: words/s and quality, for comparison with w2v's cluster trainer.

    python benchmarks/spark_peer.py [--corpus ../shared/corpora/text8like] [--master local[2]]
                                    [--partitions 1,2] [--iterations 1] [--json results.json]

Benchmark-only dependency: ``pip install pyspark`` (in the ``bench`` extra) and a Java runtime.
MLlib's Word2Vec is skip-gram with hierarchical softmax (no negative sampling, no subsampling);
it averages the partitions' vectors once an iteration. Settings matched to w2v's defaults where
MLlib has them: vectorSize 100, windowSize 5, minCount 5, stepSize 0.025, maxSentenceLength 1000
(the corpus is first cut into 1,000-token lines, outside the timed fit). Speed = corpus words ×
iterations / fit seconds. The table is scored by w2v's evaluator (Google analogies 3CosAdd over
the 30,000 most frequent words, WordSim-353 Spearman), rows ordered by corpus count.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from w2v.cli import parser, run_cli

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "text8like"


def write_lines(corpus: Path, out: Path, length: int = 1000) -> tuple[list[str], np.ndarray, int]:
    """Cut the corpus into ``length``-token lines; return the words and counts in first-appearance order."""
    from w2v.shards import Shard, count_shard

    counted = count_shard(Shard(str(corpus)))
    words = counted.words
    with open(out, "w", encoding="utf-8") as fh:
        for s0, s1 in zip(counted.starts[:-1], counted.starts[1:]):
            for a in range(int(s0), int(s1), length):
                fh.write(" ".join(words[i] for i in counted.prov[a:min(a + length, int(s1))]) + "\n")
    return words, counted.counts, int(counted.stats["tokens"])


def main(argv: list[str] | None = None) -> int | None:
    p = parser("benchmarks/spark_peer.py", __doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    p.add_argument("--master", default="local[2]")
    p.add_argument("--partitions", default="1,2", help="numPartitions values to run")
    p.add_argument("--iterations", type=int, default=1, help="maxIter")
    p.add_argument("--driver-memory", default="6g")
    p.add_argument("--json", help="write the rows to this file")
    args = p.parse_args(argv)

    from pyspark.ml.feature import Word2Vec
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from w2v.evaluate import evaluate_all
    from w2v.vectors import Vectors

    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"# Spark MLlib Word2Vec, {args.master}, {os.cpu_count()} CPUs, load {load}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="w2v-spark-") as tmp:
        lines = Path(tmp) / "lines.txt"
        words, counts, tokens = write_lines(Path(args.corpus), lines)
        count_of = dict(zip(words, counts.tolist()))
        spark = (SparkSession.builder.master(args.master).appName("w2v-spark-peer")
                 .config("spark.driver.memory", args.driver_memory).config("spark.ui.enabled", "false")
                 .config("spark.local.dir", tmp).getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        import pyspark

        try:
            df = spark.read.text(str(lines)).select(F.split(F.col("value"), " ").alias("tokens")).cache()
            df.count()
            for parts in (int(x) for x in args.partitions.split(",")):
                w2v_spark = Word2Vec(vectorSize=100, windowSize=5, minCount=5, stepSize=0.025, maxIter=args.iterations,
                                     numPartitions=parts, maxSentenceLength=1000, seed=1, inputCol="tokens")
                t0 = time.perf_counter()
                model = w2v_spark.fit(df)
                seconds = time.perf_counter() - t0
                vecs = model.getVectors().collect()
                order = sorted(vecs, key=lambda r: (-count_of[r["word"]], r["word"]))
                table = np.array([r["vector"].toArray() for r in order], dtype=np.float32)
                vocab = [r["word"] for r in order]
                scores = evaluate_all(Vectors(table, vocab, np.array([count_of[w] for w in vocab])))
                row = {"run": f"spark {args.master} numPartitions={parts} maxIter={args.iterations}",
                       "pyspark": pyspark.__version__, "vocab": len(vocab), "fit_s": round(seconds, 1),
                       "words_per_s": round(tokens * args.iterations / seconds),
                       "analogy": round(100 * scores["google_add"], 2), "ws353": round(scores["ws353"], 4),
                       "load": Path("/proc/loadavg").read_text().split()[0]}
                rows.append(row)
                print(json.dumps(row), flush=True)
                if args.json:
                    Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
        finally:
            spark.stop()


if __name__ == "__main__":
    run_cli(main)
