"""Starting a run from an existing table (``--from``): vocabulary merge, identity, frozen rows, lineage, errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v.formats import save_vectors
from w2v.vocab import Vocabulary
from w2v.warmstart import merge_vocab

SMALL = dict(dim=8, min_count=1, threads=1, window=3, sample=0)


def groups_corpus(path, groups, n=1500, seed=0):
    rng = np.random.default_rng(seed)
    lines = [" ".join(rng.choice(groups[rng.integers(len(groups))], size=8)) for _ in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def two_corpora(tmp_path_factory):
    """An old corpus of groups a, b and a new one of groups b, c (c: new words)."""
    d = tmp_path_factory.mktemp("warm")
    g = {k: [f"{k}{i}" for i in range(8)] for k in "abc"}
    old = groups_corpus(d / "old.txt", [g["a"], g["b"]])
    new = groups_corpus(d / "new.txt", [g["b"], g["c"]], seed=1)
    model = d / "old-model"
    w2v.train_embeddings(old, out=model, progress=False, epochs=2, save_context=True, **SMALL)
    return d, old, new, model


def test_merge_vocab_orders_old_words_first_then_new_by_count():
    new = Vocabulary(["x", "b", "y", "z"], np.array([9, 5, 3, 1]))
    vocab, old_rows, mapping = merge_vocab(["a", "b", "c"], np.array([7, 4, 2]), new, min_count=2)
    assert vocab.words == ["a", "b", "c", "x", "y"]  # z is below min_count
    assert vocab.counts.tolist() == [7, 9, 2, 9, 3]  # merged: b = 4 + 5
    assert old_rows.tolist() == [0, 1, 2]
    assert mapping.tolist() == [3, 1, 4, -1]
    vocab, _, mapping = merge_vocab(["a", "b", "c"], np.array([7, 4, 2]), new, 2, mode="model", counts="new")
    assert vocab.words == ["a", "b", "c"] and vocab.counts.tolist() == [0, 5, 0]
    assert mapping.tolist() == [-1, 1, -1, -1]
    vocab, old_rows, mapping = merge_vocab(["a", "b", "c"], np.array([7, 4, 2]), new, 2, mode="new")
    assert vocab.words == ["b", "x", "y"] and old_rows.tolist() == [1]
    assert mapping.tolist() == [1, 0, 2, -1]


def test_union_keeps_old_row_ids_and_records_lineage(two_corpora, tmp_path):
    d, _, new, model = two_corpora
    old = w2v.load(model)
    out = tmp_path / "cont"
    vec = w2v.train_embeddings(new, out=out, start_from=model, progress=False, epochs=1, **SMALL)
    assert vec.words[:len(old)] == old.words  # old ids unchanged
    added = vec.words[len(old):]
    assert sorted(added) == [f"c{i}" for i in range(8)]
    assert list(vec.counts[len(old):]) == sorted(vec.counts[len(old):], reverse=True)  # new words by count
    b0 = old.words.index("b0")
    assert vec.counts[b0] == old.counts[b0] + open(new).read().split().count("b0")  # merged counts
    cfg = json.loads((out / "config.json").read_text())
    lin = cfg["start_from"]
    assert lin["model"] == str(model) and lin["model_settings"]["corpus"] == str(d / "old.txt")
    assert lin["old_words"] == len(old) and lin["new_words"] == 8 and lin["output_vectors"] == "model"
    assert cfg["corpus"] == str(new)
    # the new words learned their group: c words are nearer each other than to the b words they never meet
    m = vec.matrix - vec.matrix.mean(axis=0)
    sims = m / np.linalg.norm(m, axis=1, keepdims=True)
    c = [vec.words.index(f"c{i}") for i in range(8)]
    b = [vec.words.index(f"b{i}") for i in range(8)]
    assert (sims[c] @ sims[c].T).mean() > (sims[c] @ sims[b].T).mean() + 0.5


@pytest.mark.parametrize("how", ["zero-epochs", "empty-corpus"])
def test_identity_gives_back_the_table_bit_for_bit(two_corpora, tmp_path, how):
    _, _, new, model = two_corpora
    corpus = new
    if how == "empty-corpus":
        corpus = tmp_path / "empty.txt"
        corpus.write_text("")
    out = tmp_path / "same"
    w2v.train_embeddings(corpus, out=out, start_from=model, vocab="model", progress=False, save_context=True,
                         epochs=0 if how == "zero-epochs" else 3, **SMALL)
    old, got = w2v.load(model, context=True), w2v.load(out, context=True)
    assert got.words == old.words
    assert np.array_equal(got.matrix, old.matrix) and np.array_equal(got.context, old.context)


@pytest.mark.parametrize("empty", [False, True])
def test_identity_from_a_word2vec_file_without_counts(two_corpora, tmp_path, empty):
    _, _, new, model = two_corpora
    old = w2v.load(model)
    save_vectors(old, tmp_path / "old.bin")
    if empty:
        new = tmp_path / "empty.txt"
        new.write_text("\n")
    got = w2v.train_embeddings(new, start_from=tmp_path / "old.bin", vocab="model", epochs=0 if not empty else 2,
                               progress=False, **SMALL)
    assert np.array_equal(got.matrix, old.matrix) and got.info["start_from"]["output_vectors"] == "zero"


@pytest.mark.parametrize("cbow", [False, True])
def test_freeze_old_keeps_old_rows_and_trains_new_ones(two_corpora, tmp_path, cbow):
    _, _, new, model = two_corpora
    old = w2v.load(model)
    vec = w2v.train_embeddings(new, start_from=model, freeze_old=True, cbow=cbow, epochs=2, progress=False,
                               **SMALL)
    n = len(old)
    assert np.array_equal(vec.matrix[:n], old.matrix)
    fresh = w2v.train_embeddings(new, start_from=model, epochs=0, progress=False, **SMALL)
    assert np.abs(vec.matrix[n:] - fresh.matrix[n:]).min(axis=1).max() > 0  # every new row moved
    assert json.loads(json.dumps(vec.info["start_from"]))["freeze_old"] is True
    moved = w2v.train_embeddings(new, start_from=model, cbow=cbow, epochs=1, progress=False, **SMALL)
    assert not np.array_equal(moved.matrix[:n], old.matrix)  # without it, old rows train


def test_resume_of_a_run_started_from_a_table(two_corpora, tmp_path):
    _, _, new, model = two_corpora
    whole = w2v.train_embeddings(new, start_from=model, epochs=2, freeze_old=True, progress=False, **SMALL)
    calls = iter(range(10**6))
    out = tmp_path / "part"
    with pytest.raises(w2v.errors.Interrupted):  # stop after the first epoch's jobs
        w2v.train_embeddings(new, out=out, start_from=model, epochs=2, freeze_old=True, progress=False,
                             stop=lambda: next(calls) >= 2, **SMALL)
    done = w2v.train_embeddings(None, out=tmp_path / "done", resume=out, progress=False)
    assert np.array_equal(done.matrix, whole.matrix)


def test_mixed_tokenizers_turns_the_refusal_into_a_warning(two_corpora, capsys):
    _, _, new, model = two_corpora
    vec = w2v.train_embeddings(new, start_from=model, tokenize="words", mixed_tokenizers=True, epochs=0,
                               vocab="model", **SMALL)
    assert np.array_equal(vec.matrix, w2v.load(model).matrix)
    assert "'whitespace'" in capsys.readouterr().err and vec.info["start_from"]["mixed_tokenizers"]


def run_train(*args, cwd):
    return subprocess.run([sys.executable, "-m", "w2v.train", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_bad_starting_tables_are_one_line_errors_and_write_nothing(two_corpora, tmp_path):
    _, _, new, model = two_corpora
    nan = tmp_path / "nan.txt"
    nan.write_text("2 3\nx 1 2 nan\ny 1 2 3\n")
    for args, message in [(["--from", model, "--dim", 30], "has 8 dimensions but --dim is 30"),
                          (["--from", model, "--tokenize", "words"], "'whitespace' tokenizer"),
                          (["--from", nan], "non-finite"),
                          (["--vocab", "model"], "only apply with --from"),
                          (["--epochs", 0], "only make sense with --from")]:
        proc = run_train(new, "--out", tmp_path / "out", "--quiet", *args, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not (tmp_path / "out").exists()


def test_blend_old_is_the_weighted_average_of_the_model_and_the_trained_rows(two_corpora):
    _, _, new, model = two_corpora
    old = w2v.load(model, context=True)
    plain = w2v.train_embeddings(new, start_from=model, epochs=1, progress=False, **SMALL)
    mixed = w2v.train_embeddings(new, start_from=model, epochs=1, blend_old=True, progress=False, **SMALL)
    info = mixed.info["start_from"]["blend_old"]
    n_new = sum(1 for line in open(new) for _ in line.split())
    assert info["model_words"] == int(old.counts.sum()) and info["new_words"] == n_new
    w = np.float32(old.counts.sum() / (old.counts.sum() + n_new))
    assert info["weight"] == pytest.approx(float(w))
    n = len(old)
    expect = plain.matrix[:n] + w * (old.matrix - plain.matrix[:n])
    assert np.array_equal(mixed.matrix[:n], expect)  # the same training, then the blend (1 thread: exact)
    assert np.array_equal(mixed.matrix[n:], plain.matrix[n:])  # new words: their trained rows
    assert np.array_equal(mixed.context[:n], plain.context[:n] + w * (old.context - plain.context[:n]))
    same = w2v.train_embeddings(new, start_from=model, epochs=0, blend_old=True, progress=False, **SMALL)
    assert np.array_equal(same.matrix[:n], old.matrix)  # nothing trained: exactly the model
    kept = w2v.train_embeddings(new, start_from=model, epochs=1, vocab="new", progress=False, **SMALL)
    both = w2v.train_embeddings(new, start_from=model, epochs=1, vocab="new", blend_old=True, progress=False, **SMALL)
    k = both.info["start_from"]["old_words"]
    rows = [old.vocab.index[x] for x in both.words[:k]]  # --vocab new: the old words the new text holds
    w = np.float32(both.info["start_from"]["blend_old"]["weight"])
    assert 0 < k < n and np.array_equal(both.matrix[:k], kept.matrix[:k] + w * (old.matrix[rows] - kept.matrix[:k]))


def test_blend_old_needs_counts_and_a_resume_rereads_the_model(two_corpora, tmp_path):
    d, _, new, model = two_corpora
    vec = w2v.load(model)
    save_vectors(vec, tmp_path / "nocounts.txt", fmt="text")
    with pytest.raises(w2v.errors.W2VError, match="--blend-old needs the word counts"):
        w2v.train_embeddings(new, start_from=tmp_path / "nocounts.txt", blend_old=True, progress=False, **SMALL)
    whole = w2v.train_embeddings(new, start_from=model, epochs=2, blend_old=True, progress=False, **SMALL)
    calls = iter(range(10**6))
    out = tmp_path / "part"
    with pytest.raises(w2v.errors.Interrupted):
        w2v.train_embeddings(new, out=out, start_from=model, epochs=2, blend_old=True, progress=False,
                             stop=lambda: next(calls) >= 2, **SMALL)
    done = w2v.train_embeddings(None, out=tmp_path / "done", resume=out, progress=False)
    assert np.array_equal(done.matrix, whole.matrix)  # blended at the end of the resumed run
    copy = tmp_path / "model-copy"
    w2v.load(model, context=True).save(copy, context=True)
    with pytest.raises(w2v.errors.Interrupted):
        w2v.train_embeddings(new, out=tmp_path / "part2", start_from=copy, epochs=2, blend_old=True,
                             progress=False, stop=lambda: True, **SMALL)
    changed = w2v.load(copy, context=True)
    changed.matrix[0] += 1
    changed.save(copy, context=True, force=True)
    with pytest.raises(w2v.errors.W2VError, match="has changed since the run began"):
        w2v.train_embeddings(None, out=tmp_path / "done2", resume=tmp_path / "part2", progress=False)
