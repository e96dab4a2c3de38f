"""Analogy and similarity evaluation: parsing, and numbers equal to gensim's on the same vectors."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from gensim.models import KeyedVectors

from w2v import evaluate as ev
from w2v.errors import W2VError
from w2v.outdir import save_model
from w2v.vectors import Vectors

# gensim warns on every most_similar_cosmul call (it calls its own deprecated init_sims).
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

QUESTIONS = ev.bundled("questions-words.txt")


def as_gensim(vec, n=None):
    kv = KeyedVectors(vec.dim)
    kv.add_vectors(vec.words[:n], vec.matrix[:n])
    return kv


def analogy_vectors(questions, dim=40, noise=0.9, seed=0):
    """Vectors that partly solve the analogies: within a section, b = a + offset (+ noise).

    The vocabulary also holds filler words, a less frequent capitalized variant of some question
    words ("paris" first, "Paris" later), and is shuffled so a restrict cuts some question words.
    """
    rng = np.random.default_rng(seed)
    vecs: dict[str, np.ndarray] = {}
    for _, qs in questions:
        offset = rng.standard_normal(dim)
        for q in qs:
            for x, y in ((q[0], q[1]), (q[2], q[3])):
                x, y = x.lower(), y.lower()
                vecs.setdefault(x, rng.standard_normal(dim))
                vecs.setdefault(y, vecs[x] + offset)
    words = list(vecs) + [f"filler{i}" for i in range(300)]
    rng.shuffle(words)
    rows = [vecs.get(w, rng.standard_normal(dim)) for w in words]
    variants = [w for w in words[:200] if w.isalpha()][:40]
    words += [w.capitalize() for w in variants]
    rows += [vecs[w] + 0.3 * rng.standard_normal(dim) for w in variants]
    matrix = np.array(rows) + noise * rng.standard_normal((len(rows), dim))
    return Vectors.from_arrays(matrix.astype(np.float32), words)


def subset_file(tmp_path, every):
    """Every ``every``-th question of the bundled file, with all section headers."""
    lines, k = [], 0
    for line in QUESTIONS.read_text().splitlines():
        if line.startswith(":"):
            lines.append(line)
        else:
            k += 1
            if k % every == 0:
                lines.append(line)
    path = tmp_path / f"questions-{every}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def gensim_cosmul_reference(vec, path, restrict):
    """gensim's evaluate_word_analogies loop, with most_similar_cosmul in place of most_similar."""
    kv = as_gensim(vec, restrict)  # gensim's cosmul has no restrict_vocab: give it the restricted table
    ok = {k.upper(): kv.get_index(k) for k in reversed(kv.index_to_key)}
    kv.key_to_index = ok
    per_section = {}
    for name, qs in ev.read_analogies(path):
        correct = answered = 0
        for q in qs:
            a, b, c, expected = (w.upper() for w in q)
            if not all(w in ok for w in (a, b, c, expected)):
                continue
            predicted = None
            for word, _ in kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5):
                predicted = word.upper()
                if predicted in ok and predicted not in {a, b, c}:
                    break
            correct += predicted == expected
            answered += 1
        per_section[name] = (correct, answered)
    return per_section


@pytest.fixture(scope="module")
def analogy_case(tmp_path_factory):
    path = subset_file(tmp_path_factory.mktemp("q"), every=6)
    vec = analogy_vectors(ev.read_analogies(QUESTIONS))
    return vec, path


def test_analogies_add_equal_gensim(analogy_case):
    vec, path = analogy_case
    restrict = 900
    ours = ev.evaluate_analogies(vec, path, restrict=restrict)
    score, sections = as_gensim(vec).evaluate_word_analogies(str(path), restrict_vocab=restrict)
    assert sections[-1]["section"] == "Total accuracy"
    theirs = {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]}
    assert {s["section"]: (s["correct"], s["answered"]) for s in ours["sections"]} == theirs
    assert ours["accuracy"] == score
    assert 0.2 < score < 0.9  # a meaningful mix of right and wrong answers
    assert ours["skipped"] > 0 and ours["questions"] == ours["answered"] + ours["skipped"]
    semantic = [v for k, v in theirs.items() if not k.startswith("gram")]
    assert ours["semantic"]["correct"] == sum(c for c, _ in semantic)
    assert ours["semantic"]["answered"] + ours["syntactic"]["answered"] == ours["answered"]


def test_analogies_mul_equal_gensim_cosmul(analogy_case):
    vec, path = analogy_case
    ours = ev.evaluate_analogies(vec, path, restrict=900, method="mul")
    ref = gensim_cosmul_reference(vec, path, 900)
    assert {s["section"]: (s["correct"], s["answered"]) for s in ours["sections"]} == ref
    assert ours["correct"] > 0


def test_case_variants_are_not_answers(tmp_path):
    # In "paris france rome italy" the row "Paris" (a case variant of the question word "paris") is the
    # nearest to france - paris + rome; like gensim, it must be skipped so that "italy" is answered.
    words = ["paris", "france", "rome", "italy", "Paris", "berlin"]
    m = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0.2, 1, 1], [0, 1, 1.05], [-1, 0.2, -0.3]], dtype=np.float32)
    vec = Vectors.from_arrays(m, words)
    path = tmp_path / "q.txt"
    path.write_text(": capital\nFrance Paris Italy Rome\nparis france rome italy\n")
    ours = ev.evaluate_analogies(vec, path)
    score, _ = as_gensim(vec).evaluate_word_analogies(str(path), restrict_vocab=30000)
    assert ours["accuracy"] == score == 1.0 and ours["answered"] == 2
    assert vec.analogy("paris", "france", "rome")[0][0] == "Paris"  # plain queries exclude only the rows asked
    sensitive = ev.evaluate_analogies(vec, path, case_insensitive=False)
    assert sensitive["skipped"] == 1 and sensitive["answered"] == 1


@pytest.mark.parametrize("name", sorted(ev.SIMILARITY_SETS))
def test_similarity_equals_gensim(name):
    path = ev.bundled(ev.SIMILARITY_SETS[name])
    pairs = ev.read_pairs(path)
    rng = np.random.default_rng(1)
    vocab = sorted({w.lower() for a, b, _ in pairs for w in (a, b)})
    vocab = [w for i, w in enumerate(vocab) if i % 11]  # some pairs out of vocabulary
    words = vocab + [w.upper() for w in vocab[:20]]  # case variants after the originals
    base = rng.standard_normal((len(vocab), 25))
    # random vectors: the check is that both compute the same numbers, pair by pair
    matrix = np.vstack([base, base[:20] + rng.standard_normal((20, 25))]).astype(np.float32)
    vec = Vectors.from_arrays(matrix, words)
    ours = ev.evaluate_similarity(vec, path)
    pearson, spearman, oov_ratio = as_gensim(vec).evaluate_word_pairs(str(path))
    assert ours["spearman"] == pytest.approx(spearman[0], abs=1e-12)
    assert ours["pearson"] == pytest.approx(pearson[0], abs=1e-6)
    assert ours["skipped"] / (ours["n"] + ours["skipped"]) * 100 == pytest.approx(oov_ratio)
    assert 0 < ours["skipped"] < len(pairs) and ours["n"] + ours["skipped"] == len(pairs)


def test_similarity_on_structured_vectors_correlates(tmp_path):
    # cos(w_i, v_i) is set from the gold score, so the correlation must be high.
    pairs = [(f"a{i}", f"b{i}", i / 4) for i in range(40)]
    rng = np.random.default_rng(2)
    words, rows = [], []
    for a, b, s in pairs:
        u = rng.standard_normal(8)
        u /= np.linalg.norm(u)
        noise = rng.standard_normal(8)
        noise -= noise @ u * u
        noise /= np.linalg.norm(noise)
        cos = s / 10
        words += [a, b]
        rows += [u, cos * u + math.sqrt(1 - cos**2) * noise]
    path = tmp_path / "p.tsv"
    path.write_text("# comment\r\nWord 1\tWord 2\tHuman\r\n" + "".join(f"{a} {b} {s}\r\n" for a, b, s in pairs))
    res = ev.evaluate_similarity(Vectors.from_arrays(np.array(rows), words), path)
    assert res["spearman"] == pytest.approx(1.0) and res["n"] == 40 and res["coverage"] == 1.0


@pytest.mark.parametrize("text, line", [("a\tb\t1\nc\td\tnan\n", 2), ("a\tb\tnan\nc\td\t1\n", 1),
                                        ("w1 w2 score\na b inf\n", 2), ("a b 1\nc d -Infinity\n", 2),
                                        ("a b 1\nc d 1e999\n", 2)])
def test_non_finite_score_is_an_error_naming_the_line(tmp_path, text, line):
    """A NaN or infinite score would make the correlation NaN (printed, exit 0): an error naming the line."""
    p = tmp_path / "pairs.txt"
    p.write_text(text)
    with pytest.raises(W2VError, match=f"line {line}: score .* not a finite number"):
        ev.read_pairs(p)


def test_cli_warns_when_no_item_is_covered(tmp_path):
    """A similarity file or analogy file none of whose words the model knows printed nan, exit 0, silently."""
    model = tmp_path / "m"
    save_model(model, np.eye(3, dtype=np.float32), ["a", "b", "c"], [3, 2, 1])
    pairs, quads = tmp_path / "p.txt", tmp_path / "q.txt"
    pairs.write_text("x\ty\t1\nz\tw\t2\na\tb\t3\n")
    quads.write_text(": s\nx y z w\n")
    r = subprocess.run([sys.executable, "-m", "w2v.evaluate", str(model), "--similarity", str(pairs), "--analogy",
                        str(quads), "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "only 1 of 3 pairs have both words in the model; the correlations are undefined" in r.stderr
    assert "q: no analogy question has all four words" in r.stderr
    save_model(model, np.array([[0, 0], [1, 0], [0, 1]], np.float32), ["a", "b", "c"], [3, 2, 1])  # a zero row
    pairs.write_text("a\tb\t1\nb\tc\t2\na\tc\t3\n")
    r = subprocess.run([sys.executable, "-m", "w2v.evaluate", str(model), "--similarity", str(pairs), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "constant over the 3 covered pairs" in r.stderr, r.stderr


def test_pair_and_question_file_errors(tmp_path):
    p = tmp_path / "f.txt"
    p.write_text("a\tb\t1\nc\td\tnot-a-number\n")
    with pytest.raises(W2VError, match="line 2"):
        ev.read_pairs(p)
    p.write_text("# only a comment\n")
    with pytest.raises(W2VError, match="no word pairs"):
        ev.read_pairs(p)
    p.write_text(": s\na b c d\na b c\n")
    with pytest.raises(W2VError, match="line 3: expected 4 words"):
        ev.read_analogies(p)
    p.write_text("a b c d\n")
    with pytest.raises(W2VError, match="before the first"):
        ev.read_analogies(p)
    with pytest.raises(W2VError, match="not found"):
        ev.read_analogies(tmp_path / "missing.txt")


def test_evaluate_all_on_model_dir(tmp_path, analogy_case):
    vec, _ = analogy_case
    save_model(tmp_path / "m", vec.matrix, vec.words, np.zeros(len(vec), dtype=np.int64), {})
    flat = ev.evaluate_all(tmp_path / "m")
    for key in ("google_add", "google_mul", "google_semantic_add", "google_syntactic_add", "ws353", "ws353_sim",
                "ws353_rel", "rg65", "google_coverage"):
        assert isinstance(flat[key], float)
    assert 0.2 < flat["google_add"] < 1 and flat["google_coverage"] > 0.9
    assert flat["google_add"] == ev.evaluate_analogies(vec, QUESTIONS)["accuracy"]


def test_no_coverage_gives_nan_not_zero():
    vec = Vectors.from_arrays(np.eye(3, dtype=np.float32), ["x", "y", "z"])
    res = ev.evaluate_analogies(vec, QUESTIONS)
    assert res["answered"] == 0 and res["skipped"] == 19544 and math.isnan(res["accuracy"])
    assert math.isnan(ev.evaluate_similarity(vec, ev.bundled("EN-RG-65.txt"))["spearman"])


def test_cli_table_json_and_errors(tmp_path, analogy_case, capsys):
    vec, path = analogy_case
    save_model(tmp_path / "m", vec.matrix, vec.words, np.zeros(len(vec), dtype=np.int64), {})
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("paris france 8\nrome italy 7\nparis italy 3\n")
    out = tmp_path / "res.json"
    args = [str(tmp_path / "m"), "--analogy", str(path), "--similarity", str(pairs), "--restrict", "900"]
    assert ev.main(args + ["--quiet", "--output", str(out), "--sections"]) == 0
    table = capsys.readouterr().out
    assert "3CosAdd" in table and "3CosMul" in table and "capital-world" in table and "pairs" in table
    saved = json.loads(out.read_text())
    assert saved["summary"][f"{path.stem}_add"] == ev.evaluate_analogies(vec, path, restrict=900)["accuracy"]
    assert ev.main(args + ["--json", "--method", "add", "--quiet"]) == 0
    assert set(json.loads(capsys.readouterr().out)["analogy"][path.stem]) == {"add"}
    r = subprocess.run([sys.executable, "-m", "w2v.evaluate", str(tmp_path / "m"), "--analogy", str(pairs)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "line 1: expected 4 words" in r.stderr and "Traceback" not in r.stderr


def test_full_google_set_equals_gensim(analogy_case):
    vec, _ = analogy_case
    ours = ev.evaluate_analogies(vec, QUESTIONS, restrict=30000)
    score, sections = as_gensim(vec).evaluate_word_analogies(str(QUESTIONS), restrict_vocab=30000)
    assert ours["accuracy"] == score
    assert [s["correct"] for s in ours["sections"]] == [len(s["correct"]) for s in sections[:-1]]


def test_gensim_order_rescoring_agrees(analogy_case, monkeypatch):
    # Re-score every question the slow, gensim-ordered way (normally only near-ties are): same results.
    vec, path = analogy_case
    fast = {m: ev.evaluate_analogies(vec, path, restrict=900, method=m) for m in ("add", "mul")}
    monkeypatch.setattr(ev, "TIE_TOLERANCE", np.inf)
    for m in ("add", "mul"):
        slow = ev.evaluate_analogies(vec, path, restrict=900, method=m)
        assert slow["sections"] == fast[m]["sections"]
