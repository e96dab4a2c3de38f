"""Phrases: word2phrase's choices (its C binary and a pure-Python reference of its rules), gensim's
Phrases(scoring="npmi") exactly, and the phrased encoding equal to encoding phrased text."""

import json
import math
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from w2v.encode import open_corpus
from w2v.phrases import PhraseTable, learn_phrases, learn_sentences
from w2v.vocab import CorpusOptions

ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
PLANTED = [("new", "york"), ("hong", "kong"), ("los", "angeles"), ("new_york", "times"), ("sri", "lanka")]


def make_lines(n_lines: int = 1500, seed: int = 0) -> list[list[str]]:
    """Zipf-ish filler words with planted bigrams (some frequent enough to pass, some borderline) and a
    trigram ``new york times`` that needs two passes."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(400)]
    p = 1.0 / np.arange(1, 401) ** 1.05
    p /= p.sum()
    lines = []
    for _ in range(n_lines):
        words = list(rng.choice(vocab, size=rng.integers(3, 25), p=p))
        for _ in range(rng.integers(0, 3)):
            r = rng.random()
            ins = (["new", "york", "times"] if r < 0.15 else ["new", "york"] if r < 0.35 else
                   ["hong", "kong"] if r < 0.5 else ["los", "angeles"] if r < 0.6 else
                   ["sri", "lanka"] if r < 0.63 else ["new"] if r < 0.68 else ["york"] if r < 0.7 else [])
            at = rng.integers(0, len(words) + 1)
            words[at:at] = ins
        lines.append(words)
    return lines


def write(path: Path, lines: list[list[str]]) -> Path:
    path.write_text("".join(" ".join(s) + "\n" for s in lines), encoding="utf-8")
    return path


def word2phrase_reference(lines: list[list[str]], min_count: int = 5, threshold: float = 100.0) -> list[list[str]]:
    """word2phrase.c's rules in plain Python: unigram and bigram counts (bigrams within a line), words and
    bigrams rarer than min_count dropped, score in float32 in the C order of operations, greedy joining."""
    uni: Counter = Counter()
    bi: Counter = Counter()
    for s in lines:
        uni.update(s)
        bi.update(zip(s[:-1], s[1:]))
    total = sum(uni.values())
    f = np.float32
    out = []
    for s in lines:
        phrased: list[str] = []
        pa = 0
        for i, w in enumerate(s):
            pb = uni[w]
            pab = bi[(s[i - 1], w)] if i else 0
            oov = i == 0 or pab < min_count or pa < min_count or pb < min_count
            score = f(0) if oov else f(pab - min_count) / f(pa) / f(pb) * f(total)
            if score > f(threshold):
                phrased[-1] += "_" + w
                pb = 0
            else:
                phrased.append(w)
            pa = pb
        out.append(phrased)
    return out


def test_one_pass_equals_word2phrase_reference(tmp_path):
    lines = make_lines()
    for threshold in (20.0, 100.0):
        table = learn_sentences(lines, threshold=str(threshold))
        expected = word2phrase_reference(lines, threshold=threshold)
        assert [table.apply(s) for s in lines] == expected
        assert {r.joined for r in table.rows} == {w for s in expected for w in s if "_" in w} - {
            w for s in lines for w in s if "_" in w}


def test_two_passes_equal_the_reference_run_twice_and_build_trigrams(tmp_path):
    lines = make_lines()
    table = learn_sentences(lines, threshold="20,10")
    once = word2phrase_reference(lines, threshold=20.0)
    assert [table.apply(s) for s in lines] == word2phrase_reference(once, threshold=10.0)
    assert "new_york_times" in {r.joined for r in table.rows if r.pass_ == 2}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("word2phrase") is None, reason="word2phrase (pip install word2vec) not built")
def test_corpus_equals_word2phrase_binary(tmp_path):
    """On one line (word2phrase also counts pairs across line ends; w2v never does) the phrased text is
    word2phrase's, token for token, and w2v.phrases apply writes it."""
    words = [w for s in make_lines(3000) for w in s]
    corpus = write(tmp_path / "one-line.txt", [words])
    subprocess.run(["word2phrase", "-train", corpus.name, "-output", "c.txt", "-threshold", "30", "-debug", "0"],
                   check=True, capture_output=True, cwd=tmp_path)  # relative: word2phrase keeps 60-byte names
    table_path = tmp_path / "t.phrases"
    for cmd in (["-m", "w2v.phrases", str(corpus), "--out", str(table_path), "--threshold", "30", "--quiet"],
                ["-m", "w2v.phrases", "apply", str(table_path), str(corpus), "--out", str(tmp_path / "ours.txt"),
                 "--quiet"]):
        subprocess.run([sys.executable, *cmd], check=True, env=ENV)
    ours = (tmp_path / "ours.txt").read_text().split()
    theirs = (tmp_path / "c.txt").read_text().split()
    assert ours == theirs
    assert sum("_" in w for w in ours) > 100


def test_npmi_equals_gensim(tmp_path):
    from gensim.models.phrases import FrozenPhrases, Phrases

    lines = make_lines(seed=1)
    for threshold in (0.3, 0.6):
        g = Phrases(lines, min_count=5, threshold=threshold, scoring="npmi")
        table = learn_sentences(lines, scoring="npmi", threshold=str(threshold))
        exported = g.export_phrases()
        assert {r.joined for r in table.rows} == set(exported)
        for r in table.rows:
            assert math.isclose(r.score, exported[r.joined], rel_tol=1e-12)
        frozen = FrozenPhrases(g)
        assert [table.apply(s) for s in lines] == [frozen[s] for s in lines]
    # (two passes are not compared: in pass 2 gensim, like word2phrase, counts the token "a_b" and the pair
    # "a b" under one string key; w2v keeps them apart. The pass mechanics are checked against the reference.)


def test_threads_and_memory(tmp_path):
    corpus = write(tmp_path / "c.txt", make_lines())
    one = learn_phrases(corpus, progress=False, threads=1, threshold="20,10")
    three = learn_phrases(corpus, progress=False, threads=3, threshold="20,10")
    assert [(r.left, r.right, r.count, r.score, r.pass_) for r in one.rows] == \
           [(r.left, r.right, r.count, r.score, r.pass_) for r in three.rows]
    assert not one.settings["approximate"]
    # too little memory for the ~12k distinct bigrams: pruned, approximate, counts never above the exact ones
    rng = np.random.default_rng(3)
    noisy = write(tmp_path / "noisy.txt", [[f"u{x}" for x in rng.integers(0, 3000, 30)] + ["new", "york"]
                                            for _ in range(3000)])
    exact = {r.joined: r.count for r in learn_phrases(noisy, progress=False, threads=1, threshold="10").rows}
    pruned = learn_phrases(noisy, progress=False, threads=1, memory=1, threshold="10")
    assert exact["new_york"] == 3000
    # 1 MiB = 65536 entries: the 90k distinct bigrams do not fit
    assert pruned.settings["approximate"] and pruned.settings["per_pass"][0]["prunes"] > 0
    assert {r.joined: r.count for r in pruned.rows}["new_york"] <= 3000


def test_punctuation_never_joins_and_lines_are_boundaries(tmp_path):
    text = "Hello , world . New York is big .\nnew york , new york !\n" * 40 + "york new\n" * 3
    corpus = tmp_path / "p.txt"
    corpus.write_text(text)
    table = learn_phrases(corpus, progress=False, tokenize="words", threshold="1")
    joined = {r.joined for r in table.rows}
    assert "new_york" in joined
    assert all(not any(c in j for c in ",.!") for j in joined)
    corpus.write_text("a b\n" * 10 + "a\nb\n" * 50)  # 'b a' occurs only across lines
    table = learn_phrases(corpus, progress=False, threshold="0", min_count=1)
    assert {r.joined for r in table.rows} == {"a_b"}


def test_table_file_roundtrip_and_editable(tmp_path):
    table = learn_sentences(make_lines(), threshold="20,10")
    path = tmp_path / "t.phrases"
    table.save(path)
    back = PhraseTable.load(path)
    assert back.settings["threshold"] == [20.0, 10.0] and back.passes == 2
    assert [(r.left, r.right, r.pass_) for r in back.rows] == [(r.left, r.right, r.pass_) for r in table.rows]
    text = path.read_text()
    assert "new york\t" in text
    path.write_text("\n".join(line for line in text.split("\n") if not line.startswith("hong kong\t")))
    edited = PhraseTable.load(path)
    assert edited.apply(["hong", "kong", "new", "york"]) == ["hong", "kong", "new_york"]


def test_encode_with_phrases_equals_encoding_phrased_text(tmp_path):
    lines = make_lines()
    corpus = write(tmp_path / "c.txt", lines)
    table = learn_phrases(corpus, progress=False, threshold="20,10")
    table.save(tmp_path / "t.phrases")
    phrased = write(tmp_path / "phrased.txt", [table.apply(s) for s in lines])
    opts = dict(min_count=3, max_sentence_length=7)
    a = open_corpus(corpus, CorpusOptions(**opts, phrases=str(tmp_path / "t.phrases")), 50, tmp_path / "wa")
    b = open_corpus(phrased, CorpusOptions(**opts), 50, tmp_path / "wb")
    assert a.vocab.words == b.vocab.words and np.array_equal(a.vocab.counts, b.vocab.counts)
    assert np.array_equal(a.ids, b.ids) and np.array_equal(a.starts, b.starts)
    # apply writes the same phrased text
    subprocess.run([sys.executable, "-m", "w2v.phrases", "apply", str(tmp_path / "t.phrases"), str(corpus),
                    "--out", str(tmp_path / "applied.txt"), "--quiet"], check=True, env=ENV)
    assert (tmp_path / "applied.txt").read_text() == phrased.read_text()


def test_cache_keys_on_table_content_and_train_records_it(tmp_path):
    corpus = write(tmp_path / "c.txt", make_lines())
    tpath = tmp_path / "t.phrases"
    learn_phrases(corpus, progress=False, threshold="20").save(tpath)
    opts = CorpusOptions(min_count=2, phrases=str(tpath))
    cache = tmp_path / "cache"
    first = open_corpus(corpus, opts, None, tmp_path / "w1", cache, progress=False)
    assert "new_york" in first.vocab.words
    tpath.write_text("\n".join(x for x in tpath.read_text().split("\n") if not x.startswith("new york\t")))
    second = open_corpus(corpus, opts, None, tmp_path / "w2", cache, progress=False)
    assert "new_york" not in second.vocab.words and len(list(cache.iterdir())) == 2
    out = tmp_path / "model"
    subprocess.run([sys.executable, "-m", "w2v.train", str(corpus), "--out", str(out), "--phrases", str(tpath),
                    "--dim", "8", "--epochs", "1", "--min-count", "2", "--quiet"], check=True, env=ENV)
    assert json.loads((out / "config.json").read_text())["phrases"] == str(tpath)
    # an encoded directory made without phrases refuses --phrases (and the reverse)
    subprocess.run([sys.executable, "-m", "w2v.encode", str(corpus), "--out", str(tmp_path / "enc"), "--quiet"],
                   check=True, env=ENV)
    with pytest.raises(Exception, match="without phrases"):
        open_corpus(tmp_path / "enc", opts, None, tmp_path / "w3")


@pytest.mark.parametrize("args, message", [
    (["--scoring", "npmi", "--threshold", "1.5"], "must be in [-1, 1]"),
    (["--threshold", "-3"], "must be in [0, inf]"),
    (["--threshold", "200,100", "--passes", "3"], "gives 2 thresholds"),
    (["--threshold", "abc"], "comma list"),
    (["--memory", "1", "--threads", "200"], "too small"),
])
def test_bad_options_one_line_nothing_written(tmp_path, args, message):
    corpus = write(tmp_path / "c.txt", make_lines(50))
    out = tmp_path / "t.phrases"
    proc = subprocess.run([sys.executable, "-m", "w2v.phrases", str(corpus), "--out", str(out), "--quiet", *args],
                          capture_output=True, text=True, env=ENV)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not out.exists() and os.listdir(tmp_path) == ["c.txt"]


def test_bad_tables(tmp_path):
    corpus = write(tmp_path / "c.txt", make_lines(50))
    bad = tmp_path / "bad.txt"
    bad.write_text("new york\t3\t1.0\t1\n")
    good = tmp_path / "t.phrases"
    learn_phrases(corpus, progress=False, threshold="1", lowercase=True).save(good)
    damaged = tmp_path / "damaged.phrases"
    damaged.write_text(good.read_text() + "one two three\t1\t1\t1\n")
    for table, extra, message in ((bad, [], "is not a phrase table"), (damaged, [], "line"),
                                  (good, [], "learned with lowercase=True")):
        proc = subprocess.run([sys.executable, "-m", "w2v.encode", str(corpus), "--out", str(tmp_path / "enc"),
                               "--phrases", str(table), "--quiet", *extra], capture_output=True, text=True, env=ENV)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "enc").exists()
    proc = subprocess.run([sys.executable, "-m", "w2v.phrases", "apply", str(bad), str(corpus), "--out",
                           str(tmp_path / "x.txt")], capture_output=True, text=True, env=ENV)
    assert proc.returncode == 2 and "is not a phrase table" in proc.stderr and not (tmp_path / "x.txt").exists()


def test_evaluate_phrase_analogies_by_name(tmp_path):
    from w2v.evaluate import bundled, read_analogies
    from w2v.vectors import Vectors

    sections = read_analogies(bundled("questions-phrases.txt"))
    assert sum(len(q) for _, q in sections) == 3218 and len(sections) == 5
    words = sorted({w.lower() for _, qs in sections for q in qs for w in q})
    # each answer d = c + (b - a): give every word a vector so that the offsets are exact for one section
    rng = np.random.default_rng(0)
    vec = {w: rng.standard_normal(32) for w in words}
    name, questions = sections[0]
    for a, b, c, d in questions:
        vec[b.lower()] = vec[a.lower()] + 5.0 * np.eye(32)[0]
        vec[d.lower()] = vec[c.lower()] + 5.0 * np.eye(32)[0]
    Vectors(np.array([vec[w] for w in words], dtype=np.float32), words).save(tmp_path / "m")
    proc = subprocess.run([sys.executable, "-m", "w2v.evaluate", str(tmp_path / "m"), "--analogy", "phrases",
                           "--method", "add", "--restrict", "0", "--json", "-", "--quiet"],
                          capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)["analogy"]["phrases"]["add"]
    assert res["questions"] == 3218 and res["coverage"] == 1.0
    first = next(s for s in res["sections"] if s["section"] == name)
    assert first["accuracy"] == 1.0


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_text_writer_renders_every_token_once_in_order(tmp_path, monkeypatch, threads):
    from w2v import phrases
    monkeypatch.setattr(phrases, "_CHUNK", 7)  # many chunks, parts cut inside sentences
    rng = np.random.default_rng(0)
    words = ["a", "bb", "ccc", "new_york", "é"]
    lengths = rng.integers(0, 6, 20)  # empty sentences too
    sentences = [rng.integers(0, len(words), n).astype(np.int32) for n in lengths]
    ids = np.concatenate(sentences)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    phrases.write_text(ids, starts, words, tmp_path / "out.txt", threads)
    expect = "".join(" ".join(words[i] for i in s) + "\n" for s in sentences if len(s))
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == expect


def test_joining_in_parallel_ranges_equals_a_reference(monkeypatch):
    from w2v import phrases
    real_cuts = phrases._safe_cuts
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(6)]
    pairs = [("w0", "w1", "w0_w1"), ("w1", "w2", "w1_w2"), ("w3", "w3", "w3_w3"), ("w5", "w0", "w5_w0")]
    lengths = rng.integers(0, 40, 300)
    lengths[[0, -1, -2]] = 0  # empty sentences first and last
    ids = rng.integers(0, 6, int(lengths.sum())).astype(np.int32)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    table = {(a, b): j for a, b, j in pairs}
    expect, expect_starts = [], [0]  # a plain reference: greedy, left to right, per sentence
    for s in range(len(lengths)):
        sent, k = [words[t] for t in ids[starts[s]:starts[s + 1]]], 0
        while k < len(sent):
            joined = k + 1 < len(sent) and table.get((sent[k], sent[k + 1]))
            expect.append(joined or sent[k])
            k += 2 if joined else 1
        expect_starts.append(len(expect))
    for parts in (1, 2, 3, 7):  # the ranges' cuts as the real rule places them, for this many threads
        monkeypatch.setattr(phrases, "_safe_cuts", lambda i, s, left, _, n=parts: real_cuts(i, s, left, n))
        w = list(words)
        out, new_starts = phrases.join_ids(ids, starts, w, {x: k for k, x in enumerate(w)}, pairs, threads=parts)
        assert [w[t] for t in out] == expect
        assert new_starts.tolist() == expect_starts
    every = np.ones(6, dtype=np.bool_)  # every word begins a phrase: only sentence starts are safe cuts
    assert set(real_cuts(ids, starts, every, 3)) <= set(starts.tolist())
    assert real_cuts(ids, np.array([0, len(ids)]), every, 3) == [0, len(ids)]  # one line: one range
