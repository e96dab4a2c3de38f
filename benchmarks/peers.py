"""Train w2v and gensim on the same corpus with the same settings; print speed, memory, quality.

Each run happens in its own subprocess so its peak RSS is its own. gensim and the original word2vec C
(the ``word2vec`` PyPI package compiles Mikolov's word2vec.c with ``-Ofast -march=native`` into a
``word2vec`` executable) are benchmark-only dependencies (``pip install -e '.[bench]'``); the w2v
package never imports or calls them. Runs whose peer is missing are reported as failed and skipped.

    python benchmarks/peers.py [--corpus ../shared/corpora/text8like] [--threads 2]
                               [--runs w2v-sg,gensim-sg,...] [--repeats 3] [--json results.json]
    python benchmarks/peers.py --shapes [--repeats 3]   # vocabulary + encoding vs gensim build_vocab, 4 corpus shapes
    python benchmarks/peers.py --equal-time             # quality at gensim's wall time

Both tables are scored by w2v's evaluator: Google analogies restricted to the 30,000 most frequent
words (3CosAdd) and WordSim-353 Spearman.

gensim's ``corpus_file`` mode (4.4.0) does not decay the learning rate as word2vec does when it has more
than one worker: each worker reads its own 1/N of the file, but computes its progress as its *own*
sentences over the *whole* corpus's (``get_next_alpha`` in ``word2vec_corpusfile.pyx``), so with 2 workers
every epoch ends half-way down its share of the decay — the rate ends at 0.1 alpha instead of min_alpha
and averages 0.55 alpha instead of 0.5. That higher rate is worth about +0.7 analogy point for CBOW
(for skip-gram it was inside the seed noise; benchmarks/RESULTS.md, issue 20). ``gensim-*-file-decay``
runs the same mode with ``total_examples`` set to one worker's share, which gives each worker word2vec's
linear decay over its own sentences: gensim's fast mode at w2v's (and word2vec's) settings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from w2v.cli import parser, run_cli

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "text8like"
SETTINGS = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-3, epochs=5)
RUNS = {
    "w2v-sg": ("w2v", {}),
    "w2v-sg-per-pair": ("w2v", {"shared_negatives": False}),
    "w2v-cbow": ("w2v", {"cbow": True}),
    "gensim-sg": ("gensim", {"sg": 1}),
    "gensim-sg-file": ("gensim-file", {"sg": 1}),
    "gensim-cbow": ("gensim", {"sg": 0}),
    "gensim-cbow-file": ("gensim-file", {"sg": 0}),
    # corpus_file mode with word2vec's learning-rate decay (see the module docstring): quality at equal settings
    "gensim-sg-file-decay": ("gensim-file", {"sg": 1, "worker_decay": True}),
    "gensim-cbow-file-decay": ("gensim-file", {"sg": 0, "worker_decay": True}),
    "c-sg": ("word2vec-c", {"cbow": 0}),
    "c-cbow": ("word2vec-c", {"cbow": 1}),
}


def peak_rss_gb() -> float:
    """This process's own peak RSS. On Linux, VmHWM: getrusage's ru_maxrss survives exec, so a
    child would report at least its parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def token_blocks(corpus: Path):
    """The corpus's tokens, a bounded block at a time (w2v's own reader: this parent stays small)."""
    from w2v.corpus import ReadStats, iter_blocks

    for block in iter_blocks(corpus, ReadStats()):
        yield block.split()


def count_tokens(corpus: Path) -> int:
    return sum(len(tokens) for tokens in token_blocks(corpus))


def is_one_line(corpus: Path) -> bool:
    return corpus.open("rb").read(1 << 20).count(b"\n") == 0


def split_lines(corpus: Path, workdir: Path, per_line: int = 1_000) -> Path:
    """A one-line corpus (text8) cut into lines of ``per_line`` tokens for gensim's corpus_file mode.

    That mode ignores tokens past 10,000 on a line, and (gensim 4.4.0) its batches can hold 20,000
    raw words of which only the first 10,000 kept after subsampling are trained: with 10,000-token
    lines it trains on about half the corpus (measured: 2.55M of 5.10M words with sample 0, where
    the iterable mode trains 4.97M). With 1,000-token lines (word2vec C's sentence length) it trains
    on as many words as the iterable mode, and is as accurate, so this is its best input.
    Streams, so this process stays small (a child inherits its parent's peak RSS)."""
    out = workdir / (corpus.name + ".lines")
    if out.exists():
        return out
    pending: list[str] = []
    with open(out, "w") as dst:
        for tokens in token_blocks(corpus):
            pending += tokens
            full = len(pending) - len(pending) % per_line
            for i in range(0, full, per_line):
                dst.write(" ".join(pending[i:i + per_line]) + "\n")
            del pending[:full]
        if pending:
            dst.write(" ".join(pending) + "\n")
    return out


SHAPES = ("text8like", "lines", "files", "concat4")


def build_shapes(corpus: Path, root: Path) -> dict[str, Path]:
    """The corpus in four shapes (built once under ``root``, reused after):

    * ``text8like``: the corpus as is (one 100 MB line);
    * ``lines``: cut into lines of 1..27 tokens (14 on average; fixed seed), ~1.2M lines for text8like;
    * ``files``: ``lines`` as a flat directory of files of 100 lines each (~12k files; gensim's
      PathLineSentences reads no subdirectories);
    * ``concat4``: the corpus four times in one line (68M tokens), to check linearity."""
    import numpy as np

    root.mkdir(parents=True, exist_ok=True)
    lines, files, concat = root / "lines.txt", root / "files", root / "concat4.txt"
    if not lines.exists():
        rng = np.random.default_rng(0)
        with open(str(lines) + ".tmp", "w") as dst:
            pending: list[str] = []
            for tokens in token_blocks(corpus):
                pending += tokens
                lens = rng.integers(1, 28, size=len(pending) // 14 + 1)
                ends = np.cumsum(lens)
                n = int(np.searchsorted(ends, len(pending), side="right"))
                start = 0
                for e in ends[:n]:
                    dst.write(" ".join(pending[start:e]) + "\n")
                    start = int(e)
                del pending[:start]
            if pending:
                dst.write(" ".join(pending) + "\n")
        os.replace(str(lines) + ".tmp", lines)
    if not files.exists():
        tmp = root / "files.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        with open(lines) as src:
            all_lines = src.readlines()
        for i in range(0, len(all_lines), 100):
            tmp.mkdir(exist_ok=True)
            (tmp / f"doc{i // 100:06d}.txt").write_text("".join(all_lines[i:i + 100]))
        del all_lines
        os.replace(tmp, files)
    if not concat.exists():
        with open(str(concat) + ".tmp", "wb") as dst:
            for _ in range(4):
                with open(corpus, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 24)
                dst.write(b" ")
        os.replace(str(concat) + ".tmp", concat)
    return {"text8like": corpus, "lines": lines, "files": files, "concat4": concat}


class AnonPeak:
    """Peak anonymous memory (RssAnon: heap and stacks, not memory-mapped files) of this
    process plus its children, sampled every 5 ms in a background thread."""

    def __init__(self) -> None:
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _pids(pid: int) -> list[int]:
        out = [pid]
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                out += [q for c in (task / "children").read_text().split() for q in AnonPeak._pids(int(c))]
            except OSError:
                pass
        return out

    @staticmethod
    def _anon(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, sum(self._anon(p) for p in self._pids(os.getpid())))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**30


def child_vocab(system: str, corpus: Path, threads: int, workdir: Path) -> dict:
    """Vocabulary + encoding (w2v) or ``build_vocab`` (gensim) alone, timed, with peak anonymous memory."""
    if system == "w2v":
        from w2v.vocab import encode_corpus

        mem = AnonPeak()
        t = time.perf_counter()
        enc = encode_corpus(corpus, workdir / "enc", min_count=SETTINGS["min_count"], progress=False,
                            workers=threads)
        seconds = time.perf_counter() - t
        return {"vocab_s": seconds, "anon_gb": mem.stop(), "vocab_size": len(enc.vocab),
                "tokens": enc.stats["tokens"], "processes": enc.stats["count_processes"]}
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence, PathLineSentences, Text8Corpus

    if corpus.is_dir():
        sentences = PathLineSentences(str(corpus))
    else:
        sentences = Text8Corpus(str(corpus)) if is_one_line(corpus) else LineSentence(str(corpus))
    model = Word2Vec(vector_size=SETTINGS["dim"], window=SETTINGS["window"], negative=SETTINGS["negative"],
                     min_count=SETTINGS["min_count"], sample=SETTINGS["sample"], workers=threads, seed=1)
    mem = AnonPeak()
    t = time.perf_counter()
    model.build_vocab(sentences)
    seconds = time.perf_counter() - t
    return {"vocab_s": seconds, "anon_gb": mem.stop(), "vocab_size": len(model.wv), "tokens": model.corpus_total_words}


def shapes_main(args: argparse.Namespace) -> None:
    """``--shapes``: vocabulary + encoding time of w2v vs gensim's build_vocab on every corpus shape."""
    paths = build_shapes(Path(args.corpus), Path(args.shapes_dir))
    rows = []
    for rep in range(args.repeats):
        for shape in args.shapes.split(","):
            for system in ("w2v", "gensim"):
                with tempfile.TemporaryDirectory() as work:
                    cmd = [sys.executable, __file__, "--child", f"vocab-{system}", "--corpus", str(paths[shape]),
                           "--threads", str(args.threads), "--out", work, "--workdir", work]
                    proc = subprocess.run(cmd, capture_output=True, text=True)
                line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
                if proc.returncode or not line:
                    print(f"{shape} {system}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                    continue
                res = {"shape": shape, "system": system, "repeat": rep, **json.loads(line[0][7:])}
                rows.append(res)
                print(f"{shape:10s} {system:7s} {res['vocab_s']:7.2f}s  anon peak {res['anon_gb']:.3f} GB  "
                      f"{res['tokens']:,} tokens  {res['vocab_size']:,} words", flush=True)
    print(f"\n{args.threads} threads/processes; ratios are gensim build_vocab time / w2v time (same repeat)")
    by = {(r["shape"], r["system"], r["repeat"]): r for r in rows}
    for shape in args.shapes.split(","):
        ratios = [by[(shape, "gensim", k)]["vocab_s"] / by[(shape, "w2v", k)]["vocab_s"]
                  for k in range(args.repeats) if (shape, "gensim", k) in by and (shape, "w2v", k) in by]
        mem = [by[(shape, "w2v", k)]["anon_gb"] / by[(shape, "gensim", k)]["anon_gb"]
               for k in range(args.repeats) if (shape, "gensim", k) in by and (shape, "w2v", k) in by]
        if ratios:
            print(f"{shape:10s} w2v faster x{min(ratios):.2f} (worst) .. x{max(ratios):.2f}; "
                  f"anon memory w2v/gensim x{max(mem):.2f} (worst)")
    for system in ("w2v", "gensim"):
        lin = [by[("concat4", system, k)]["vocab_s"] / (4 * by[("text8like", system, k)]["vocab_s"])
               for k in range(args.repeats) if ("concat4", system, k) in by and ("text8like", system, k) in by]
        if lin:
            best = [min(r["vocab_s"] for r in rows if r["shape"] == shape and r["system"] == system)
                    for shape in ("concat4", "text8like")]
            print(f"{system}: time(68M) / (4 x time(17M)) = {', '.join(f'{x:.2f}' for x in lin)} per repeat, "
                  f"{best[0] / (4 * best[1]):.2f} best of each (1.00 = linear)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def child_w2v(corpus: Path, threads: int, extra: dict, out: Path) -> dict:
    import w2v

    mem = AnonPeak()
    result = w2v.train_embeddings(corpus, out=out, progress=False, threads=threads, **SETTINGS, **extra)
    info = result.info
    # w2v holds the corpus's last min(50k tokens, 1 %) out of training to score each epoch: the
    # fraction of the corpus trained on, so words/s counts only the words trained.
    kept = info["corpus_stats"]["kept_tokens"]
    return {"vocab_s": info["corpus_stats"]["encode_seconds"], "train_s": info["train_seconds"],
            "trained_words": info["words_trained_after_subsampling"], "rss_gb": peak_rss_gb(),
            "anon_gb": mem.stop(), "vocab_size": len(result.vocab),
            "epoch_fraction": (kept - info["heldout_tokens"]) / kept,
            "heldout_loss": info["heldout_loss"], "epoch_loss": info["epoch_loss"],
            "thread_cpu_s": info["thread_cpu_seconds"], "thread_words": info["thread_words"]}


def child_gensim(corpus: Path, threads: int, extra: dict, out: Path, file_mode: bool, workdir: Path) -> dict:
    import numpy as np
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence, Text8Corpus

    from w2v.outdir import save_model

    extra = dict(extra)
    worker_decay = extra.pop("worker_decay", False)
    mem = AnonPeak()
    model = Word2Vec(vector_size=SETTINGS["dim"], window=SETTINGS["window"], negative=SETTINGS["negative"],
                     min_count=SETTINGS["min_count"], sample=SETTINGS["sample"], workers=threads, seed=1, **extra)
    one_line = is_one_line(corpus)
    if file_mode:
        path = split_lines(corpus, workdir) if one_line else corpus
        t = time.perf_counter()
        model.build_vocab(corpus_file=str(path))
        vocab_s = time.perf_counter() - t
        t = time.perf_counter()
        # worker_decay: one worker's share of the sentences, so that each worker's rate decays to min_alpha
        examples = max(1, model.corpus_count // threads) if worker_decay else model.corpus_count
        effective, _ = model.train(corpus_file=str(path), total_words=model.corpus_total_words,
                                   total_examples=examples, epochs=SETTINGS["epochs"])
    else:
        sentences = Text8Corpus(str(corpus)) if one_line else LineSentence(str(corpus))
        t = time.perf_counter()
        model.build_vocab(sentences)
        vocab_s = time.perf_counter() - t
        t = time.perf_counter()
        effective, _ = model.train(sentences, total_examples=model.corpus_count, epochs=SETTINGS["epochs"])
    train_s = time.perf_counter() - t
    # gensim's train() returns (words trained after subsampling, raw words): "trained" is the first,
    # comparable with w2v's words_trained_after_subsampling.
    rss = peak_rss_gb()
    anon = mem.stop()
    kv = model.wv
    counts = np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key])
    save_model(out, kv.vectors, kv.index_to_key, counts, {"method": "gensim", **extra})
    return {"vocab_s": vocab_s, "train_s": train_s, "trained_words": effective, "rss_gb": rss, "anon_gb": anon,
            "vocab_size": len(kv)}


def word2vec_c_binary() -> str:
    """The word2vec C executable: $WORD2VEC_C, else ``word2vec`` beside this Python, else on PATH."""
    if os.environ.get("WORD2VEC_C"):
        return os.environ["WORD2VEC_C"]
    beside = Path(sys.executable).parent / "word2vec"
    found = str(beside) if beside.exists() else shutil.which("word2vec")
    if not found:
        raise SystemExit("word2vec C not found: pip install word2vec (builds it) or set WORD2VEC_C")
    return found


def child_word2vec_c(corpus: Path, threads: int, extra: dict, out: Path, workdir: Path) -> dict:
    """Mikolov's word2vec.c with the shared settings. Its vocabulary pass is timed on its own
    (``-output ''`` makes it stop after counting); training time is the full run minus that."""
    from w2v.formats import read_word2vec
    from w2v.outdir import save_model

    exe = word2vec_c_binary()
    common = [exe, "-train", str(corpus), "-min-count", str(SETTINGS["min_count"]), "-threads", str(threads)]
    t = time.perf_counter()
    subprocess.run(common + ["-output", ""], check=True, capture_output=True)
    vocab_s = time.perf_counter() - t
    vectors_file, vocab_file = workdir / f"c-{out.name}.bin", workdir / f"c-{out.name}.vocab"
    t = time.perf_counter()
    subprocess.run(common + ["-output", str(vectors_file), "-save-vocab", str(vocab_file), "-binary", "1",
                             "-size", str(SETTINGS["dim"]), "-window", str(SETTINGS["window"]),
                             "-negative", str(SETTINGS["negative"]), "-hs", "0", "-sample", str(SETTINGS["sample"]),
                             "-iter", str(SETTINGS["epochs"]), "-alpha", "0.025", "-cbow", str(extra["cbow"])],
                   check=True, capture_output=True)
    train_s = time.perf_counter() - t - vocab_s
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    table, words = read_word2vec(vectors_file, binary=True, unicode_errors="replace")
    counts = [int(line.split()[1]) for line in vocab_file.read_text(errors="replace").splitlines()]
    save_model(out, table, words, counts, {"method": "word2vec-c", **extra})
    return {"vocab_s": vocab_s, "train_s": train_s, "trained_words": None, "rss_gb": rss, "vocab_size": len(words)}


def child(args: argparse.Namespace) -> None:
    if args.epochs:
        SETTINGS["epochs"] = args.epochs
    if args.child.startswith("vocab-"):
        res = child_vocab(args.child.removeprefix("vocab-"), Path(args.corpus), args.threads, Path(args.workdir))
        print("RESULT " + json.dumps(res))
        return
    kind, extra = RUNS[args.child]
    out = Path(args.out)
    workdir = Path(args.workdir)
    if kind == "w2v":
        res = child_w2v(Path(args.corpus), args.threads, extra, out)
    elif kind == "word2vec-c":
        res = child_word2vec_c(Path(args.corpus), args.threads, extra, out, workdir)
    else:
        res = child_gensim(Path(args.corpus), args.threads, extra, out, kind == "gensim-file", workdir)
    from w2v.evaluate import evaluate_all

    scores = evaluate_all(out, restrict=30000)
    res.update(analogy=scores["google_add"], ws353=scores["ws353"], scores=scores, epochs=SETTINGS["epochs"])
    print("RESULT " + json.dumps(res))


def run_child(name: str, corpus: Path, threads: int, work: str, epochs: int = 0) -> dict | None:
    """One training run in its own process; its RESULT dict (None if it failed)."""
    out = Path(work) / f"{name}-{threads}-{epochs}"
    cmd = [sys.executable, __file__, "--child", name, "--corpus", str(corpus), "--threads", str(threads),
           "--out", str(out), "--workdir", work, "--epochs", str(epochs)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not line:
        print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return {"run": name, "threads": threads, **json.loads(line[0][7:])}


EQUAL_TIME_SCORES = ["google_add", "google_mul", "google_semantic_add", "google_syntactic_add", "ws353", "ws353_sim",
                     "ws353_rel", "rg65"]


def equal_time_main(args: argparse.Namespace) -> None:
    """``--equal-time``: what w2v's speed buys. gensim's skip-gram (both modes) gets its usual 5 epochs;
    its better-scoring run's wall time (vocabulary + training) is the budget. w2v's skip-gram and CBOW
    are timed for one epoch, then trained for as many epochs as fit in the budget, and every run is
    scored on every bundled benchmark."""
    corpus = Path(args.corpus)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        if is_one_line(corpus):
            split_lines(corpus, Path(work))
        for name in ("gensim-sg", "gensim-sg-file"):
            res = run_child(name, corpus, args.threads, work)
            if res:
                rows.append(res)
                print(f"{name}: {res['epochs']} epochs, {res['vocab_s'] + res['train_s']:.1f}s, "
                      f"analogy {100 * res['analogy']:.1f}%, WS353 {res['ws353']:.3f}", flush=True)
        if not rows:
            raise SystemExit("no gensim run succeeded")
        best = max(rows, key=lambda r: r["scores"]["google_add"])
        budget = best["vocab_s"] + best["train_s"]
        print(f"budget: {budget:.1f}s (wall time of {best['run']}, gensim's best mode on analogies)", flush=True)
        for name in ("w2v-sg", "w2v-cbow"):
            probe = run_child(name, corpus, args.threads, work, epochs=1)
            if not probe:
                continue
            epochs = max(1, int((budget - probe["vocab_s"]) / probe["train_s"]))
            res = run_child(name, corpus, args.threads, work, epochs=epochs)
            if res:
                rows.append(res)
                print(f"{name}: {epochs} epochs, {res['vocab_s'] + res['train_s']:.1f}s, "
                      f"analogy {100 * res['analogy']:.1f}%, WS353 {res['ws353']:.3f}", flush=True)
    print(f"\ncorpus {corpus}, {args.threads} threads, {({k: v for k, v in SETTINGS.items() if k != 'epochs'})}")
    print(f"{'run':16s} {'epochs':>6s} {'wall s':>7s} " + " ".join(f"{k:>20s}" for k in EQUAL_TIME_SCORES))
    for r in rows:
        print(f"{r['run']:16s} {r['epochs']:6d} {r['vocab_s'] + r['train_s']:7.1f} "
              + " ".join(f"{r['scores'][k]:20.4f}" for k in EQUAL_TIME_SCORES))
    for r in rows:
        if r["run"].startswith("w2v"):
            ahead = [k for k in EQUAL_TIME_SCORES if r["scores"][k] > best["scores"][k]]
            wall = r["vocab_s"] + r["train_s"]
            print(f"{r['run']} (wall {wall:.1f}s = {wall / budget:.2f} x "
                  f"budget) ahead of {best['run']} on {len(ahead)}/{len(EQUAL_TIME_SCORES)}: {', '.join(ahead)}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def main(argv: list[str] | None = None) -> int | None:
    p = parser("benchmarks/peers.py", __doc__)
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", default=",".join(RUNS), help="comma-separated subset of " + ",".join(RUNS))
    p.add_argument("--thread-counts", default="",
                   help="also run the w2v-sg and w2v-cbow runs of --runs at these thread counts (e.g. 1)")
    p.add_argument("--json", help="write all results here")
    p.add_argument("--shapes", nargs="?", const=",".join(SHAPES), default=None,
                   help="instead of training: vocabulary + encoding time vs gensim build_vocab on these corpus "
                        "shapes (default all: " + ",".join(SHAPES) + ")")
    p.add_argument("--shapes-dir", default=str(Path(tempfile.gettempdir()) / "w2v-shapes"),
                   help="where the corpus shapes are built (once; ~600 MB)")
    p.add_argument("--repeats", type=int, default=1,
                   help="rounds of all runs, each round's order rotated (no run always follows another); the ratios "
                        "use each run's fastest round, and each run's spread over the rounds is printed (with "
                        "--shapes: repeat every measurement this many times)")
    p.add_argument("--equal-time", action="store_true",
                   help="instead: train gensim's skip-gram modes (5 epochs), then w2v's skip-gram and CBOW for as many "
                        "epochs as fit in the best gensim run's wall time; score all on every bundled benchmark")
    p.add_argument("--epochs", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--workdir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args)
        return
    if args.shapes:
        shapes_main(args)
        return
    if args.equal_time:
        equal_time_main(args)
        return
    corpus = Path(args.corpus)
    tokens = count_tokens(corpus)
    plan = [(name, args.threads) for name in args.runs.split(",")]
    listed = [name for name in ("w2v-sg", "w2v-cbow") if name in args.runs.split(",")]
    plan += [(name, int(t)) for t in args.thread_counts.split(",") if t for name in listed]
    results = []
    with tempfile.TemporaryDirectory() as work:
        if is_one_line(corpus) and any(RUNS[name][0] == "gensim-file" for name, _ in plan):
            split_lines(corpus, Path(work))  # here, so the split's memory is not charged to gensim
        for repeat, name, threads in rounds(plan, args.repeats):
            out = Path(work) / f"{name}-{threads}-{repeat + 1}"
            load = round(os.getloadavg()[0], 2)
            cmd = [sys.executable, __file__, "--child", name, "--corpus", str(corpus), "--threads", str(threads),
                   "--out", str(out), "--workdir", work]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if proc.returncode or not line:
                print(f"{name}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            res = {"run": name, "threads": threads, "round": repeat + 1, "load_before": load,
                   **json.loads(line[0][7:])}
            res["words_per_s"] = tokens * res.get("epoch_fraction", 1.0) * SETTINGS["epochs"] / res["train_s"]
            res["trained_words_per_s"] = (res["trained_words"] or float("nan")) / res["train_s"]
            results.append(res)
            print(f"{name:18s} threads {threads}  round {repeat + 1}  load {load:4.1f}  "
                  f"vocab {res['vocab_s']:6.1f}s  train {res['train_s']:7.1f}s  "
                  f"{res['words_per_s'] / 1e3:7.0f}k corpus words/s  {res['trained_words_per_s'] / 1e3:6.0f}k "
                  f"trained words/s  RSS {res['rss_gb']:.2f} GB  anon {res.get('anon_gb', float('nan')):.2f} GB  "
                  f"analogy {100 * res['analogy']:.1f}%  "
                  f"WS353 {res['ws353']:.3f}", flush=True)
    report(fastest_rounds(results, args.repeats), tokens, corpus, args.threads)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def rounds(plan: list[tuple[str, int]], repeats: int) -> list[tuple[int, str, int]]:
    """``(round, run, threads)`` in order: every run once a round, each round's order rotated by one, so that
    no run always follows the same one (on a VM the memory another process just freed costs the next run
    its first touch, and a host's slow minute falls on different runs)."""
    return [(k, *plan[(k + i) % len(plan)]) for k in range(repeats) for i in range(len(plan))]


def fastest_rounds(results: list[dict], repeats: int) -> list[dict]:
    """Each (run, threads)'s fastest round (most corpus words per second); with more than one round, prints
    each run's spread over the rounds first."""
    best: dict[tuple[str, int], dict] = {}
    for r in results:
        key = (r["run"], r["threads"])
        if key not in best or r["words_per_s"] > best[key]["words_per_s"]:
            best[key] = r
    if repeats > 1:
        print(f"\nfastest of {repeats} rounds (rotated order); corpus words/s over the rounds:")
        for (name, threads), r in best.items():
            speeds = [x["words_per_s"] / 1e3 for x in results if (x["run"], x["threads"]) == (name, threads)]
            print(f"  {name:18s} threads {threads}  best {max(speeds):7.0f}k  worst {min(speeds):7.0f}k  "
                  f"({len(speeds)} rounds; best is round {r['round']})")
    return list(best.values())


def report(results: list[dict], tokens: int, corpus: Path, threads: int) -> None:
    by = {(r["run"], r["threads"]): r for r in results}
    print(f"\ncorpus {corpus} ({tokens:,} tokens), {SETTINGS}, {threads} threads")
    for mode, ours in (("sg", "w2v-sg"), ("cbow", "w2v-cbow")):
        peers = [by.get((f"gensim-{mode}", threads)), by.get((f"gensim-{mode}-file", threads))]
        peers = [p for p in peers if p]
        if (ours, threads) not in by or not peers:
            continue
        w = by[(ours, threads)]
        fastest = max(peers, key=lambda r: r["words_per_s"])
        vocab_ref = min(peers, key=lambda r: r["vocab_s"])
        speed = w["words_per_s"] / fastest["words_per_s"]
        trained = w["trained_words_per_s"] / fastest["trained_words_per_s"]
        print(f"{mode}: w2v / {fastest['run']} (faster gensim mode): speed x{speed:.2f} "
              f"(trained words/s x{trained:.2f}), analogy {100 * (w['analogy'] - fastest['analogy']):+.1f} pt, "
              f"WS353 {w['ws353'] - fastest['ws353']:+.3f}, "
              f"RSS x{w['rss_gb'] / fastest['rss_gb']:.2f}, "
              f"anon x{w.get('anon_gb', float('nan')) / fastest.get('anon_gb', float('nan')):.2f}, "
              f"vocab time x{w['vocab_s'] / vocab_ref['vocab_s']:.2f} "
              f"(vs {vocab_ref['run']})")
        if (f"gensim-{mode}-file-decay", threads) in by:
            d = by[(f"gensim-{mode}-file-decay", threads)]
            print(f"{mode}: w2v / gensim-{mode}-file-decay (word2vec's rate decay in each worker): speed "
                  f"x{w['words_per_s'] / d['words_per_s']:.2f}, analogy {100 * (w['analogy'] - d['analogy']):+.1f} pt, "
                  f"WS353 {w['ws353'] - d['ws353']:+.3f}")
        if (f"c-{mode}", threads) in by:
            c = by[(f"c-{mode}", threads)]
            print(f"{mode}: w2v / word2vec C: speed x{w['words_per_s'] / c['words_per_s']:.2f}, "
                  f"analogy {100 * (w['analogy'] - c['analogy']):+.1f} pt, WS353 {w['ws353'] - c['ws353']:+.3f}, "
                  f"RSS x{w['rss_gb'] / c['rss_gb']:.2f}, vocab time x{w['vocab_s'] / c['vocab_s']:.2f}")
    for name in ("w2v-sg", "w2v-cbow"):
        one, many = by.get((name, 1)), by.get((name, threads))
        if one and many and threads != 1:
            print(f"{name}: scaling 1 -> {threads} threads x{many['words_per_s'] / one['words_per_s']:.2f}")
            if "thread_cpu_s" in one and "thread_cpu_s" in many:
                # CPU seconds each worker got over the training wall time (1.00: never descheduled), and corpus
                # words per CPU-second: a drop with more threads is the threads slowing each other (shared
                # rows, caches, memory), not the scheduler.
                busy = ", ".join(f"{c / many['train_s']:.2f}" for c in many["thread_cpu_s"])
                per_cpu = [r["words_per_s"] * r["train_s"] / sum(r["thread_cpu_s"]) for r in (one, many)]
                print(f"{name}: {threads} workers' CPU / wall {busy}; words per CPU-second {per_cpu[0] / 1e3:.0f}k "
                      f"(1 thread) -> {per_cpu[1] / 1e3:.0f}k (x{per_cpu[1] / per_cpu[0]:.2f}); words per worker "
                      f"{', '.join(f'{w / 1e6:.1f}M' for w in many['thread_words'])}")


if __name__ == "__main__":
    run_cli(main)
