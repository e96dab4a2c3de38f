"""The corpus reader: compression, directories, stdin, huge lines, bad bytes, CRLF."""

import bz2
import gzip
import io
import lzma
import sys

import pytest

from w2v.corpus import ReadStats, iter_sentences, list_files
from w2v.errors import W2VError

TEXT = "the cat sat\non the mat\n\nthe end"
SENTENCES = [["the", "cat", "sat"], ["on", "the", "mat"], ["the", "end"]]


@pytest.mark.parametrize("suffix,opener", [(".txt", open), (".gz", gzip.open), (".bz2", bz2.open),
                                           (".xz", lzma.open)])
def test_compressed_files(tmp_path, suffix, opener):
    path = tmp_path / f"c{suffix}"
    with opener(path, "wb") as fh:
        fh.write(TEXT.encode())
    assert list(iter_sentences(path)) == SENTENCES


def test_directory_is_read_recursively_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("four five")
    (tmp_path / "a.txt").write_text("one two\nthree")  # no final newline: the file still ends a line
    (tmp_path / ".hidden").write_text("never")
    assert [p.name for p in list_files(tmp_path)] == ["a.txt", "2.txt"]
    assert list(iter_sentences(tmp_path)) == [["one", "two"], ["three"], ["four", "five"]]


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    assert list(iter_sentences("-")) == SENTENCES


def test_single_huge_line_is_chunked_without_holding_it(tmp_path, monkeypatch):
    words = [f"w{i % 97}" for i in range(25_000)]
    path = tmp_path / "one-line.txt"
    path.write_text(" ".join(words))
    monkeypatch.setattr("w2v.corpus.BLOCK_SIZE", 1000)  # many blocks, cut mid-line
    sentences = list(iter_sentences(path, max_sentence_length=10_000))
    assert [len(s) for s in sentences] == [10_000, 10_000, 5_000]
    assert sum(sentences, []) == words


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"caf\xe9 ok\n\xff\xfe two\n")
    stats = ReadStats()
    sentences = list(iter_sentences(path, stats=stats))
    assert sentences == [["caf\ufffd", "ok"], ["\ufffd\ufffd", "two"]]
    assert stats.invalid_utf8 == 3


def test_crlf_and_lowercase(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"The Cat\r\nSAT\r\n")
    assert list(iter_sentences(path)) == [["The", "Cat"], ["SAT"]]
    assert list(iter_sentences(path, lowercase=True)) == [["the", "cat"], ["sat"]]


def test_bad_inputs(tmp_path):
    with pytest.raises(W2VError, match="not found"):
        list_files(tmp_path / "missing.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(W2VError, match="no files"):
        list_files(tmp_path / "empty")
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(W2VError, match="binary"):
        list(iter_sentences(binary))
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(TEXT.encode() * 100)[:40])
    with pytest.raises(W2VError, match="corrupt or truncated"):
        list(iter_sentences(broken))
