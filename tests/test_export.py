"""Export: matrices aligned to Keras/TextVectorization/w2v word indexes, loaded into a real torch.nn.Embedding."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from w2v import load
from w2v.export import align, detect_format, export, main, read_word_index
from w2v.outdir import save_model

WORDS = ["the", "good", "bad", "movie", "Paris", "boring"]


@pytest.fixture
def model_dir(tmp_path):
    rng = np.random.default_rng(0)
    table = rng.normal(size=(len(WORDS), 4)).astype(np.float32)
    return save_model(tmp_path / "model", table, WORDS, [60, 50, 40, 30, 20, 10], {"method": "test"})


def rows_of(model_dir):
    m = load(model_dir)
    return {w: m.embeddings[i] for i, w in enumerate(m.words)}


def test_keras_word_index_rows_padding_and_misses(model_dir):
    vec = rows_of(model_dir)
    word_index = {"good": 1, "movie": 2, "zzz": 3, "the": 4}
    m, rep = align(model_dir, word_index)
    assert m.dtype == np.float32 and m.shape == (5, 4)
    assert np.all(m[0] == 0)  # padding zeroed explicitly
    for w, i in word_index.items():
        if w != "zzz":
            assert np.array_equal(m[i], vec[w])
    assert np.all(m[3] == 0)  # unknown policy "zeros"
    assert (rep.hits, rep.misses, rep.missing, rep.padding_rows) == (3, 1, ["zzz"], [0])
    assert rep.coverage == pytest.approx(0.75)
    assert "Converted 3 words (1 misses" in rep.summary()


def test_exported_matrix_in_real_torch_embedding(model_dir, tmp_path):
    vec = rows_of(model_dir)
    vocab = tmp_path / "word_index.json"
    vocab.write_text(json.dumps({"movie": 1, "bad": 2, "nope": 3, "good": 4}))
    out = tmp_path / "matrix.npy"
    export(model_dir, vocab, out, unknown="random", seed=1)
    m = np.load(out, allow_pickle=False)
    layer = torch.nn.Embedding.from_pretrained(torch.from_numpy(m), freeze=True, padding_idx=0)
    ids = torch.tensor([[1, 2, 0, 4], [3, 3, 1, 0]])
    got = layer(ids).numpy()
    assert got.shape == (2, 4, 4)
    assert np.array_equal(got, m[ids.numpy()])
    assert np.array_equal(got[0, 0], vec["movie"]) and np.array_equal(got[0, 3], vec["good"])
    assert np.all(got[0, 2] == 0) and np.all(got[1, 3] == 0)  # padding row is zero in torch too
    assert not layer.weight.requires_grad


def test_textvectorization_vocabulary(model_dir, tmp_path):
    vec = rows_of(model_dir)
    path = tmp_path / "vocab.txt"
    path.write_text("\n[UNK]\nthe\nbad\nunseen\n", encoding="utf-8")
    assert detect_format(path) == "textvectorization"
    tokens = read_word_index(path)
    assert tokens == ["", "[UNK]", "the", "bad", "unseen"]
    m, rep = align(model_dir, tokens, unknown="mean")
    table = load(model_dir).embeddings
    assert np.all(m[0] == 0)
    np.testing.assert_allclose(m[1], table.mean(axis=0), rtol=1e-6)  # [UNK] gets the unknown row
    np.testing.assert_allclose(m[4], table.mean(axis=0), rtol=1e-6)
    assert np.array_equal(m[2], vec["the"]) and np.array_equal(m[3], vec["bad"])
    assert rep.oov_rows == [1] and rep.missing == ["unseen"] and rep.hits == 2


def test_w2v_vocab_layout_is_padding_unknown_then_lines(model_dir, tmp_path):
    path = tmp_path / "their_vocab.txt"
    path.write_text("bad\t5\nmovie\t3\nxyz\t1\n")
    assert detect_format(path) == "w2v-vocab"
    assert read_word_index(path) == ["", "[UNK]", "bad", "movie", "xyz"]
    # a model's own vocab.txt gives its table shifted by two rows
    m, rep = align(model_dir, read_word_index(model_dir / "vocab.txt"))
    assert np.array_equal(m[2:], load(model_dir).embeddings) and rep.misses == 0


def test_keras_tokenizer_to_json_is_accepted(model_dir, tmp_path):
    word_index = {"<OOV>": 1, "good": 2, "bad": 3}
    tok = {"class_name": "Tokenizer", "config": {"num_words": None, "word_index": json.dumps(word_index)}}
    path = tmp_path / "tok.json"
    path.write_text(json.dumps(tok))
    assert read_word_index(path) == [None, "<OOV>", "good", "bad"]
    m, rep = align(model_dir, read_word_index(path), unknown="random", seed=0)
    assert rep.oov_rows == [1] and rep.misses == 0 and np.any(m[1] != 0)


def test_random_unknown_rows_are_distinct_seeded_and_at_table_scale(tmp_path):
    rng = np.random.default_rng(1)
    table = rng.normal(3.0, 2.0, size=(500, 8)).astype(np.float32)
    words = [f"w{i}" for i in range(500)]
    index = {f"miss{i}": i + 1 for i in range(2000)}
    a, _ = align((table, words), index, unknown="random", seed=5)
    b, _ = align((table, words), index, unknown="random", seed=5)
    c, _ = align((table, words), index, unknown="random", seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.all(a[0] == 0)
    assert abs(a[1:].mean() - 3.0) < 0.1 and abs(a[1:].std() - 2.0) < 0.1
    assert not np.array_equal(a[1], a[2])


def test_lowercase_fallback(model_dir):
    _, rep = align(model_dir, {"GOOD": 1, "paris": 2, "Paris": 3})
    assert rep.hits == 1 and rep.missing == ["GOOD", "paris"]
    m, rep = align(model_dir, {"GOOD": 1, "paris": 2, "Paris": 3}, lowercase=True)
    assert rep.hits == 2 and rep.lowercased == 1 and rep.missing == ["paris"]
    assert np.array_equal(m[1], rows_of(model_dir)["good"])


def test_gaps_in_keras_index_are_zero_and_duplicates_rejected(model_dir):
    m, rep = align(model_dir, {"good": 1, "bad": 4})
    assert m.shape == (5, 4) and rep.padding_rows == [0, 2, 3] and np.all(m[2:4] == 0)
    with pytest.raises(ValueError, match="index 1 is given to both"):
        align(model_dir, {"good": 1, "bad": 1})
    with pytest.raises(ValueError, match="indices must be integers"):
        align(model_dir, {"good": -1})


def test_mostly_empty_matrix_needs_allow_sparse_index(model_dir, tmp_path):
    """{'good': 1, 'bad': 5_000_000} silently wrote a 5,000,001-row matrix (80 MB here, 400 MB at dim 20)."""
    vocab, out = tmp_path / "wi.json", tmp_path / "m.npy"
    vocab.write_text(json.dumps({"good": 1, "bad": 5_000_000}))
    r = subprocess.run([sys.executable, "-m", "w2v.export", str(model_dir), "--vocab", str(vocab), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "largest index is 5,000,000 ('bad') for 2 words" in r.stderr and "--allow-sparse-index" in r.stderr
    assert not out.exists()
    with pytest.raises(ValueError, match="empty"):
        align(model_dir, {f"w{i}": 2 * i + 2 for i in range(1001)})  # a gap before every word: over half empty
    m, rep = align(model_dir, {"good": 1, "bad": 1500}, allow_sparse=True)
    assert m.shape == (1501, 4) and len(rep.padding_rows) == 1499
    assert align(model_dir, {"good": 1, "bad": 1000})[0].shape == (1001, 4)  # small gaps stay allowed


def test_cli_writes_matrix_and_missing_file(model_dir, tmp_path, capsys):
    vocab = tmp_path / "wi.json"
    vocab.write_text(json.dumps({"good": 1, "qqq": 2, "rrr": 3}))
    out, missing = tmp_path / "out" / "m.npy", tmp_path / "missing.txt"
    assert main([str(model_dir), "--vocab", str(vocab), "--out", str(out), "--missing", str(missing)]) == 0
    printed = capsys.readouterr().out
    assert "Converted 1 words (2 misses" in printed
    assert missing.read_text() == "qqq\nrrr\n"
    assert np.load(out, allow_pickle=False).shape == (4, 4)
    assert [p.name for p in out.parent.iterdir()] == ["m.npy"]  # no temporary left behind


def test_cli_bad_input_exits_2_without_traceback_or_output(model_dir, tmp_path):
    out = tmp_path / "m.npy"
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    cases = [
        [str(tmp_path / "nomodel"), "--vocab", str(bad_json), "--out", str(out)],
        [str(model_dir), "--vocab", str(tmp_path / "missing.json"), "--out", str(out)],
        [str(model_dir), "--vocab", str(bad_json), "--out", str(out)],
        [str(model_dir), "--vocab", str(bad_json), "--out", str(out), "--unknown", "nope"],
        [str(model_dir), "--vocab", str(model_dir / "vocab.txt"), "--out", str(tmp_path)],
    ]
    for argv in cases:
        r = subprocess.run([sys.executable, "-m", "w2v.export", *argv], capture_output=True, text=True)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("w2v.export: error:") and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert not out.exists()


def test_cli_help_shows_defaults():
    r = subprocess.run([sys.executable, "-m", "w2v.export", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "(default: zeros)" in r.stdout
