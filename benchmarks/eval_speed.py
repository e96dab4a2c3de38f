"""Time the full Google-analogy evaluation of w2v against gensim's on the same vectors, in one run.

    flock /tmp/w2v-heavy.lock python benchmarks/eval_speed.py [MODEL_DIR] [--repeat 3]

MODEL_DIR is a w2v output directory (default: /work/models/text8like-sgns). Both evaluators use
restrict 30,000 and case-insensitive matching (3CosAdd). Also checks that both report the same
numbers, times w2v's 3CosMul and the similarity sets, and repeats the comparison with BLAS limited
to one thread. gensim is a benchmark-only dependency.
"""

from __future__ import annotations

import logging
import platform
import time
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors
from threadpoolctl import threadpool_info, threadpool_limits

from w2v.cli import parser, run_cli
from w2v.errors import W2VError
from w2v.evaluate import bundled, evaluate_analogies, evaluate_similarity
from w2v.vectors import Vectors

QUESTIONS = bundled("questions-words.txt")
RESTRICT = 30000


def time_w2v(model: Path, repeat: int, method: str = "add") -> tuple[float, dict]:
    """Best wall time of evaluate_analogies on a freshly loaded table (normalization included)."""
    best, res = np.inf, None
    for _ in range(repeat):
        vec = Vectors.load(model)
        t = time.perf_counter()
        res = evaluate_analogies(vec, QUESTIONS, restrict=RESTRICT, method=method)
        best = min(best, time.perf_counter() - t)
    return best, res


def time_gensim(vec: Vectors, repeat: int) -> tuple[float, float, list]:
    best, out = np.inf, None
    for _ in range(repeat):
        kv = KeyedVectors(vec.dim)
        kv.add_vectors(vec.words, vec.matrix)
        t = time.perf_counter()
        out = kv.evaluate_word_analogies(str(QUESTIONS), restrict_vocab=RESTRICT)
        best = min(best, time.perf_counter() - t)
    return best, out[0], out[1]


def compare(model: Path, repeat: int, gensim_repeat: int, label: str) -> None:
    vec = Vectors.load(model)
    t_w2v, ours = time_w2v(model, repeat)
    t_gensim, score, sections = time_gensim(vec, gensim_repeat)
    same = ours["accuracy"] == score and [s["correct"] for s in ours["sections"]] == [
        len(s["correct"]) for s in sections[:-1]
    ]
    print(f"[{label}] w2v 3CosAdd:    {t_w2v:8.3f} s  accuracy {ours['accuracy']:.6f} "
          f"({ours['correct']}/{ours['answered']}, {ours['skipped']} skipped)")
    print(f"[{label}] gensim:         {t_gensim:8.3f} s  accuracy {score:.6f}")
    print(f"[{label}] speed-up:       {t_gensim / t_w2v:8.1f} x   identical numbers: {same}")


def main(argv: list[str] | None = None) -> int:
    p = parser("benchmarks/eval_speed.py", __doc__)
    p.add_argument("model", nargs="?", default="/work/models/text8like-sgns", help="w2v output directory")
    p.add_argument("--repeat", type=int, default=3, help="w2v repetitions (best is kept)")
    p.add_argument("--gensim-repeat", type=int, default=1, help="gensim repetitions (best is kept)")
    p.add_argument("--no-single-thread", action="store_true", help="skip the 1-thread comparison")
    args = p.parse_args(argv)
    logging.disable(logging.INFO)
    model = Path(args.model)
    if not (model / "embeddings.npy").is_file():
        raise W2VError(f"{model} is not a w2v output directory (train one with python -m w2v.train)")
    vec = Vectors.load(model)
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info())
    print(f"model {model}: {len(vec)} words x {vec.dim} dims; restrict {RESTRICT}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, BLAS: {blas}")
    compare(model, args.repeat, args.gensim_repeat, "all threads")
    t_mul, mul = time_w2v(model, args.repeat, "mul")
    print(f"[all threads] w2v 3CosMul:    {t_mul:8.3f} s  accuracy {mul['accuracy']:.6f}")
    t = time.perf_counter()
    sims = {name: evaluate_similarity(vec, bundled(f))["spearman"] for name, f in (
        ("ws353", "EN-WS-353-ALL.txt"), ("ws353_sim", "EN-WS-353-SIM.txt"),
        ("ws353_rel", "EN-WS-353-REL.txt"), ("rg65", "EN-RG-65.txt"))}
    print(f"[all threads] similarity sets: {time.perf_counter() - t:7.3f} s  "
          + " ".join(f"{k} {v:.4f}" for k, v in sims.items()))
    if not args.no_single_thread:
        with threadpool_limits(1):
            compare(model, args.repeat, args.gensim_repeat, "1 thread")


if __name__ == "__main__":
    run_cli(main)
