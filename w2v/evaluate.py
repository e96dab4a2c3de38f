"""Score an embedding table on word-analogy and word-similarity benchmarks.

* Analogies (Google format: ``: section`` headers, then ``a b c d`` lines meaning "a is to b as c is
  to d"): accuracy per section, semantic (sections not starting with ``gram``) / syntactic / overall,
  with 3CosAdd and 3CosMul. Only the ``restrict`` most frequent words are used; a question with a word
  outside them is *skipped* and reported (coverage), as gensim's ``evaluate_word_analogies`` does.
* Word similarity (``w1 w2 score`` lines, tab or space separated): Spearman's ρ (and Pearson's r)
  between human scores and cosines, over the pairs whose words are both known.

The numbers equal gensim's ``evaluate_word_analogies(restrict_vocab=N)`` and ``evaluate_word_pairs``
on the same vectors: words are matched upper-cased against the first ``restrict`` words (the most
frequent case variant wins), the question words and their case variants are never answers, and
near-ties of the fast batched scoring are re-decided in gensim's arithmetic order (exact ties go to
the more frequent word).

Bundled sets (see ``w2v/data/README.md``): ``google`` (questions-words.txt), ``ws353``,
``ws353_sim``, ``ws353_rel`` (WordSim-353 and its splits) and ``rg65``; ``phrases`` (word2vec's
questions-phrases.txt, for tables trained on phrased text) runs when named: ``--analogy phrases``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from .cli import add_json, add_quiet, check_json_target, parser, run_cli, write_json
from .errors import W2VError
from .formats import load
from .outdir import to_json
from .safety import check_regular
from .vectors import COSMUL_EPS, Vectors

ANALOGY_SETS = {"google": "questions-words.txt"}
#: Bundled sets run only when named (``--analogy phrases``): word2vec's phrase analogies (3,218 questions).
NAMED_ANALOGY_SETS = {**ANALOGY_SETS, "phrases": "questions-phrases.txt"}
SIMILARITY_SETS = {
    "ws353": "EN-WS-353-ALL.txt",
    "ws353_sim": "EN-WS-353-SIM.txt",
    "ws353_rel": "EN-WS-353-REL.txt",
    "rg65": "EN-RG-65.txt",
}
METHODS = ("add", "mul")
#: Questions whose best and second-best fast scores differ by less than this are re-scored exactly as
#: gensim computes them, so that float rounding never flips an answer relative to gensim.
TIE_TOLERANCE = 1e-4

PathLike = str | os.PathLike


# -- input files ----------------------------------------------------------------------------------------


def bundled(name: str):
    """Path-like handle (``importlib.resources``) of a bundled evaluation file, e.g. ``"EN-RG-65.txt"``."""
    return resources.files("w2v").joinpath("data", name)


def _read_lines(path) -> list[str]:
    if isinstance(path, (str, os.PathLike)):  # a FIFO or device would block or feed the reader forever
        check_regular(path, "an evaluation file")
    try:
        data = path.read_bytes() if hasattr(path, "read_bytes") else Path(path).read_bytes()
    except FileNotFoundError:
        raise W2VError(f"evaluation file not found: {path}") from None
    except IsADirectoryError:
        raise W2VError(f"{path} is a directory, expected an evaluation file") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise W2VError(f"{path}: not UTF-8 (byte offset {exc.start}); convert it with iconv") from None
    return text.splitlines()


def read_analogies(path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Parse a Google-format analogy file into ``[(section, [(a, b, c, d), ...]), ...]``.

    Blank lines are ignored; a line that is not a ``: section`` header nor four words, or a question
    before the first header, raises :class:`W2VError` naming the line.
    """
    sections: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for lineno, line in enumerate(_read_lines(path), 1):
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
            continue
        words = line.split()
        if not words:
            continue
        if len(words) != 4:
            raise W2VError(f"{path}, line {lineno}: expected 4 words ('a b c d') or ': section', got {line.strip()!r}")
        if not sections:
            raise W2VError(f"{path}, line {lineno}: question before the first ': section' header")
        sections[-1][1].append(tuple(words))
    if not any(qs for _, qs in sections):
        raise W2VError(f"{path}: no analogy questions found (expected ': section' headers and 'a b c d' lines)")
    return sections


def read_pairs(path) -> list[tuple[str, str, float]]:
    """Parse a word-pair similarity file into ``[(w1, w2, score), ...]``.

    Fields are tab separated (or whitespace separated when a line has no tab); CRLF line ends,
    blank lines, ``#`` comments and a header line (first line whose score is not a number) are
    accepted. Any other malformed line raises :class:`W2VError` naming it, a score that is not a
    finite number (``nan``, ``inf``) included: it would make every correlation NaN.
    """
    pairs: list[tuple[str, str, float]] = []
    seen_data = False
    for lineno, line in enumerate(_read_lines(path), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in (line.split("\t") if "\t" in line else line.split())]
        try:
            if len(fields) != 3 or not fields[0] or not fields[1]:
                raise ValueError
            score = float(fields[2])
        except ValueError:
            if not seen_data and not _is_float(fields[-1]):
                seen_data = True  # a header line
                continue
            raise W2VError(
                f"{path}, line {lineno}: expected 'word1<TAB>word2<TAB>score', got {line.strip()!r}"
            ) from None
        if not math.isfinite(score):
            raise W2VError(f"{path}, line {lineno}: score {fields[2]!r} is not a finite number, got {line.strip()!r}")
        seen_data = True
        pairs.append((fields[0], fields[1], score))
    if not pairs:
        raise W2VError(f"{path}: no word pairs found (expected 'word1<TAB>word2<TAB>score' lines)")
    return pairs


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _restricted_vocab(vec: Vectors, restrict: int | None, case_insensitive: bool) -> tuple[dict[str, int], np.ndarray]:
    """Map folded word → first row among the first ``restrict`` rows, and each row's representative row."""
    n = len(vec) if restrict is None else max(0, min(int(restrict), len(vec)))
    ok: dict[str, int] = {}
    rep = np.empty(n, dtype=np.int64)
    for i, w in enumerate(vec.words[:n]):
        rep[i] = ok.setdefault(w.upper() if case_insensitive else w, i)
    return ok, rep


# -- analogies --------------------------------------------------------------------------------------------


def _acc(correct: int, answered: int) -> float:
    return float(correct) / float(answered) if answered else math.nan


def _summary(correct: int, answered: int, skipped: int) -> dict:
    return {
        "accuracy": _acc(correct, answered),
        "correct": int(correct),
        "answered": int(answered),
        "skipped": int(skipped),
        "coverage": _acc(answered, answered + skipped),
    }


def _gensim_order_best(vec: Vectors, n: int, a: int, b: int, c: int, exclude: np.ndarray, method: str) -> int:
    """Best answer computed with gensim's exact float operations (used only to settle near-ties)."""
    from scipy.linalg.blas import dnrm2

    raw, norms = vec.matrix[:n], vec.norms[:n]
    unit = [vec.matrix[i] / vec.norms[i] for i in (b, c, a)]
    if method == "add":
        mean = np.zeros(vec.dim, dtype=np.float32)
        for weight, u in zip(np.array([1.0, 1.0, -1.0]), unit):
            mean += weight * u
        mean = mean / np.float64(3.0)
        length = dnrm2(mean)
        if length > 0:
            mean = mean * (1.0 / length)
        scores = np.dot(raw, mean.astype(np.float32)) / norms
    else:
        pos = [(1 + np.dot(raw, u) / norms) / 2 for u in unit[:2]]
        neg = [(1 + np.dot(raw, unit[2]) / norms) / 2]
        scores = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + COSMUL_EPS)
    scores = np.array(scores, dtype=np.float64)
    ex = exclude[(exclude >= 0) & (exclude < n)]
    scores[ex] = -np.inf
    return int(np.argmax(scores)) if np.isfinite(scores).any() else -1


def _analogy_results(
    vec: Vectors, path, restrict: int | None, case_insensitive: bool, methods: Sequence[str]
) -> dict[str, dict]:
    for m in methods:
        if m not in METHODS:
            raise W2VError(f"unknown analogy method {m!r}; use one of {', '.join(METHODS)}")
    sections = read_analogies(path)
    ok, rep = _restricted_vocab(vec, restrict, case_insensitive)
    n = len(rep)
    # Rows sharing a folded form with an earlier row ("Paris" after "paris") are case variants;
    # a variant of a question word is never an acceptable answer (as in gensim).
    variants: dict[int, list[int]] = {}
    for i in np.flatnonzero(rep != np.arange(n)):
        variants.setdefault(int(rep[i]), [int(rep[i])]).append(int(i))

    quads, sec_of, skipped = [], [], np.zeros(len(sections), dtype=np.int64)
    for s, (_, questions) in enumerate(sections):
        for q in questions:
            rows = [ok.get(w.upper() if case_insensitive else w) for w in q]
            if None in rows:
                skipped[s] += 1
            else:
                quads.append(rows)
                sec_of.append(s)
    quads_arr = np.array(quads, dtype=np.int64).reshape(-1, 4)
    sec_arr = np.array(sec_of, dtype=np.int64)
    a, b, c, d = quads_arr.T
    if variants:
        lists = [sum((variants.get(int(r), [int(r)]) for r in row[:3]), []) for row in quads_arr]
        width = max(len(x) for x in lists)
        exclude = np.array([x + [-1] * (width - len(x)) for x in lists], dtype=np.int64).reshape(-1, width)
    else:
        exclude = quads_arr[:, :3]

    results = {}
    for method in methods:
        best = np.full(len(a), -1, dtype=np.int64)
        if len(a) and n:
            best, margin = vec.analogy_batch(a, b, c, method=method, restrict=n, exclude=exclude)
            for i in np.flatnonzero(margin < TIE_TOLERANCE):
                best[i] = _gensim_order_best(vec, n, a[i], b[i], c[i], exclude[i], method)
        hit = (best >= 0) & (rep[np.maximum(best, 0)] == d) if n else np.zeros(len(a), dtype=bool)
        correct = np.bincount(sec_arr, weights=hit, minlength=len(sections)).astype(np.int64)
        answered = np.bincount(sec_arr, minlength=len(sections)).astype(np.int64)
        semantic = np.array([not name.startswith("gram") for name, _ in sections])
        results[method] = {
            "file": str(path),
            "method": method,
            "restrict": n,
            "case_insensitive": case_insensitive,
            **_summary(correct.sum(), answered.sum(), skipped.sum()),
            "questions": int(answered.sum() + skipped.sum()),
            "semantic": _summary(correct[semantic].sum(), answered[semantic].sum(), skipped[semantic].sum()),
            "syntactic": _summary(correct[~semantic].sum(), answered[~semantic].sum(), skipped[~semantic].sum()),
            "sections": [
                {"section": name, **_summary(correct[s], answered[s], skipped[s])}
                for s, (name, _) in enumerate(sections)
            ],
        }
    return results


def evaluate_analogies(
    vectors: Vectors | PathLike,
    path,
    restrict: int | None = 30000,
    case_insensitive: bool = True,
    method: str = "add",
) -> dict:
    """Accuracy on a Google-format analogy file ("a is to b as c is to d": is d the best answer?).

    Parameters
    ----------
    vectors : Vectors or path
        The table, or a model directory / word2vec / GloVe file to load.
    path : path
        Analogy file (``: section`` headers, ``a b c d`` lines), e.g. ``bundled("questions-words.txt")``.
    restrict : int or None
        Use only the first *N* (most frequent) words, for the questions and the answers.
    case_insensitive : bool
        Match words upper-cased; the most frequent case variant represents a word.
    method : {"add", "mul"}
        3CosAdd (``b - a + c``) or 3CosMul (Levy & Goldberg 2014).

    Returns
    -------
    dict
        ``accuracy`` (fraction of answered questions, NaN if none), ``correct``, ``answered``,
        ``skipped`` (questions with a word outside the restricted vocabulary), ``questions``,
        ``coverage``, ``semantic`` and ``syntactic`` (same keys), and ``sections`` (a list of
        per-section dicts with a ``section`` name).
    """
    return _analogy_results(load(vectors), path, restrict, case_insensitive, [method])[method]


# -- word similarity ----------------------------------------------------------------------------------------


def evaluate_similarity(
    vectors: Vectors | PathLike, path, case_insensitive: bool = True, restrict: int | None = 300000
) -> dict:
    """Correlation between human similarity scores and cosine similarities of word pairs.

    Pairs with a word outside the first ``restrict`` words are skipped and counted (gensim's
    ``evaluate_word_pairs`` default is 300,000).

    Returns
    -------
    dict
        ``spearman`` (ρ), ``pearson`` (r), ``n`` (pairs scored), ``skipped``, ``coverage``
        (``n / (n + skipped)``) and ``file``. Correlations are NaN with fewer than two pairs.
    """
    from scipy import stats

    vec = load(vectors)
    pairs = read_pairs(path)
    ok, _ = _restricted_vocab(vec, restrict, case_insensitive)
    gold, rows = [], []
    for w1, w2, score in pairs:
        r1 = ok.get(w1.upper() if case_insensitive else w1)
        r2 = ok.get(w2.upper() if case_insensitive else w2)
        if r1 is not None and r2 is not None:
            gold.append(score)
            rows.append((r1, r2))
    n = len(gold)
    spearman = pearson = math.nan
    if n >= 2:
        idx = np.array(rows, dtype=np.int64)
        unit = vec.unit
        model = np.einsum("ij,ij->i", unit[idx[:, 0]].astype(np.float64), unit[idx[:, 1]].astype(np.float64))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant input: NaN is the honest answer
            spearman = float(stats.spearmanr(gold, model)[0])
            pearson = float(stats.pearsonr(gold, model)[0])
    return {
        "file": str(path),
        "spearman": spearman,
        "pearson": pearson,
        "n": n,
        "skipped": len(pairs) - n,
        "coverage": n / len(pairs),
    }


# -- everything bundled ---------------------------------------------------------------------------------------


def evaluate_sets(vectors: Vectors | PathLike, analogy: dict | None = None, similarity: dict | None = None,
                  restrict: int | None = 30000, case_insensitive: bool = True, methods=METHODS) -> dict:
    """Full results on named benchmark files, ``{name: path}`` each (both ``None``: every bundled set):
    ``{"analogy": {name: {method: dict}}, "similarity": {name: dict}}``."""
    vec = load(vectors)
    if analogy is None and similarity is None:
        analogy = {name: bundled(f) for name, f in ANALOGY_SETS.items()}
        similarity = {name: bundled(f) for name, f in SIMILARITY_SETS.items()}
    return {
        "analogy": {name: _analogy_results(vec, f, restrict, case_insensitive, methods)
                    for name, f in (analogy or {}).items()},
        "similarity": {name: evaluate_similarity(vec, f, case_insensitive) for name, f in (similarity or {}).items()},
    }


def undefined_scores(results: dict) -> list[str]:
    """One line for each score of ``results`` (:func:`evaluate_sets`) that is NaN because too few items were
    covered by the model: the printed ``nan`` is then no measurement, and the line says why."""
    lines = []
    for r in results.get("similarity", {}).values():
        if r["n"] < 2:
            lines.append(f"{r['file']}: only {r['n']} of {r['n'] + r['skipped']} pairs have both words in the model; "
                         "the correlations are undefined (nan)")
        elif not math.isfinite(r["spearman"]):
            lines.append(f"{r['file']}: the gold scores or the model's similarities are constant over the {r['n']} "
                         "covered pairs (zero vectors?); the correlations are undefined (nan)")
    for name, by_method in results.get("analogy", {}).items():
        first = next(iter(by_method.values()), {})
        if first and first.get("answered", 1) == 0:
            lines.append(f"{name}: no analogy question has all four words in the model's vocabulary (or "
                         "--restrict); the accuracy is undefined (nan)")
    return lines


def evaluate_bundled(vectors: Vectors | PathLike, restrict: int | None = 30000, methods=METHODS) -> dict:
    """Full results on every bundled set (see :func:`evaluate_sets`)."""
    return evaluate_sets(vectors, restrict=restrict, methods=methods)


def flatten(results: dict) -> dict[str, float]:
    """One flat ``{name: number}`` dict from :func:`evaluate_bundled`-shaped results."""
    flat: dict[str, float] = {}
    for name, by_method in results.get("analogy", {}).items():
        for method, res in by_method.items():
            flat[f"{name}_{method}"] = res["accuracy"]
            flat[f"{name}_semantic_{method}"] = res["semantic"]["accuracy"]
            flat[f"{name}_syntactic_{method}"] = res["syntactic"]["accuracy"]
        flat[f"{name}_coverage"] = next(iter(by_method.values()))["coverage"]
    for name, res in results.get("similarity", {}).items():
        flat[name] = res["spearman"]
    for name, res in results.get("similarity", {}).items():
        flat[f"{name}_coverage"] = res["coverage"]
    return flat


def evaluate_all(vectors: Vectors | PathLike, restrict: int | None = 30000) -> dict[str, float]:
    """Run every bundled benchmark; return a flat dict of scores.

    Keys: ``google_add``, ``google_semantic_add``, ``google_syntactic_add`` (and ``_mul``),
    ``google_coverage`` (accuracies as fractions 0..1), ``ws353``, ``ws353_sim``, ``ws353_rel``,
    ``rg65`` (Spearman ρ) and ``<set>_coverage`` for each similarity set.
    """
    return flatten(evaluate_bundled(vectors, restrict))


# -- command line -------------------------------------------------------------------------------------------


def _fmt_table(results: dict, sections: bool = False) -> str:
    lines = [f"{'benchmark':<34}{'method':<10}{'score':>8}{'answered':>17}{'coverage':>10}"]
    for name, by_method in results["analogy"].items():
        for method, res in by_method.items():
            label = "3CosAdd" if method == "add" else "3CosMul"
            for part, r in (("", res), ("  semantic", res["semantic"]), ("  syntactic", res["syntactic"])):
                total = r["answered"] + r["skipped"]
                lines.append(
                    f"{(name if not part else part):<34}{label:<10}{r['accuracy'] * 100:>7.2f}%"
                    f"{r['correct']:>8}/{r['answered']:<8}{r['coverage'] * 100 if total else math.nan:>9.1f}%"
                )
            for s in res["sections"] if sections else []:
                lines.append(
                    f"{'    ' + s['section']:<34}{label:<10}{s['accuracy'] * 100:>7.2f}%"
                    f"{s['correct']:>8}/{s['answered']:<8}{s['coverage'] * 100:>9.1f}%"
                )
    for name, res in results["similarity"].items():
        lines.append(
            f"{name:<34}{'spearman':<10}{res['spearman']:>8.4f}{res['n']:>8}/{res['n'] + res['skipped']:<8}"
            f"{res['coverage'] * 100:>9.1f}%"
        )
    return "\n".join(lines)


def _analogy_file(name: str) -> tuple[str, object]:
    """``(label, file)`` of an ``--analogy`` value: a file, or the name of a bundled set (``phrases``)."""
    if not Path(name).exists() and name in NAMED_ANALOGY_SETS:
        return name, bundled(NAMED_ANALOGY_SETS[name])
    return Path(name).stem, name


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.evaluate", "Score word vectors on analogy (Google format) and word-similarity benchmarks. "
               "Without --analogy/--similarity, runs every bundled set (Google analogies, WordSim-353 "
               "all/sim/rel, RG-65). Numbers equal gensim's evaluate_word_analogies / evaluate_word_pairs.")
    p.add_argument("model", help="w2v output directory, or a word2vec (.txt/.bin) or GloVe text file")
    p.add_argument("--analogy", action="append", default=[], metavar="FILE",
                   help="analogy file, or a bundled set by name: google, phrases (word2vec's 3,218 phrase "
                   "analogies such as Boston Boston_Globe Chicago Chicago_Tribune) (repeatable)")
    p.add_argument("--similarity", action="append", default=[], metavar="FILE", help="word-pair file (repeatable)")
    p.add_argument("--restrict", type=int, default=30000,
                   help="use only the N most frequent words for analogies (0 = all)")
    p.add_argument("--method", choices=["add", "mul", "both"], default="both", help="analogy method")
    p.add_argument("--case-sensitive", action="store_true", help="match words exactly instead of upper-cased")
    p.add_argument("--sections", action="store_true", help="also print accuracy per analogy section")
    add_json(p, "the full results")
    add_quiet(p, "no progress or timing messages on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_json_target(args, {"MODEL": args.model, **{f"--analogy {f}": f for f in args.analogy},
                             **{f"--similarity {f}": f for f in args.similarity}})
    if args.restrict < 0:
        raise W2VError(f"--restrict must be >= 0, got {args.restrict}")
    restrict = args.restrict or None
    methods = list(METHODS) if args.method == "both" else [args.method]
    t0 = time.perf_counter()
    vec = load(args.model)
    if not args.quiet:
        print(f"loaded {len(vec)} words x {vec.dim} dims in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    t1 = time.perf_counter()
    given = bool(args.analogy or args.similarity)
    results = {"model": str(args.model), **evaluate_sets(
        vec, dict(_analogy_file(f) for f in args.analogy) if given else None,
        {Path(f).stem: f for f in args.similarity} if given else None,
        restrict, not args.case_sensitive, methods)}
    results["summary"] = flatten(results)
    for line in undefined_scores(results):
        print(f"warning: {line}", file=sys.stderr)
    if not args.quiet:
        print(f"evaluated in {time.perf_counter() - t1:.2f} s", file=sys.stderr)
    text = to_json(results)
    print(text if write_json(args, text) else _fmt_table(results, args.sections))
    return 0


if __name__ == "__main__":
    run_cli(main)
