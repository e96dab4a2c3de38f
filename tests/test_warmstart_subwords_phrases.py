"""``--from`` together with ``--subwords`` and ``--phrases``: n-gram tables carried on, settings checked."""

import numpy as np
import pytest

import w2v
from w2v.errors import W2VError

SUB = dict(dim=8, min_count=1, threads=1, window=3, sample=0, subwords=True, minn=3, maxn=4, buckets=500)


def corpus(path, words, n=600, seed=0):
    rng = np.random.default_rng(seed)
    path.write_text("\n".join(" ".join(rng.choice(words, size=8)) for _ in range(n)) + "\n")
    return path


@pytest.fixture(scope="module")
def sub_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("warmsub")
    old = corpus(d / "old.txt", [f"walk{s}" for s in ("", "s", "ed", "ing")] + ["cat", "cats", "dog", "dogs"])
    new = corpus(d / "new.txt", ["cat", "dog", "talk", "talks", "talked", "talking"], seed=1)
    model = d / "sub"
    w2v.train_embeddings(old, out=model, progress=False, epochs=2, save_context=True, **SUB)
    return d, old, new, model


def test_zero_epochs_give_back_the_subword_table_bit_for_bit(sub_model, tmp_path):
    d, old, new, model = sub_model
    before = w2v.load(model)
    vec = w2v.train_embeddings(new, out=tmp_path / "same", start_from=model, progress=False, epochs=0,
                               vocab="model", subwords=True)
    assert vec.words == before.words
    assert np.array_equal(vec.ngrams, before.ngrams)
    assert np.array_equal(vec.matrix, before.matrix)


def test_continuing_keeps_old_rows_and_ngram_settings(sub_model, tmp_path):
    d, old, new, model = sub_model
    before = w2v.load(model)
    vec = w2v.train_embeddings(new, out=tmp_path / "grown", start_from=model, progress=False, epochs=1,
                               subwords=True, threads=1, sample=0, window=3)
    assert vec.words[:len(before)] == before.words
    assert sorted(vec.words[len(before):]) == ["talk", "talked", "talking", "talks"]
    assert (vec.info["minn"], vec.info["maxn"], vec.info["buckets"]) == (3, 4, 500)  # the model's, not defaults
    assert vec.ngrams.shape == (len(vec) + 500, 8)
    assert not np.array_equal(vec.ngrams[len(vec):], before.ngrams[len(before):])  # n-gram rows trained on
    assert np.isfinite(vec.vector("walker")).all() and np.abs(vec.vector("walker")).sum() > 0
    assert vec.info["start_from"]["old_words"] == len(before)


def test_subword_mismatches_are_refused(sub_model, tmp_path):
    d, old, new, model = sub_model
    with pytest.raises(W2VError, match="--minn 3 --maxn 4 --buckets 500"):
        w2v.train_embeddings(new, out=tmp_path / "a", start_from=model, progress=False, epochs=1, subwords=True,
                             buckets=1000)
    with pytest.raises(W2VError, match="--freeze-old does not go with --subwords"):
        w2v.train_embeddings(new, out=tmp_path / "b", start_from=model, progress=False, epochs=1, subwords=True,
                             freeze_old=True)
    plain = tmp_path / "plain"
    w2v.train_embeddings(old, out=plain, progress=False, epochs=1, dim=8, min_count=1, threads=1)
    with pytest.raises(W2VError, match="no character n-gram table"):
        w2v.train_embeddings(new, out=tmp_path / "c", start_from=plain, progress=False, epochs=1, subwords=True)
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()


def test_plain_run_from_a_subword_table_says_it_drops_the_ngrams(sub_model, tmp_path, capsys):
    d, old, new, model = sub_model
    vec = w2v.train_embeddings(new, out=tmp_path / "p", start_from=model, epochs=1, threads=1)
    assert vec.ngrams is None
    assert "has character n-grams; without --subwords" in capsys.readouterr().err


def test_phrases_of_the_model_missing_from_the_run_are_warned_about(tmp_path, capsys):
    from w2v.phrases import main as phrases_main

    text = corpus(tmp_path / "t.txt", ["new york", "los angeles", "the", "city", "of"], n=400)
    table = tmp_path / "p.phr"
    assert phrases_main([str(text), "--out", str(table), "--threshold", "1", "--quiet"]) == 0
    model = tmp_path / "m"
    vec = w2v.train_embeddings(text, out=model, progress=False, epochs=1, dim=8, min_count=1, threads=1,
                               phrases=str(table))
    assert "new_york" in vec.words
    capsys.readouterr()
    w2v.train_embeddings(text, out=tmp_path / "no", start_from=model, epochs=1, threads=1)
    assert "no --phrases: its phrase tokens" in capsys.readouterr().err
    w2v.train_embeddings(text, out=tmp_path / "same", start_from=model, epochs=1, threads=1, phrases=str(table))
    assert "warning" not in capsys.readouterr().err


def test_blend_old_moves_the_ngram_rows_back_too(sub_model):
    d, old, new, model = sub_model
    before = w2v.load(model, context=True)
    opts = dict(start_from=model, progress=False, epochs=1, subwords=True, threads=1, sample=0, window=3)
    plain = w2v.train_embeddings(new, **opts)
    mixed = w2v.train_embeddings(new, blend_old=True, **opts)
    w = np.float32(mixed.info["start_from"]["blend_old"]["weight"])
    n, V = len(before), len(plain)
    assert 0 < w < 1
    assert np.array_equal(mixed.ngrams[:n], plain.ngrams[:n] + w * (before.ngrams[:n] - plain.ngrams[:n]))
    assert np.array_equal(mixed.ngrams[V:], plain.ngrams[V:] + w * (before.ngrams[n:] - plain.ngrams[V:]))
    assert np.array_equal(mixed.ngrams[n:V], plain.ngrams[n:V])  # new words' own rows: as trained
    assert not np.array_equal(mixed.matrix, plain.matrix)  # the composed vectors follow
