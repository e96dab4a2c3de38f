"""The classifier: data loading, word index, gradients, training behaviour, and real Pang & Lee data."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from oracles import numeric_grad

from w2v import load
from w2v.errors import W2VError
from w2v.layers import Embedding, MeanPool
from w2v.outdir import save_model
from w2v.pooling import EmbeddingBag
from w2v.supervised import (
    TextClassifier,
    build_vocabulary,
    class_names,
    encode,
    fit,
    load_class_files,
    load_dataset,
    load_labeled_file,
    nested_subsets,
    scale_to_random,
    stratified_split,
    tokenize,
    train_and_evaluate,
)

RT = Path(__file__).resolve().parents[1] / "corpora" / "rt-polarity"
RT_FILES = [RT / "rt-polarity.pos", RT / "rt-polarity.neg"]


def toy_data(n=400, seed=0):
    """Class 0 sentences contain a positive cue word, class 1 a negative one, among shared filler."""
    rng = np.random.default_rng(seed)
    filler = ["the", "movie", "a", "plot", "is", "and", "with", "of"]
    cues = [["good", "great", "fine"], ["bad", "awful", "dull"]]
    texts, labels = [], []
    for _ in range(n):
        y = int(rng.integers(2))
        words = list(rng.choice(filler, size=int(rng.integers(3, 9)))) + [str(rng.choice(cues[y]))]
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(y)
    return texts, np.array(labels)


# --- data --------------------------------------------------------------------------------------------------


def test_tokenize_keeps_inner_apostrophes_and_splits_punctuation():
    assert tokenize("It's a GREAT film, isn't it?!") == ["it's", "a", "great", "film", ",", "isn't", "it", "?", "!"]
    assert tokenize("Paris", "words-cased") == ["Paris"]


def test_class_names_strip_shared_prefix_and_suffix():
    assert class_names(["d/rt-polarity.pos", "d/rt-polarity.neg"]) == ["pos", "neg"]
    assert class_names(["pos.txt", "neg.txt"]) == ["pos", "neg"]
    assert class_names(["sports.txt", "politics.txt", "science.txt"]) == ["sports", "politics", "science"]


def test_bundled_pang_lee_files_are_latin1_with_5331_each():
    data = load_class_files(RT_FILES, encoding="latin-1")
    assert data.classes == ["pos", "neg"]
    assert np.bincount(data.labels).tolist() == [5331, 5331]
    assert all(t.strip() for t in data.texts)
    with pytest.raises(W2VError, match="--encoding"):
        load_class_files(RT_FILES, encoding="utf-8")


def test_labeled_tsv_and_csv(tmp_path):
    tsv = tmp_path / "d.tsv"
    tsv.write_text("label\ttext\npos\tgood film\nneg\tbad film\n\npos\tfine\n")
    data = load_labeled_file(tsv, header=True)
    assert data.classes == ["neg", "pos"] and data.labels.tolist() == [1, 0, 1]
    assert data.texts == ["good film", "bad film", "fine"]
    csv_path = tmp_path / "d.csv"
    csv_path.write_text('"good, really",1\n"bad",0\n')
    data = load_dataset([csv_path], label_column=1, text_column=0)
    assert data.texts == ["good, really", "bad"] and data.classes == ["0", "1"]
    with pytest.raises(W2VError, match="column"):
        load_labeled_file(tsv, label_column=5)
    one_class = tmp_path / "one.tsv"
    one_class.write_text("a\tx\na\ty\n")
    with pytest.raises(W2VError, match="at least two"):
        load_labeled_file(one_class)


def test_word_index_from_training_split_and_encoding():
    toks = [["b", "a", "b"], ["c", "b"], ["a"]]
    vocab = build_vocabulary(toks)
    assert vocab == ["", "[UNK]", "b", "a", "c"]  # padding, unknown, by count, ties by first appearance
    assert build_vocabulary(toks, min_count=2) == ["", "[UNK]", "b", "a"]
    ids = encode([["a", "zzz"], ["b", "b", "c", "a"]], vocab)
    assert ids.tolist() == [[3, 1, 0, 0], [2, 2, 4, 3]]
    assert encode([["a", "b", "c"]], vocab, max_len=2).tolist() == [[3, 2]]


def test_stratified_split():
    labels = np.array([0] * 50 + [1] * 30)
    rest, held = stratified_split(labels, 0.1, seed=0)
    assert np.bincount(labels[held]).tolist() == [5, 3]
    assert sorted(np.concatenate([rest, held]).tolist()) == list(range(80))


def test_nested_subsets_are_stratified_nested_and_fixed_by_the_seed():
    labels = np.array([0] * 700 + [1] * 300)
    fr = [0.01, 0.03, 0.1, 0.3, 1.0]
    subs = nested_subsets(labels, fr, seed=4)
    assert [np.bincount(labels[subs[f]]).tolist() for f in fr] == [[7, 3], [21, 9], [70, 30], [210, 90],
                                                                   [700, 300]]
    for small, big in zip(fr, fr[1:]):
        assert np.isin(subs[small], subs[big]).all()
    again = nested_subsets(labels, [0.1, 0.01], seed=4)  # the same for every table, in any order
    assert all(np.array_equal(again[f], subs[f]) for f in (0.01, 0.1))
    assert not np.array_equal(nested_subsets(labels, [0.1], seed=5)[0.1], subs[0.1])
    assert np.bincount(labels[nested_subsets(labels, [0.001], seed=0)[0.001]]).tolist() == [2, 2]  # floor
    with pytest.raises(W2VError):
        nested_subsets(labels, [0.0], seed=0)


def test_scale_to_random_matches_the_random_tables_std():
    w = np.random.default_rng(0).normal(0, 0.4, size=(500, 20))
    factor = scale_to_random(w, np.arange(2, 500))
    assert factor == pytest.approx(0.05 / np.sqrt(3) / 0.4, rel=0.02)
    assert w[2:].std() == pytest.approx(0.05 / np.sqrt(3), rel=1e-9)


# --- model -------------------------------------------------------------------------------------------------


def test_embedding_bag_mean_equals_embedding_then_mean_pool():
    emb = Embedding(12, 5, padding_idx=0, seed=1)
    ids = np.array([[3, 3, 7, 0, 0], [1, 2, 11, 4, 9], [0, 0, 0, 0, 0]])
    bag = EmbeddingBag(emb, "mean")
    pooled = bag.forward(ids)
    np.testing.assert_allclose(pooled, MeanPool().forward(emb.forward(ids), ids != 0), rtol=1e-12)
    np.testing.assert_allclose(EmbeddingBag(emb, "max").forward(ids)[0], emb.table[[3, 7]].max(axis=0))
    assert np.all(EmbeddingBag(emb, "mean-max").forward(ids)[2] == 0)  # an empty text pools to zeros
    with pytest.raises(IndexError):
        bag.forward(np.array([[12]]))


@pytest.mark.parametrize("pooling", ["mean", "max", "mean-max"])
def test_pooled_classifier_gradients_match_finite_differences(pooling):
    clf = TextClassifier(9, 3, dim=4, seed=0, pooling=pooling, dtype=np.float64)
    ids = np.array([[2, 3, 3, 0], [4, 1, 0, 0], [8, 7, 6, 5], [0, 0, 0, 0]])
    labels = np.array([0, 2, 1, 1])

    def loss():
        return clf.loss(ids, labels)

    loss()
    clf.backward()
    dense = clf.embedding.weight.grad.to_dense()
    np.testing.assert_allclose(dense, numeric_grad(loss, clf.embedding.table), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(clf.linear.weight.grad, numeric_grad(loss, clf.linear.weight.value), rtol=1e-6,
                               atol=1e-10)
    assert np.all(dense[0] == 0)


def test_classifier_gradients_match_finite_differences():
    clf = TextClassifier(9, 3, dim=4, seed=0, dtype=np.float64)
    ids = np.array([[2, 3, 3, 0], [4, 1, 0, 0], [8, 7, 6, 5]])
    labels = np.array([0, 2, 1])
    clf.linear.bias.value[:] = [0.1, -0.2, 0.3]

    def loss():
        return clf.loss(ids, labels)

    loss()
    clf.backward()
    sparse = clf.embedding.weight.grad
    np.testing.assert_allclose(sparse.to_dense(), numeric_grad(loss, clf.embedding.table), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(clf.linear.weight.grad, numeric_grad(loss, clf.linear.weight.value), rtol=1e-6,
                               atol=1e-10)
    np.testing.assert_allclose(clf.linear.bias.grad, numeric_grad(loss, clf.linear.bias.value), rtol=1e-6,
                               atol=1e-10)


def test_learns_toy_task_with_adam_and_sgd_only_seen_rows_change():
    texts, y = toy_data()
    toks = [tokenize(t) for t in texts]
    vocab = build_vocabulary(toks[:300])
    ids = encode(toks, vocab)
    for opt in ("adam", "sgd"):
        clf = TextClassifier(len(vocab) + 2, 2, dim=8, seed=1)  # two extra rows no text uses
        before = clf.embedding.table.copy()
        fit(clf, ids[:300], y[:300], epochs=15, optimizer=opt, lr=0.05 if opt == "adam" else 1.0, progress=False)
        assert clf.accuracy(ids[300:], y[300:]) > 0.95, opt
        table = clf.embedding.table
        assert np.all(table[0] == 0)  # padding
        assert np.array_equal(table[-2:], before[-2:])  # rows never looked up keep their values
        assert np.array_equal(table[1], before[1])  # [UNK] never occurs in the training split


def test_frozen_table_does_not_move_and_early_stopping_restores_best():
    texts, y = toy_data(seed=2)
    toks = [tokenize(t) for t in texts]
    vocab = build_vocabulary(toks)
    ids = encode(toks, vocab)
    clf = TextClassifier(len(vocab), 2, dim=6, seed=0, freeze=True)
    before = clf.embedding.table.copy()
    hist = fit(clf, ids[:200], y[:200], ids[200:], y[200:], epochs=30, patience=2, lr=0.05, progress=False)
    assert np.array_equal(clf.embedding.table, before)
    assert len(hist.val_accuracy) == len(hist.train_loss) <= 30
    assert clf.accuracy(ids[200:], y[200:]) == max(hist.val_accuracy)
    assert hist.val_accuracy[hist.best_epoch - 1] == max(hist.val_accuracy)


def test_init_from_model_directory_aligns_rows(tmp_path):
    texts, y = toy_data(seed=3)
    toks = [tokenize(t) for t in texts]
    words = ["movie", "good", "bad", "the", "elsewhere"]
    table = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    model = save_model(tmp_path / "m", table, words, [5, 4, 3, 2, 1])
    idx = np.arange(len(y))
    res = train_and_evaluate(toks, y, idx[:300], idx[300:], init=model, freeze=True, epochs=3, lr=0.05)
    emb = res.classifier.embedding.table
    for w in ("movie", "good", "bad", "the"):
        assert np.array_equal(emb[res.vocabulary.index(w)], table[words.index(w)])
    assert np.all(emb[0] == 0) and np.all(emb[1] == 0)  # padding, [UNK]
    assert res.report.hits == 4 and "elsewhere" not in res.vocabulary
    assert res.n_train + res.n_val == 300 and res.n_test == 100
    # extend_vocabulary: the model's other words join the index with their vectors, untouched by training
    res = train_and_evaluate(toks, y, idx[:300], idx[300:], init=model, epochs=3, lr=0.05, extend_vocabulary=True)
    assert res.vocabulary[-1] == "elsewhere" and res.train_counts[-1] == 0
    assert np.array_equal(res.classifier.embedding.table[-1], table[4])


def test_beats_chance_on_bundled_pang_lee_subset():
    data = load_class_files(RT_FILES, encoding="latin-1")
    rng = np.random.default_rng(0)
    pick = rng.permutation(len(data))[:4000]
    toks = [tokenize(data.texts[i]) for i in pick]
    labels = data.labels[pick]
    idx = np.arange(len(pick))
    res = train_and_evaluate(toks, labels, idx[:3000], idx[3000:], epochs=8, seed=0)
    assert res.n_test == 1000
    assert res.test_accuracy > 0.65, res.test_accuracy  # chance is 0.5


# --- CLI ---------------------------------------------------------------------------------------------------


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "w2v.classify", *map(str, args)], capture_output=True, text=True)


def test_cli_on_class_files_and_saved_embeddings(tmp_path):
    texts, y = toy_data(n=300, seed=4)
    pos, neg = tmp_path / "toy.pos", tmp_path / "toy.neg"
    pos.write_text("\n".join(t for t, lab in zip(texts, y) if lab == 0) + "\n")
    neg.write_text("\n".join(t for t, lab in zip(texts, y) if lab == 1) + "\n")
    r = run_cli(pos, neg, "--lr", "0.05", "--save-embeddings", tmp_path / "emb", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert "classes: pos" in r.stdout and "test accuracy" in r.stdout
    acc = float(r.stdout.split("test accuracy ")[1].split()[0])
    assert acc > 0.9
    model = load(tmp_path / "emb")
    assert model.embeddings.shape[1] == 100 and "good" in model.words and "" not in model.words
    r = run_cli(pos, neg, "--lr", "0.05", "--quiet", "--freeze", "--optimizer", "sgd")
    assert r.returncode == 0 and float(r.stdout) > 0.0 and r.stderr == ""


def test_cli_test_files_and_train_fraction(tmp_path):
    texts, y = toy_data(n=600, seed=5)
    for split, sl in (("train", slice(0, 400)), ("test", slice(400, 600))):
        for lab, name in ((0, "pos"), (1, "neg")):
            rows = [t for t, k in zip(texts[sl], y[sl]) if k == lab]
            (tmp_path / f"{split}-{name}.txt").write_text("\n".join(rows) + "\n")
    files = [tmp_path / "train-pos.txt", tmp_path / "train-neg.txt"]
    tests = [tmp_path / "test-neg.txt", tmp_path / "test-pos.txt"]  # class order differs: matched by name
    r = run_cli(*files, "--test", *tests, "--lr", "0.05", "--seed", "2")
    assert r.returncode == 0, r.stderr
    assert "400 train" not in r.stdout and "200 test" in r.stdout
    assert float(r.stdout.split("test accuracy ")[1].split()[0]) > 0.9
    r = run_cli(*files, "--test", *tests, "--lr", "0.05", "--train-fraction", "0.25", "--val-size", "0.2",
                "--pooling", "mean-max")
    assert r.returncode == 0, r.stderr
    assert "split: 80 train, 20 validation, 200 test" in r.stdout
    r = run_cli(*files, "--test", tmp_path / "test-pos.txt", tmp_path / "other-odd.txt")
    assert r.returncode == 2


def test_cli_bad_input_exits_2(tmp_path):
    latin = tmp_path / "x.pos"
    latin.write_bytes("caf\xe9 good\n".encode("latin-1"))
    other = tmp_path / "x.neg"
    other.write_text("bad\n")
    for args in ([latin, other], [tmp_path / "none.tsv"], [latin, other, "--encoding", "latin-1"],
                 [latin, other, "--epochs", "0"]):
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("w2v.classify: error:") and "Traceback" not in r.stderr


@pytest.mark.parametrize("per_class, args, needle", [
    (5, [], "the test split (--test-size) (0.1 of 10 examples, at most 5 a class) would hold out no example; it "
            "needs at least 6 examples of one class (or give --test FILE)"),
    (6, ["--test-size", "0.2"], "the validation split (--val-size)"),
    (3, ["--test-size", "0.9"], "would keep no example")])
def test_cli_too_few_examples_for_the_split_is_an_error(tmp_path, per_class, args, needle):
    """An empty test (or validation) split scored as 'test accuracy nan (n=0)' with exit 0."""
    pos, neg = tmp_path / "a.pos", tmp_path / "a.neg"
    pos.write_text("good fine nice\n" * per_class)
    neg.write_text("bad awful poor\n" * per_class)
    r = run_cli(pos, neg, "--epochs", "1", *args)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and needle in r.stderr, r.stderr
    assert run_cli(pos, neg, "--epochs", "1", "--test-size", "0.5", "--val-size", "0").returncode == 0


def test_cli_help_shows_defaults():
    r = run_cli("--help")
    assert r.returncode == 0 and "(default: adam)" in r.stdout and "--model MODEL" in r.stdout
