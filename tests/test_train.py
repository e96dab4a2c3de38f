"""Training end to end: learned structure, reproducibility, outputs, the CLI's bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v import load

SMALL = dict(dim=16, epochs=5, min_count=1, sample=0, seed=3, threads=1, window=3, negative=5)


def cosine_matrix(emb):
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    return unit @ unit.T


@pytest.mark.parametrize("method", [{}, {"cbow": True}, {"shared_negatives": False}])
def test_cooccurring_words_end_up_closer(planted_corpus, method):
    path, groups = planted_corpus
    result = w2v.train_embeddings(path, progress=False, **SMALL, **method)
    idx = result.vocab.index
    sims = cosine_matrix(result.embeddings)
    a = [idx[w] for w in groups[0]]
    b = [idx[w] for w in groups[1]]
    within = np.mean([sims[i, j] for g in (a, b) for i in g for j in g if i != j])
    across = np.mean([sims[i, j] for i in a for j in b])
    assert within > across + 0.5, (within, across)
    losses = result.info["epoch_loss"]
    assert losses[-1] < losses[0] < np.log(2) * 1.01  # starts near log 2 (zero output vectors), falls


def test_one_thread_is_bit_reproducible(planted_corpus):
    path, _ = planted_corpus
    first = w2v.train_embeddings(path, progress=False, **SMALL).embeddings
    again = w2v.train_embeddings(path, progress=False, **SMALL).embeddings
    other = w2v.train_embeddings(path, progress=False, **{**SMALL, "seed": 4}).embeddings
    assert first.tobytes() == again.tobytes()
    assert not np.array_equal(first, other)


def test_output_directory(planted_corpus, tmp_path):
    path, _ = planted_corpus
    out = tmp_path / "model"
    result = w2v.train_embeddings(path, out=out, progress=False, save_context=True, **SMALL)
    model = load(out, context=True)
    assert model.embeddings.dtype == np.float32 and model.embeddings.shape == (16, 16)
    np.testing.assert_array_equal(model.embeddings, result.embeddings)
    np.testing.assert_array_equal(model.context, result.context)
    assert model.words == result.vocab.words
    assert (np.diff(model.counts) <= 0).all()
    cfg = json.loads((out / "config.json").read_text())
    for key in ["dim", "window", "negative", "epochs", "alpha", "min_alpha", "sample", "seed", "threads",
                "epoch_loss", "train_seconds", "versions", "corpus_stats"]:
        assert key in cfg
    assert cfg["corpus_stats"]["tokens"] == 3000 * 8
    assert len(cfg["epoch_loss"]) == 5
    assert not list(tmp_path.glob("model/.*tmp"))


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "w2v.train", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_cli_trains_and_prints_neighbours(planted_corpus, tmp_path):
    path, _ = planted_corpus
    proc = run_cli(path, "--dim", 8, "--min-count", 1, "--epochs", 2, "--threads", 1, "--neighbors", "a1",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "planted-w2v" / "embeddings.npy").is_file()
    assert proc.stdout.splitlines()[-1].startswith("a1: a")
    assert "words/s" in proc.stdout


@pytest.mark.parametrize("args,message", [
    (["missing.txt"], "corpus not found"),
    (["{corpus}", "--dim", "0"], "invalid --dim 0"),
    (["{corpus}", "--window", "0"], "invalid --window"),
    (["{corpus}", "--negative", "-1"], "invalid --negative"),
    (["{corpus}", "--sample", "-0.1"], "invalid --sample"),
    (["{corpus}", "--alpha", "0"], "invalid --alpha"),
    (["{corpus}", "--threads", "0"], "invalid --threads"),
    (["{corpus}", "--min-count", "100000"], "vocabulary is empty"),
    (["{empty}"], "is empty"),
    (["{binary}"], "binary"),
])
def test_cli_bad_input_exits_2_and_leaves_nothing(planted_corpus, tmp_path, args, message):
    path, _ = planted_corpus
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 10)
    before = set(tmp_path.iterdir())
    args = [a.format(corpus=path, empty=empty, binary=binary) for a in args]
    proc = run_cli(*args, "--out", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert set(tmp_path.iterdir()) == before


def test_help_shows_defaults(tmp_path):
    proc = run_cli("--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "default: 100" in proc.stdout and "--quiet" in proc.stdout
    assert "default: None" not in proc.stdout and "default: False" not in proc.stdout


def test_api_rejects_unknown_option(planted_corpus):
    with pytest.raises(w2v.errors.W2VError, match="unknown option"):
        w2v.train_embeddings(planted_corpus[0], progress=False, dimension=5)


def test_cli_unparseable_option_is_one_line(tmp_path):
    proc = run_cli("corpus.txt", "--dim", "ten", cwd=tmp_path)
    assert proc.returncode == 2
    expected = "w2v.train: error: argument --dim: invalid int value: 'ten' (see --help)"
    assert proc.stderr.strip().splitlines() == [expected]
