"""fastText interchange: .bin models written by the fasttext package (oracle: its get_word_vector), .vec
files read and written, and one-line refusals of the variants and damage we cannot read."""

from __future__ import annotations

import random
import struct
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v.errors import W2VError

fasttext = pytest.importorskip("fasttext")

WORDS = ["the", "cat", "naïve", "café", "日本語", "straße", "a", "ab", "running", "Ωmega"]


@pytest.fixture(scope="module")
def ft(tmp_path_factory):
    rng = random.Random(1)
    d = tmp_path_factory.mktemp("ft")
    corpus = d / "c.txt"
    corpus.write_text("\n".join(" ".join(rng.choice(WORDS) for _ in range(15)) for _ in range(200)) + "\n",
                      encoding="utf-8")
    model = fasttext.train_unsupervised(str(corpus), model="cbow", dim=10, epoch=1, minCount=1, bucket=3001,
                                        minn=3, maxn=5, verbose=0, thread=1)
    model.save_model(str(d / "m.bin"))
    return d, model


def test_bin_vectors_equal_get_word_vector_for_known_and_unseen_words(ft):
    d, model = ft
    vec = w2v.load(d / "m.bin")
    assert vec.words == list(model.words) and vec.has_subwords
    assert (vec.info["minn"], vec.info["maxn"], vec.info["buckets"]) == (3, 5, 3001)
    for word in [*model.words, "zebra", "naïveté", "日本", "cats", "x"]:
        np.testing.assert_allclose(vec.vector(word), model.get_word_vector(word), atol=1e-5, err_msg=word)
    np.testing.assert_allclose(vec.matrix, np.stack([model.get_word_vector(w) for w in model.words]), atol=1e-5)


def test_output_vectors_are_read_for_a_run_to_continue(ft):
    d, model = ft
    assert w2v.load(d / "m.bin").context is None
    vec = w2v.load(d / "m.bin", context=True)
    np.testing.assert_array_equal(vec.context, model.get_output_matrix())


def test_a_bin_model_saved_as_a_model_directory_keeps_its_ngrams(ft, tmp_path):
    d, model = ft
    w2v.load(d / "m.bin").save(tmp_path / "m")
    again = w2v.load(tmp_path / "m")
    np.testing.assert_allclose(again.vector("naïveté"), model.get_word_vector("naïveté"), atol=1e-5)


def test_vec_files_read_and_write(ft, tmp_path):
    d, model = ft
    lines = [f"{len(model.words)} 10"] + [w + " " + " ".join(f"{x:.5f}" for x in model.get_word_vector(w)) + " "
                                           for w in model.words]
    (tmp_path / "m.vec").write_text("\n".join(lines) + "\n", encoding="utf-8")
    vec = w2v.load(tmp_path / "m.vec")
    np.testing.assert_allclose(vec["café"], model.get_word_vector("café"), atol=1e-5)
    from w2v.formats import save_vectors

    save_vectors(w2v.load(d / "m.bin"), tmp_path / "out.vec")
    back = w2v.load(tmp_path / "out.vec")
    np.testing.assert_allclose(back["naïve"], model.get_word_vector("naïve"), atol=1e-5)


def _neighbors(path):
    return subprocess.run([sys.executable, "-m", "w2v.neighbors", str(path), "cat"], capture_output=True, text=True)


def test_damaged_and_unsupported_bins_are_one_line_errors(ft, tmp_path):
    d, _ = ft
    data = (d / "m.bin").read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(W2VError, match="truncated or damaged: the input matrix"):
        w2v.load(tmp_path / "cut.bin")
    lying = bytearray(data)
    struct.pack_into("<i", lying, 8 + 4 * 8, 10**9)  # bucket
    (tmp_path / "lie.bin").write_bytes(bytes(lying))
    with pytest.raises(W2VError, match="input matrix is"):
        w2v.load(tmp_path / "lie.bin")
    big = bytearray(data)
    struct.pack_into("<i", big, 8 + 12 * 4 + 8, 10**9)  # dictionary size
    (tmp_path / "dict.bin").write_bytes(bytes(big))
    with pytest.raises(W2VError, match="dictionary claims"):
        w2v.load(tmp_path / "dict.bin")
    r = _neighbors(tmp_path / "cut.bin")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_supervised_and_quantized_models_are_refused(tmp_path):
    train = tmp_path / "t.txt"
    rng = random.Random(2)
    train.write_text("\n".join(f"__label__{rng.choice('ab')} " + " ".join(rng.choice(WORDS) for _ in range(6))
                               for _ in range(300)) + "\n", encoding="utf-8")
    sup = fasttext.train_supervised(str(train), dim=4, epoch=1, verbose=0, thread=1, bucket=1000, wordNgrams=2)
    sup.save_model(str(tmp_path / "s.bin"))
    with pytest.raises(W2VError, match="supervised fastText model"):
        w2v.load(tmp_path / "s.bin")
    sup.quantize(input=str(train), qnorm=True, retrain=False, cutoff=0, dsub=2)
    sup.save_model(str(tmp_path / "s.ftz"))
    with pytest.raises(W2VError, match="supervised|quantized"):
        w2v.load(tmp_path / "s.ftz")
