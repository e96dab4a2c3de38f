"""word2vec text/binary and GloVe I/O: byte equality with gensim and word2vec C, loud errors."""

import subprocess
import sys

import numpy as np
import pytest
from gensim.models import KeyedVectors

from w2v import formats
from w2v.errors import W2VError
from w2v.formats import load_vectors, read_glove, read_word2vec, write_word2vec
from w2v.outdir import save_model
from w2v.vectors import Vectors

WORDS = ["the", "of", "naïve", "x-ray", "日本", "a1"]


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((len(WORDS), 7)).astype(np.float32)
    m[0, 0] = 1e-8  # exponent notation in text
    m[1, 1] = -0.0
    return m


def gensim_kv(matrix, words):
    kv = KeyedVectors(matrix.shape[1])
    kv.add_vectors(words, matrix)
    return kv


@pytest.mark.parametrize("binary", [False, True])
def test_bytes_equal_gensim_and_round_trip(tmp_path, table, binary):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    write_word2vec(ours, table, WORDS, binary=binary)
    gensim_kv(table, WORDS).save_word2vec_format(str(theirs), binary=binary)
    assert ours.read_bytes() == theirs.read_bytes()
    m, w = read_word2vec(theirs)  # format detected
    assert w == WORDS
    np.testing.assert_array_equal(m, table)  # text too: shortest float32 repr round-trips exactly


@pytest.mark.parametrize("binary", [False, True])
def test_c_style_layout_and_gensim_reads_it(tmp_path, table, binary):
    path = tmp_path / "c"
    write_word2vec(path, table, WORDS, binary=binary, c_style=True)
    data = path.read_bytes()
    first = WORDS[0].encode() + b" "
    if binary:  # header, then word + space + 4*dim bytes + newline per entry
        header_end = data.index(b"\n") + 1
        entry = len(first) + 4 * table.shape[1]
        assert data[header_end : header_end + len(first)] == first
        assert data[header_end + entry : header_end + entry + 1] == b"\n"
    else:  # word2vec C prints "%lf " per value
        line = data.split(b"\n")[1]
        assert line == (WORDS[0] + " " + "".join(f"{v:f} " for v in table[0].tolist())).encode()
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == WORDS
    m, w = read_word2vec(path, binary=binary)
    assert w == WORDS
    np.testing.assert_allclose(m, table, atol=1e-6 if not binary else 0)
    np.testing.assert_allclose(kv.vectors, m, atol=0)


def test_binary_reader_accepts_mixed_newlines(tmp_path, table):
    body = b"".join(
        w.encode() + b" " + row.astype("<f4").tobytes() + (b"\n" if i % 2 else b"") for i, (w, row) in
        enumerate(zip(WORDS, table))
    )
    path = tmp_path / "mixed.bin"
    path.write_bytes(f"{len(WORDS)} {table.shape[1]}\n".encode() + body)
    m, w = read_word2vec(path, binary=True)
    assert w == WORDS
    np.testing.assert_array_equal(m, table)


def test_malformed_text_files(tmp_path):
    p = tmp_path / "bad.txt"
    cases = [
        ("3 2\na 1 2\nb 3 4\n", "line 4: file ends after 2 vectors"),
        ("1 2\na 1 2\nb 3 4\n", "line 3: more vectors"),
        ("2 2\na 1 2\nb 3 zz\n", "line 3: bad number"),
        ("2 2\na 1 2\nb 3\n", "line 3: expected a word and 2 numbers, found 1"),
        ("2 2\na 1 2\na 3 4\n", "line 3: duplicate word 'a'"),
        ("two 2\na 1 2\n", "expected a word2vec header"),
    ]
    for text, message in cases:
        p.write_text(text)
        with pytest.raises(W2VError, match=message):
            read_word2vec(p, binary=False)


def test_malformed_binary_files(tmp_path, table):
    good = tmp_path / "good.bin"
    write_word2vec(good, table, WORDS, binary=True)
    data = good.read_bytes()
    bad = tmp_path / "bad.bin"
    bad.write_bytes(data[:-5])
    with pytest.raises(W2VError, match=r"truncated at byte offset \d+: entry 6 of 6 \('a1'\)"):
        read_word2vec(bad, binary=True)
    bad.write_bytes(data.replace(b"6 7\n", b"5 7\n", 1))
    with pytest.raises(W2VError, match="bytes after the 5 vectors"):
        read_word2vec(bad, binary=True)
    bad.write_bytes(data.replace(b"6 7\n", b"7 7\n", 1))
    with pytest.raises(W2VError, match="entry 7 of 7"):
        read_word2vec(bad, binary=True)
    write_word2vec(bad, table[:2], ["a", "a"], binary=True)
    with pytest.raises(W2VError, match="duplicate word 'a'"):
        read_word2vec(bad, binary=True)


def test_write_rejects_unstorable_words(tmp_path, table):
    with pytest.raises(W2VError, match="whitespace"):
        write_word2vec(tmp_path / "x", table[:2], ["ok", "new york"])
    assert not (tmp_path / "x").exists()


def test_glove(tmp_path):
    p = tmp_path / "glove.txt"
    p.write_text("the 0.1 0.2 -0.3\n, 1 2 3\n. . . 4 5 6\n\n")
    m, w = read_glove(p)
    assert w == ["the", ",", ". . ."]
    np.testing.assert_allclose(m, [[0.1, 0.2, -0.3], [1, 2, 3], [4, 5, 6]], rtol=1e-7)
    v = load_vectors(p)  # no header: detected as GloVe
    assert v.words == w
    p.write_text("the 0.1 0.2\nof 0.3\n")
    with pytest.raises(W2VError, match="line 2"):
        read_glove(p)


def test_load_vectors_detects_kind(tmp_path, table):
    save_model(tmp_path / "model", table, WORDS, np.arange(6, 0, -1), {})
    write_word2vec(tmp_path / "v.bin", table, WORDS, binary=True)
    write_word2vec(tmp_path / "v.txt", table, WORDS)
    for name in ("model", "v.bin", "v.txt"):
        v = load_vectors(tmp_path / name)
        assert v.words == WORDS
        np.testing.assert_array_equal(v.matrix, table)
    with pytest.raises(W2VError, match="no model directory or vector file"):
        load_vectors(tmp_path / "nothing")


def test_cli_converts_both_ways(tmp_path, table, capsys):
    save_model(tmp_path / "model", table, WORDS, np.arange(6, 0, -1), {})
    assert formats.main([str(tmp_path / "model"), str(tmp_path / "v.bin"), "--quiet"]) == 0
    assert formats.main([str(tmp_path / "v.bin"), str(tmp_path / "v.txt"), "--c-style", "--quiet"]) == 0
    assert formats.main([str(tmp_path / "v.txt"), str(tmp_path / "back")]) == 0
    assert "wrote 6 vectors" in capsys.readouterr().err
    back = Vectors.load(tmp_path / "back")
    assert back.words == WORDS
    np.testing.assert_allclose(back.matrix, table, atol=1e-6)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    np.testing.assert_array_equal(kv.vectors, table)


def test_cli_bad_input_exits_2(tmp_path):
    (tmp_path / "bad.txt").write_text("2 2\na 1 2\n")
    r = subprocess.run(
        [sys.executable, "-m", "w2v.formats", str(tmp_path / "bad.txt"), str(tmp_path / "out.bin")],
        capture_output=True, text=True,
    )
    assert r.returncode == 2
    assert "error:" in r.stderr and "file ends after 1 vectors" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out.bin").exists()


@pytest.mark.parametrize("kind", ["binary", "text", "glove"])
def test_words_cut_inside_a_character_refused_then_read_with_replace(tmp_path, kind):
    # word2vec C cuts long words at a byte count, sometimes inside a multi-byte character
    cut = "日本".encode()[:4]  # 日 and the first byte of 本
    vec = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    if kind == "binary":
        data = b"2 2\n" + b"".join(w + b" " + v.tobytes() + b"\n" for w, v in zip([b"ok", cut], vec))
    else:
        rows = b"".join(w + b" " + " ".join(f"{x:g}" for x in v).encode() + b"\n" for w, v in zip([b"ok", cut], vec))
        data = (b"2 2\n" if kind == "text" else b"") + rows
    path = tmp_path / f"cut.{kind}"
    path.write_bytes(data)
    with pytest.raises(W2VError, match="unicode_errors='replace'") as err:
        formats.load(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)
    got = formats.load(path, unicode_errors="replace")
    assert got.words == ["ok", "日\ufffd"]
    np.testing.assert_array_equal(got.matrix, vec)
    got.save(tmp_path / "model")
    assert formats.load(tmp_path / "model").words == ["ok", "日\ufffd"]
