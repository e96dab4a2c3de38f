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


@pytest.fixture(params=["python", "compiled"])
def reader(request, monkeypatch):
    """Tables read entry by entry in Python, or (as large files are) through w2v.format_kernels."""
    monkeypatch.setattr(formats, "_COMPILED_BYTES", 0 if request.param == "compiled" else 1 << 62)
    monkeypatch.setattr(formats, "_BLOCK_LINES", 3)  # small blocks: some parsed compiled, some line by line
    return request.param


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
def test_bytes_equal_gensim_and_round_trip(tmp_path, table, binary, reader):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    write_word2vec(ours, table, WORDS, binary=binary)
    gensim_kv(table, WORDS).save_word2vec_format(str(theirs), binary=binary)
    assert ours.read_bytes() == theirs.read_bytes()
    m, w = read_word2vec(theirs)  # format detected
    assert w == WORDS
    np.testing.assert_array_equal(m, table)  # text too: shortest float32 repr round-trips exactly


@pytest.mark.parametrize("binary", [False, True])
def test_c_style_layout_and_gensim_reads_it(tmp_path, table, binary, reader):
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


def test_binary_reader_accepts_mixed_newlines(tmp_path, table, reader):
    body = b"".join(
        w.encode() + b" " + row.astype("<f4").tobytes() + (b"\n" if i % 2 else b"") for i, (w, row) in
        enumerate(zip(WORDS, table))
    )
    path = tmp_path / "mixed.bin"
    path.write_bytes(f"{len(WORDS)} {table.shape[1]}\n".encode() + body)
    m, w = read_word2vec(path, binary=True)
    assert w == WORDS
    np.testing.assert_array_equal(m, table)


def test_malformed_text_files(tmp_path, reader):
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


def test_malformed_binary_files(tmp_path, table, reader):
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
def test_words_cut_inside_a_character_refused_then_read_with_replace(tmp_path, kind, reader):
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
    if kind == "binary":  # the converter's way to the same model directory
        cmd = [sys.executable, "-m", "w2v.formats", str(path), "--out", str(tmp_path / "cli"), "--quiet"]
        refused = subprocess.run(cmd, capture_output=True, text=True)
        assert refused.returncode == 2 and "--unicode-errors replace" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and not (tmp_path / "cli").exists()
        subprocess.run([*cmd, "--unicode-errors", "replace"], check=True)
        assert formats.load(tmp_path / "cli").words == ["ok", "日\ufffd"]


def _number_strings(rng: np.random.Generator, n: int) -> list[str]:
    """Numbers as tables write them, and odd ones: long mantissas, far exponents, bare signs and dots."""
    odd = ["0", "-0", "0.0", "-0.0e5", "1.", ".5", "+.5", "1e", ".", "-", "e5", "1e+", "00012", "9007199254740993",
           "9007199254740992", "1234567890123456789", "12345678901234567890", "1e22", "1e23", "1e-22", "1e-23",
           "4e38", "1e-46", "nan", "-inf", "1_000", "0x10", "1.5\t", "١"]
    out = []
    for k in range(n):
        x = float(rng.standard_normal() * 10.0 ** rng.integers(-30, 30))
        kind = k % 7
        if kind == 0:
            out.append(f"{x:.6f}")
        elif kind == 1:
            out.append(f"{x:.{rng.integers(1, 10)}g}")
        elif kind == 2:
            out.append(f"{x:.{rng.integers(0, 12)}e}")
        elif kind == 3:
            out.append(repr(float(np.float32(x))))
        elif kind == 4:
            digits = "".join(rng.choice(list("0123456789"), size=rng.integers(1, 22)))
            cut = int(rng.integers(0, len(digits) + 1))
            out.append(f"{rng.choice(['', '-', '+'])}{digits[:cut]}.{digits[cut:]}e{rng.integers(-25, 25)}")
        elif kind == 5:
            out.append(f"{rng.uniform(-1, 1):.{rng.integers(1, 19)}f}")
        else:
            out.append(str(rng.choice(odd)))
    return out


def test_compiled_number_parser_is_exactly_float_or_declines():
    from w2v.format_kernels import parse_lines

    rng = np.random.default_rng(3)
    parsed = 0
    for s in _number_strings(rng, 20_000):
        buf = np.frombuffer(f"w {s}\n".encode(), dtype=np.uint8)
        out, end = np.zeros((1, 1), np.float32), np.zeros(1, np.int64)
        if parse_lines(buf, 1, 1, out, np.zeros(1, np.int64), end) != -1:
            continue  # declined: the caller reads it with float()
        parsed += 1
        with np.errstate(over="ignore"):
            assert out[0, 0].tobytes() == np.float32(float(s)).tobytes(), s  # bit for bit
        assert end[0] == 1
    assert parsed > 12_000  # the numbers tables hold are read compiled
    for s in ["1.000000", "-0.218792", "1e-05", "0.0001234", "-1.245911", "3.14159265358979"]:
        buf = np.frombuffer(f"w {s}\n".encode(), dtype=np.uint8)
        spans = np.zeros(1, np.int64), np.zeros(1, np.int64)
        assert parse_lines(buf, 1, 1, np.zeros((1, 1), np.float32), *spans) == -1, s


@pytest.mark.parametrize("kind", ["word2vec", "glove"])
def test_text_tables_read_the_same_compiled_or_not(tmp_path, monkeypatch, kind):
    rng = np.random.default_rng(4)
    with np.errstate(over="ignore"):  # odd numbers float() takes, finite in float32
        odd = [x for x in _number_strings(rng, 3_000) if formats._is_number(x) and "\t" not in x
               and np.isfinite(np.float32(float(x)))]
    dim, n = 3, 1_000
    numbers = [f"{x:.6f}" for x in rng.standard_normal(n * dim)]
    for k in range(0, n * dim, 151):  # an odd number in about one line of fifty
        numbers[k] = odd[k % len(odd)]
    words = [f"w x{i}" if i % 97 == 5 else f"w{i}" for i in range(n)]  # GloVe words with a space
    if kind == "word2vec":
        words = [w.replace(" ", "_") for w in words]
    lines = [f"{w} {' '.join(numbers[i * dim:(i + 1) * dim])}" for i, w in enumerate(words)]
    header = f"{len(lines)} {dim}\r\n" if kind == "word2vec" else ""
    path = tmp_path / "t.txt"
    path.write_text(header + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    read = (lambda: read_word2vec(path, binary=False)) if kind == "word2vec" else (lambda: read_glove(path))
    from w2v import format_kernels

    blocks = []  # the compiled parser's answer for each block it was given
    real = format_kernels.parse_lines
    monkeypatch.setattr(format_kernels, "parse_lines", lambda *a: blocks.append(real(*a)) or blocks[-1])
    got = {}
    for mode, limit in (("python", 1 << 62), ("compiled", 0)):
        monkeypatch.setattr(formats, "_COMPILED_BYTES", limit)
        monkeypatch.setattr(formats, "_BLOCK_LINES", 16)
        matrix, names = read()
        got[mode] = (matrix.tobytes(), names)
    assert got["python"] == got["compiled"] and len(got["python"][1]) == len(lines)
    assert blocks.count(-1) >= 5 and len(blocks) - blocks.count(-1) >= 5  # both paths taken


@pytest.mark.parametrize("c_style", [False, True])
def test_binary_tables_scanned_compiled_read_the_same(tmp_path, monkeypatch, c_style):
    from w2v import format_kernels

    rng = np.random.default_rng(6)
    words = [f"w{i}" if i % 5 else f"日本{i}" for i in range(500)]
    matrix = rng.standard_normal((len(words), 9)).astype(np.float32)
    path = tmp_path / "t.bin"
    write_word2vec(path, matrix, words, binary=True, c_style=c_style)
    scans = []
    real = format_kernels.scan_binary
    monkeypatch.setattr(format_kernels, "scan_binary", lambda *a: scans.append(real(*a)) or scans[-1])
    monkeypatch.setattr(formats, "_COMPILED_BYTES", 0)
    got, names = read_word2vec(path)
    assert scans and scans[0][0] == len(words) and scans[0][1] == path.stat().st_size - c_style  # all, in one scan
    np.testing.assert_array_equal(got, matrix)
    assert names == words


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz"])
def test_compressed_tables_read_through(tmp_path, table, reader, compression):
    import bz2
    import gzip
    import lzma

    compress = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[compression]
    write_word2vec(tmp_path / "t.bin", table, WORDS, binary=True)
    write_word2vec(tmp_path / "t.txt", table, WORDS, binary=False)
    (tmp_path / "t.glove").write_text("".join(line + "\n" for line in
                                              (tmp_path / "t.txt").read_text(encoding="utf-8").splitlines()[1:]),
                                      encoding="utf-8")
    for name in ("t.bin", "t.txt", "t.glove"):
        packed = tmp_path / f"{name}.{compression}"
        packed.write_bytes(compress((tmp_path / name).read_bytes()))
        got = formats.load(packed)
        plain = formats.load(tmp_path / name)
        np.testing.assert_array_equal(got.matrix, plain.matrix)
        assert got.words == plain.words == WORDS
        damaged = tmp_path / f"damaged-{name}.{compression}"
        damaged.write_bytes(packed.read_bytes()[:-12])  # cut short: the stream ends early
        with pytest.raises(W2VError, match="cannot decompress|file ends|truncated|expected") as err:
            formats.load(damaged)
        assert "\n" not in str(err.value)


def test_compressed_outputs_by_suffix(tmp_path, table):
    import bz2
    import gzip
    import lzma

    vec = Vectors(table, WORDS)
    write_word2vec(tmp_path / "plain.bin", table, WORDS, binary=True)
    write_word2vec(tmp_path / "plain.txt", table, WORDS, binary=False)
    for name, decompress in (("v.bin.gz", gzip.decompress), ("v.txt.xz", lzma.decompress),
                             ("v.vec.bz2", bz2.decompress)):
        fmt = formats.save_vectors(vec, tmp_path / name)
        assert fmt == ("binary" if ".bin" in name else "text")
        plain = tmp_path / ("plain.bin" if fmt == "binary" else "plain.txt")
        assert decompress((tmp_path / name).read_bytes()) == plain.read_bytes()  # the same bytes, compressed
        np.testing.assert_array_equal(formats.load(tmp_path / name).matrix, table)
    with pytest.raises(W2VError, match="name it NAME.bin.gz or NAME.txt.gz"):
        formats.save_vectors(vec, tmp_path / "vectors.gz")
    assert not (tmp_path / "vectors.gz").exists()
