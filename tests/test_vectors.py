"""Vectors: lookups, cosine queries and analogies, checked against gensim's KeyedVectors."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from w2v.errors import W2VError
from w2v.outdir import save_model
from w2v.vectors import Vectors

# gensim warns on every most_similar_cosmul call (it calls its own deprecated init_sims).
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")


def random_vectors(n=300, dim=20, seed=0):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(n)]
    return Vectors.from_arrays(rng.standard_normal((n, dim)).astype(np.float32), words, np.arange(n, 0, -1))


def as_gensim(vec):
    kv = KeyedVectors(vec.dim)
    kv.add_vectors(vec.words, vec.matrix)
    return kv


@pytest.fixture(scope="module")
def vec():
    return random_vectors()


@pytest.fixture(scope="module")
def kv(vec):
    return as_gensim(vec)


def assert_same_hits(mine, theirs):
    assert [w for w, _ in mine] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in mine], [s for _, s in theirs], rtol=1e-5, atol=1e-6)


def test_lookup_and_unknown_word_message(vec):
    assert len(vec) == 300 and vec.dim == 20
    assert "w5" in vec and "nope" not in vec and 3 not in vec
    assert vec.index_of("w5") == 5
    np.testing.assert_array_equal(vec["w5"], vec.matrix[5])
    assert vec[["w1", "w2"]].shape == (2, 20)
    with pytest.raises(KeyError, match=r"'nope'.*in vectors"):
        vec["nope"]
    with pytest.raises(KeyError, match="nope"):
        vec.most_similar("nope")


def test_bad_construction():
    with pytest.raises(W2VError, match="twice"):
        Vectors.from_arrays(np.zeros((2, 3)), ["a", "a"])
    with pytest.raises(W2VError, match="does not match"):
        Vectors.from_arrays(np.zeros((2, 3)), ["a"])


def test_unit_matrix_is_cached_and_normalized(vec):
    assert vec.unit is vec.unit
    np.testing.assert_allclose(np.linalg.norm(vec.unit, axis=1), 1, rtol=1e-6)
    z = Vectors.from_arrays(np.zeros((2, 3), dtype=np.float32), ["a", "b"])
    assert not np.isnan(z.unit).any()


@pytest.mark.parametrize(
    "pos,neg,restrict",
    [
        (["w3"], [], None),
        (["w3", "w7"], ["w9"], None),
        ([], ["w4"], None),
        (["w3"], [], 50),
        (["w10", "w2"], ["w1"], 40),
    ],
)
def test_most_similar_equals_gensim(vec, kv, pos, neg, restrict):
    mine = vec.most_similar(pos, neg, topn=7, restrict=restrict)
    assert_same_hits(mine, kv.most_similar(pos, neg, topn=7, restrict_vocab=restrict))
    assert not set(pos + neg) & {w for w, _ in mine}


def test_most_similar_with_vector_and_all_scores(vec, kv):
    q = vec["w3"] * 2 - vec["w8"]
    assert_same_hits(vec.most_similar([q], topn=5), kv.most_similar([q], topn=5))
    assert_same_hits(vec.most_similar(q, topn=5), kv.most_similar([q], topn=5))
    np.testing.assert_allclose(vec.most_similar("w3", topn=None), kv.most_similar("w3", topn=None), atol=1e-6)


def test_cosmul_and_similarity_and_doesnt_match_equal_gensim(vec, kv):
    for pos, neg in ((["w1", "w2"], ["w3"]), (["w5"], []), (["w5", "w6"], ["w7", "w8"])):
        assert_same_hits(vec.most_similar_cosmul(pos, neg, topn=6), kv.most_similar_cosmul(pos, neg, topn=6))
    assert vec.similarity("w1", "w2") == pytest.approx(float(kv.similarity("w1", "w2")), abs=1e-6)
    for words in (["w1", "w2", "w3", "w4"], ["w10", "w20", "w30"]):
        assert vec.doesnt_match(words) == kv.doesnt_match(words)


def planted():
    """king - man + woman = queen by construction, with distractors around."""
    rng = np.random.default_rng(1)
    dim = 30
    royal, male, female = rng.standard_normal((3, dim))
    words = ["man", "woman", "king", "queen", "prince"] + [f"x{i}" for i in range(50)]
    rows = [male, female, royal + male, royal + female, royal + male + 0.5 * rng.standard_normal(dim)]
    rows += list(rng.standard_normal((50, dim)))
    noise = 0.05 * rng.standard_normal((len(rows), dim))
    return Vectors.from_arrays(np.array(rows) + noise, words)


def test_analogy_add_and_mul_find_planted_answer():
    v = planted()
    assert v.analogy("man", "king", "woman")[0][0] == "queen"
    assert v.analogy("man", "king", "woman", method="mul")[0][0] == "queen"
    assert v.analogy("king", "queen", "man", topn=3)[0][0] == "woman"
    assert v.doesnt_match(["man", "king", "prince", "x3"]) == "x3"
    with pytest.raises(ValueError, match="method"):
        v.analogy("man", "king", "woman", method="nope")


def test_batched_nearest_equals_single_queries(vec):
    words = ["w1", "w50", "w299"]
    idx, scores = vec.nearest(words, topn=4, batch_size=2)
    for w, row_i, row_s in zip(words, idx, scores):
        hits = vec.most_similar(w, topn=4)
        assert [vec.words[i] for i in row_i] == [h for h, _ in hits]
        np.testing.assert_allclose(row_s, [s for _, s in hits], rtol=1e-5)
    idx2, _ = vec.nearest(vec[words], topn=1, restrict=100)
    expected = [vec.index_of(vec.most_similar([vec[w]], topn=1, restrict=100)[0][0]) for w in words]
    assert list(idx2[:, 0]) == expected and expected[:2] == [1, 50]


def test_analogy_batch_equals_single_queries(vec):
    rng = np.random.default_rng(3)
    a, b, c = rng.integers(0, len(vec), size=(3, 40))
    for method in ("add", "mul"):
        best, margin = vec.analogy_batch(a, b, c, method=method, restrict=120, batch_size=7)
        for i in range(len(a)):
            top = vec.analogy(vec.words[a[i]], vec.words[b[i]], vec.words[c[i]], method=method, restrict=120)
            assert vec.words[best[i]] == top[0][0]
        assert (margin >= 0).all()


def test_load_and_mmap(tmp_path, vec):
    save_model(tmp_path / "m", vec.matrix, vec.words, vec.counts, {})
    for mmap in (False, True):
        v = Vectors.load(tmp_path / "m", mmap=mmap)
        assert v.words == vec.words
        np.testing.assert_array_equal(v.matrix, vec.matrix)
        assert v.most_similar("w1", topn=3) == vec.most_similar("w1", topn=3)
    with pytest.raises(W2VError, match="not found"):
        Vectors.load(tmp_path / "missing")
