"""The named tokenizers, and their use by the trainer's corpus reader and the consumers of a table."""

import json

import numpy as np
import pytest

from w2v.corpus import iter_sentences
from w2v.errors import W2VError
from w2v.export import align
from w2v.outdir import save_model
from w2v.tokenize import TOKENIZERS, check_match, get, of_config, tokenize
from w2v.train import train_embeddings

RAW = "It's a GREAT film, isn't it?! Rock'n'roll -- 10/10 l'amour."


def test_words_rule():
    assert tokenize(RAW, "words") == ["it's", "a", "great", "film", ",", "isn't", "it", "?", "!", "rock'n'roll",
                                      "-", "-", "10", "/", "10", "l'amour", "."]
    assert tokenize("'quoted' ends' o'", "words") == ["'", "quoted", "'", "ends", "'", "o", "'"]
    assert tokenize("Ünïcode Straße", "words") == ["ünïcode", "straße"]


def test_cased_and_whitespace_rules():
    assert tokenize("Paris, France", "words-cased") == ["Paris", ",", "France"]
    assert tokenize("It's  GREAT,\tno?", "whitespace") == ["It's", "GREAT,", "no?"]
    assert set(TOKENIZERS) == {"whitespace", "words", "words-cased"}
    with pytest.raises(W2VError, match="unknown tokenizer 'bpe'"):
        get("bpe")


def test_config_record_and_mismatch_warning(capsys):
    assert of_config({"tokenize": "words", "corpus": "x"}) == "words"
    assert of_config({"corpus": "old.txt"}) == "whitespace"  # trained before the key existed
    assert of_config({}) == "unknown"
    assert check_match("words", "words") is None and check_match("unknown", "words") is None
    msg = check_match("whitespace", "words")
    assert "'whitespace'" in msg and "'words'" in msg and msg in capsys.readouterr().err


def test_corpus_reader_applies_the_tokenizer_per_line(tmp_path):
    path = tmp_path / "raw.txt"
    path.write_text("Good film, isn't it?\nBAD.\n")
    assert list(iter_sentences(path)) == [["Good", "film,", "isn't", "it?"], ["BAD."]]
    assert list(iter_sentences(path, tokenize="words")) == [["good", "film", ",", "isn't", "it", "?"],
                                                            ["bad", "."]]


def test_trainer_records_tokenize_and_consumers_see_it(tmp_path, capsys):
    corpus = tmp_path / "reviews.txt"
    rng = np.random.default_rng(0)
    words = ["Great", "film", "isn't", "it", "Bad", "plot", "dull", "fun"]
    corpus.write_text("\n".join(" ".join(rng.choice(words, 8)) + ", really!" for _ in range(300)) + "\n")
    out = tmp_path / "m"
    train_embeddings(str(corpus), out=out, tokenize="words", dim=8, epochs=1, min_count=1, threads=1, progress=False)
    config = json.loads((out / "config.json").read_text())
    assert config["tokenize"] == "words"
    vocab = [ln.split("\t")[0] for ln in (out / "vocab.txt").read_text().splitlines()]
    assert {"great", "isn't", ",", "!"} <= set(vocab) and "Great" not in vocab and "really!" not in vocab
    index = ["", "[UNK]", "great", "isn't", "unseen", "Great"]
    matrix, report = align(out, index, counts=[0, 0, 5, 3, 2, 10], tokenize="whitespace")
    assert report.model_tokenize == "words" and "'whitespace'" in report.tokenize_warning
    assert (report.hits, report.misses) == (2, 2)
    assert (report.token_hits, report.token_total) == (8, 20) and report.token_coverage == 0.4
    assert "40.0% of tokens" in report.summary()
    assert align(out, index, tokenize="words")[1].tokenize_warning is None


def test_bare_tables_have_no_tokenizer(tmp_path):
    save_model(tmp_path / "conv", np.eye(2), ["a", "b"], [1, 1], {"method": "word2vec-binary"})
    _, report = align(tmp_path / "conv", ["", "a"], tokenize="words")
    assert report.model_tokenize == "unknown" and report.tokenize_warning is None


def test_trainer_rejects_unknown_tokenizer(tmp_path):
    (tmp_path / "c.txt").write_text("a b c\n")
    with pytest.raises(W2VError, match="invalid --tokenize .bpe.: choose one of whitespace, words, words-cased"):
        train_embeddings(str(tmp_path / "c.txt"), tokenize="bpe", progress=False)


def test_counting_pass_applies_the_tokenizer_across_blocks(tmp_path):
    """The compiled counter splits on whitespace; a 3 MB corpus (3 blocks) rewritten by `words` must give
    exactly the counts of tokenizing each line in Python, with no token glued across a block boundary."""
    from collections import Counter

    from w2v.vocab import encode_corpus

    rng = np.random.default_rng(1)
    pieces = np.array(["Good", "film,", "isn't", "it?!", "BAD", "plot.", "(really)", "l'amour", "10/10", "--"])
    lines = [" ".join(rng.choice(pieces, int(rng.integers(1, 40)))) for _ in range(60_000)]
    corpus = tmp_path / "raw.txt"
    corpus.write_text("\n".join(lines) + "\n")
    assert corpus.stat().st_size > 2_500_000
    enc = encode_corpus(corpus, tmp_path / "work", min_count=1, progress=False, tokenize="words", workers=1)
    expected = Counter(t for line in lines for t in tokenize(line, "words"))
    assert dict(zip(enc.vocab.words, enc.vocab.counts.tolist())) == dict(expected)
    assert enc.stats["sentences"] == len(lines)
