"""Phrases: w2v.phrases vs word2phrase (C) vs gensim Phrases + FrozenPhrases — learn + apply, same run.

Each run is its own subprocess under ``/usr/bin/time -v`` (wall time, CPU time = user + system, peak RSS;
on a shared, overloaded machine the CPU time is the steadier measure). Every system learns a
one-pass table and writes the corpus with its phrases joined:

* ``w2v``: ``python -m w2v.phrases CORPUS --out T --text-out F`` (one read of the corpus);
* ``w2v-2step``: ``python -m w2v.phrases CORPUS --out T`` then ``python -m w2v.phrases apply T CORPUS --out F``;
* ``c``: ``word2phrase -train CORPUS -output F`` (the ``word2vec`` PyPI package builds it);
* ``gensim``: ``Phrases(LineSentence(CORPUS))`` then ``FrozenPhrases`` over the corpus, written as text.

w2v and word2phrase use word2phrase's score (threshold 100); w2v-npmi and gensim gensim's NPMI (threshold
0.5), min_count 5. Corpora: the corpus cut into lines of 1,000 tokens (so that gensim's LineSentence cuts
nothing), and that file four times (linearity). The outputs are compared token for token: w2v-npmi vs
gensim exactly; w2v vs word2phrase differ only where word2phrase counts the pair across a line end.

    python benchmarks/phrases.py [--corpus ../shared/corpora/text8like] [--sizes 1,4] [--runs w2v,c,gensim]
    python benchmarks/phrases.py --quality [--threads 2] [--seeds 1,2,3]

``--quality``: the paper's recipe (two passes, thresholds 200 then 100, default score) by w2v and by gensim
(``Phrases`` with the same min_count, thresholds and its default score, which uses the vocabulary size where
word2phrase uses the token count), each phrased corpus trained by the same skip-gram (``w2v.train``
defaults, each ``--seeds`` value), next to the same run without phrases: phrase analogies (word2vec's
questions-phrases.txt, all words) and Google word analogies (3CosAdd), accuracy and coverage. The word
analogies are scored three ways: on the 30,000 most frequent rows (``w2v.evaluate --restrict 30000``; in a
phrased model phrase rows take some of those places, push words out and are candidate answers), on the
30,000 most frequent words (phrase rows left out: the set asks about words), and, words only, on the
questions that every model of the seed answers (the same questions).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from w2v.cli import parser, run_cli

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpora" / "text8like"
ENV = {**os.environ, "PYTHONPATH": str(HERE.parent)}

GENSIM_CHILD = r"""
import json, sys, time
from gensim.models.phrases import Phrases, FrozenPhrases
from gensim.models.word2vec import LineSentence
corpus, out, scoring, thresholds = sys.argv[1], sys.argv[2], sys.argv[3], [float(t) for t in sys.argv[4].split(",")]
t0 = time.perf_counter()
frozen = []
for t in thresholds:   # pass k learns on the text phrased by passes 1..k-1
    def sentences():
        for s in LineSentence(corpus):
            for f in frozen:
                s = f[s]
            yield s
    frozen.append(FrozenPhrases(Phrases(sentences(), min_count=5, threshold=t, scoring=scoring)))
t1 = time.perf_counter()
with open(out, "w") as fh:
    for s in LineSentence(corpus):
        for f in frozen:
            s = f[s]
        fh.write(" ".join(s) + "\n")
t2 = time.perf_counter()
print(json.dumps({"learn_s": t1 - t0, "apply_s": t2 - t1, "phrases": sum(len(f.phrasegrams) for f in frozen)}))
"""


def timed(cmd: list[str], cwd: Path | None = None) -> dict:
    """Run ``cmd`` under /usr/bin/time -v: wall seconds, peak RSS (GiB), stdout."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=ENV, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {proc.stderr[-2000:]}")
    info = {}
    for line in proc.stderr.splitlines():
        line = line.strip()
        if line.startswith("Elapsed (wall clock)"):
            parts = [float(x) for x in line.rsplit(" ", 1)[1].split(":")]
            info["wall_s"] = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
        elif line.startswith(("User time", "System time")):
            info["cpu_s"] = round(info.get("cpu_s", 0.0) + float(line.rsplit(" ", 1)[1]), 2)
        elif line.startswith("Maximum resident set size"):
            info["peak_gib"] = int(line.rsplit(" ", 1)[1]) / 2**20
    info["stdout"] = proc.stdout
    return info


def prepare(corpus: Path, root: Path, copies: int, per_line: int = 1000) -> Path:
    """The corpus ``copies`` times, cut into lines of ``per_line`` tokens (built once)."""
    out = root / f"{corpus.name}.x{copies}.lines"
    if out.exists():
        return out
    from w2v.corpus import ReadStats, iter_blocks

    with open(str(out) + ".tmp", "w") as dst:
        for _ in range(copies):
            pending: list[str] = []
            for block in iter_blocks(corpus, ReadStats()):
                pending += block.split()
                full = len(pending) - len(pending) % per_line
                for i in range(0, full, per_line):
                    dst.write(" ".join(pending[i:i + per_line]) + "\n")
                del pending[:full]
            if pending:
                dst.write(" ".join(pending) + "\n")
    os.replace(str(out) + ".tmp", out)
    return out


def run(name: str, corpus: Path, work: Path) -> dict:
    out = work / f"{name}.txt"
    table = work / f"{name}.phrases"
    if name in ("w2v", "w2v-npmi"):
        scoring = ["--scoring", "npmi", "--threshold", "0.5"] if name == "w2v-npmi" else []
        r = timed([sys.executable, "-m", "w2v.phrases", str(corpus), "--out", str(table), "--text-out", str(out),
                   "--quiet", *scoring])
        r["phrases"] = sum(1 for line in table.open() if not line.startswith("#"))
    elif name == "w2v-2step":
        a = timed([sys.executable, "-m", "w2v.phrases", str(corpus), "--out", str(table), "--quiet"])
        b = timed([sys.executable, "-m", "w2v.phrases", "apply", str(table), str(corpus), "--out", str(out),
                   "--quiet"])
        r = {"wall_s": a["wall_s"] + b["wall_s"], "learn_s": a["wall_s"], "apply_s": b["wall_s"],
             "cpu_s": round(a["cpu_s"] + b["cpu_s"], 2),
             "peak_gib": max(a["peak_gib"], b["peak_gib"])}
    elif name == "c":
        binary = shutil.which("word2phrase")
        if binary is None:
            raise RuntimeError("word2phrase not found (pip install word2vec==0.11.1)")
        link = work / "in.txt"  # word2phrase keeps file names of at most 60 bytes: relative names
        link.unlink(missing_ok=True)
        link.symlink_to(corpus.resolve())
        r = timed([binary, "-train", "in.txt", "-output", out.name, "-min-count", "5", "-threshold", "100",
                   "-debug", "0"], cwd=work)
    elif name == "gensim":
        r = timed([sys.executable, "-c", GENSIM_CHILD, str(corpus), str(out), "npmi", "0.5"])
        r.update(json.loads(r["stdout"].strip().splitlines()[-1]))
    else:
        raise ValueError(name)
    r.pop("stdout", None)
    r["output"] = str(out)
    return r


def same_tokens(a: Path, b: Path) -> tuple[int, int]:
    """(lines of ``a``, lines whose tokens differ in ``b``)."""
    n = diff = 0
    with open(a) as fa, open(b) as fb:
        for la, lb in zip(fa, fb):
            n += 1
            diff += la.split() != lb.split()
    return n, diff


def evaluate(model: Path) -> dict:
    out = {}
    for name, restrict in (("phrases", "0"), ("google", "30000")):
        proc = subprocess.run([sys.executable, "-m", "w2v.evaluate", str(model), "--analogy", name, "--restrict",
                               restrict, "--method", "add", "--json", "-", "--quiet"], capture_output=True, text=True,
                              env=ENV, check=True)
        res = json.loads(proc.stdout)["analogy"][name]["add"]
        out[name] = {"accuracy": res["accuracy"], "correct": res["correct"], "answered": res["answered"],
                     "coverage": res["coverage"]}
    return out


def words_only(model: Path):
    """The model's table without its phrase rows (tokens holding the delimiter: text8like has none of its
    own), in the same order: "the 30,000 most frequent words" of a phrased model for word analogies."""
    from w2v.vectors import Vectors

    vec = Vectors.load(model)
    keep = [i for i, w in enumerate(vec.words) if "_" not in w]
    return Vectors(vec.matrix[keep], [vec.words[i] for i in keep], vec.counts[keep])


def word_analogies(models: dict[str, Path], work: Path, restrict: int = 30000) -> dict[str, dict]:
    """Google analogies (3CosAdd) of each model three ways: the first ``restrict`` rows (phrase rows
    included, as ``w2v.evaluate --restrict`` counts them), the first ``restrict`` words (phrase rows
    left out), and the words-only scoring on the questions every model answers (same questions)."""
    from w2v.evaluate import bundled, evaluate_analogies, read_analogies
    from w2v.vectors import Vectors

    google = bundled("questions-words.txt")
    tables = {name: (Vectors.load(m), words_only(m)) for name, m in models.items()}
    out: dict[str, dict] = {name: {} for name in models}
    for name, (rows, words) in tables.items():
        for label, vec in (("rows", rows), ("words", words)):
            r = evaluate_analogies(vec, google, restrict=restrict)
            out[name][label] = {k: r[k] for k in ("accuracy", "correct", "answered", "coverage")}
            out[name][label]["semantic"] = r["semantic"]["accuracy"]
            out[name][label]["syntactic"] = r["syntactic"]["accuracy"]
    known = [{w.upper() for w in words.words[:restrict]} for _, words in tables.values()]
    common = work / "common-questions.txt"
    with open(common, "w") as fh:
        for section, questions in read_analogies(google):
            fh.write(f": {section}\n")
            for q in questions:
                if all(all(w.upper() in k for w in q) for k in known):
                    fh.write(" ".join(q) + "\n")
    for name, (_, words) in tables.items():
        r = evaluate_analogies(words, common, restrict=restrict)
        out[name]["same_questions"] = {k: r[k] for k in ("accuracy", "correct", "answered")}
    return out


def quality(corpus: Path, work: Path, threads: int, seeds: list[int]) -> list[dict]:
    """Two-pass phrases (w2v, gensim) then skip-gram, vs no phrases, for each training seed: analogy
    accuracy and coverage (gensim's pipeline with the first seed only)."""
    results = []
    table = work / "q.phrases"
    t = timed([sys.executable, "-m", "w2v.phrases", str(corpus), "--out", str(table), "--threshold", "200,100",
               "--quiet"])
    print(json.dumps({"phrases_w2v_learn_s": t["wall_s"]}), flush=True)
    gensim_text = work / "gensim-phrased.txt"
    g = timed([sys.executable, "-c", GENSIM_CHILD, str(corpus), str(gensim_text), "default", "200,100"])
    print(json.dumps({"phrases_gensim_s": g["wall_s"], **json.loads(g["stdout"].strip().splitlines()[-1])}),
          flush=True)
    for seed in seeds:
        runs = [("none", corpus, []), ("w2v", corpus, ["--phrases", str(table)])]
        if seed == seeds[0]:
            runs.append(("gensim", gensim_text, []))
        models = {}
        for name, text, extra in runs:
            model = models[name] = work / f"model-{name}-s{seed}"
            shutil.rmtree(model, ignore_errors=True)
            r = timed([sys.executable, "-m", "w2v.train", str(text), "--out", str(model), "--threads", str(threads),
                       "--seed", str(seed), "--quiet", *extra])
            info = json.loads((model / "config.json").read_text())
            res = {"phrases": name, "seed": seed, "train_wall_s": r["wall_s"],
                   "vocab": info["corpus_stats"]["vocab_size"],
                   "phrase_words": sum("_" in w for w in (model / "vocab.txt").read_text().split("\n")),
                   **evaluate(model), "load": round(os.getloadavg()[0], 2)}
            results.append(res)
        three = word_analogies(models, work)
        for res in results[-len(runs):]:
            res["google_three_ways"] = three[res["phrases"]]
            print(json.dumps(res), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = parser("benchmarks/phrases.py", "w2v.phrases vs word2phrase vs gensim Phrases: learn + apply, same run.")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus file")
    p.add_argument("--sizes", default="1,4", help="comma list of copies of the corpus")
    p.add_argument("--runs", default="w2v,w2v-2step,w2v-npmi,c,gensim", help="comma-separated runs")
    p.add_argument("--work", type=Path, default=Path("/tmp/w2v-bench-phrases"), help="scratch directory")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    p.add_argument("--repeats", type=int, default=1,
                   help="rounds of all runs, each round's order rotated; the ratios use each run's fastest (on a VM "
                        "the first touch of memory another process just freed can cost a run a second)")
    p.add_argument("--quality", action="store_true", help="phrases then skip-gram: analogies with and without")
    p.add_argument("--threads", type=int, default=2, help="training threads (--quality)")
    p.add_argument("--seeds", default="1", help="comma list of training seeds (--quality)")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.quality:
        results = quality(args.corpus, args.work, args.threads, [int(x) for x in args.seeds.split(",")])
        if args.json:
            args.json.write_text(json.dumps(results, indent=1) + "\n")
        return 0
    results = []
    for copies in [int(x) for x in args.sizes.split(",")]:
        corpus = prepare(args.corpus, args.work, copies)
        work = args.work / f"x{copies}"
        work.mkdir(exist_ok=True)
        by_name: dict[str, dict] = {}
        names = args.runs.split(",")
        for repeat in range(args.repeats):  # rounds over all runs, each round in another order (rotated):
            for name in names[repeat % len(names):] + names[:repeat % len(names)]:  # no run always follows another
                load = os.getloadavg()[0]
                t0 = time.time()
                try:
                    r = run(name, corpus, work)
                except RuntimeError as exc:
                    print(f"x{copies} {name}: FAILED {exc}", file=sys.stderr)
                    continue
                r.update(name=name, copies=copies, repeat=repeat + 1, load_before=round(load, 2),
                         started=time.strftime("%H:%M:%S", time.gmtime(t0)))
                if name not in by_name or r["wall_s"] < by_name[name]["wall_s"]:
                    by_name[name] = r
                results.append(r)
                print(json.dumps(r), flush=True)
        if args.repeats > 1:
            print(f"x{copies} fastest of {args.repeats} rounds: " + ", ".join(
                f"{n} {r['wall_s']:.2f} s (CPU {r['cpu_s']:.2f})" for n, r in by_name.items()), flush=True)
        for a, b in (("w2v-npmi", "gensim"), ("w2v", "c"), ("w2v", "w2v-2step")):
            if a in by_name and b in by_name:
                n, d = same_tokens(Path(by_name[a]["output"]), Path(by_name[b]["output"]))
                print(f"x{copies} {a} vs {b}: {d} of {n:,} lines differ", flush=True)
                by_name[a][f"lines_differ_from_{b}"] = d
        for a, b in (("w2v", "c"), ("w2v", "gensim"), ("w2v-npmi", "gensim")):
            if a in by_name and b in by_name:
                print(f"x{copies} {b} / {a} wall time: {by_name[b]['wall_s'] / by_name[a]['wall_s']:.1f}x, CPU time: "
                      f"{by_name[b]['cpu_s'] / by_name[a]['cpu_s']:.1f}x", flush=True)
        for r in by_name.values():
            Path(r["output"]).unlink(missing_ok=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    run_cli(main)
