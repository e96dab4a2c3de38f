"""Character n-grams as fastText defines them: extraction, hash, per-word row lists, composed vectors.

A word is wrapped in ``<`` and ``>``; its n-grams are the runs of ``minn`` to ``maxn`` UTF-8
characters of the wrapped word (never the lone ``<`` or ``>``), each hashed with fastText's 32-bit
FNV-1a over its UTF-8 bytes (each byte taken as a *signed* char, as fastText's C++ does) into one
of ``buckets`` rows. With the same ``minn``, ``maxn`` and ``buckets`` the bucket numbers are
fastText's, so tables move between the two tools. The input table (``ngrams.npy`` of a model
directory) is laid out as fastText's: the words' own rows, then the bucket rows; a word's vector is
the mean of its own row and its n-gram rows, and a string outside the vocabulary gets the mean of
its n-gram rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import subword_kernels as sk
from .errors import W2VError

BOW, EOW = "<", ">"


@dataclass(frozen=True)
class SubwordSpec:
    """How words are cut into hashed n-grams (the subword settings of ``config.json``)."""

    minn: int = 3
    maxn: int = 6
    buckets: int = 2_000_000

    def check(self) -> None:
        if self.minn < 1 or self.maxn < 0 or self.buckets < 0:
            raise W2VError(f"invalid subword settings minn {self.minn}, maxn {self.maxn}, buckets {self.buckets}")
        if self.maxn and self.minn > self.maxn:
            raise W2VError(f"--minn {self.minn} exceeds --maxn {self.maxn}: no n-gram length fits")
        if self.maxn and self.buckets == 0:
            raise W2VError("--buckets 0 leaves the n-grams nowhere to go; give at least 1 (fastText uses 2,000,000)")

    @classmethod
    def from_info(cls, info: dict) -> SubwordSpec | None:
        """The settings of a table's ``info`` (``config.json``), or None if it has no n-grams."""
        if info.get("subwords") is not True:
            return None
        try:
            spec = cls(int(info["minn"]), int(info["maxn"]), int(info["buckets"]))
        except (KeyError, TypeError, ValueError):
            raise W2VError("damaged subword settings in config.json (subwords true needs integer minn, maxn, "
                           "buckets)") from None
        spec.check()
        return spec

    def to_info(self) -> dict:
        return {"subwords": True, "minn": self.minn, "maxn": self.maxn, "buckets": self.buckets}


def _wrapped(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [(BOW + w + EOW).encode("utf-8", "surrogatepass") for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8) if encoded else np.zeros(0, np.uint8)
    return data, offsets


def fasttext_hash(text: str | bytes) -> int:
    """fastText's hash of a string's UTF-8 bytes (32-bit FNV-1a over signed chars)."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return int(sk.fnv1a(np.frombuffer(data, dtype=np.uint8) if data else np.zeros(0, np.uint8)))


def ngrams(word: str, minn: int = 3, maxn: int = 6) -> list[str]:
    """The n-grams of ``word`` in fastText's order (by start character, then length), as strings."""
    wrapped = (BOW + word + EOW).encode("utf-8")
    out = []
    starts = [i for i in range(len(wrapped)) if wrapped[i] & 0xC0 != 0x80]
    ends = starts[1:] + [len(wrapped)]
    for k, i in enumerate(starts):
        for n in range(1, maxn + 1):
            if k + n > len(starts):
                break
            j = ends[k + n - 1]
            if n >= minn and not (n == 1 and (i == 0 or j == len(wrapped))):
                out.append(wrapped[i:j].decode("utf-8", "replace"))
    return out


def word_rows(words: Sequence[str], spec: SubwordSpec, vocab_size: int | None = None,
              self_rows: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each word's input rows as CSR arrays ``(ptr int64[n+1], ids int32 or int64)``: its own row (word
    *k* is row *k*, with ``self_rows``) then ``vocab_size + bucket`` for each n-gram (computed once,
    compiled, for the whole vocabulary)."""
    first = len(words) if vocab_size is None else vocab_size
    data, offsets = _wrapped(words)
    ptr, ids = sk.ngram_csr(data, offsets, spec.minn, spec.maxn, max(spec.buckets, 1), first, self_rows)
    if first + spec.buckets < 2**31:
        ids = ids.astype(np.int32)
    return ptr, ids


def compose_words(table: np.ndarray, ptr: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of each word's rows of the input ``table``: ``(vectors float32[n, dim], has_rows bool[n])``."""
    out = np.empty((len(ptr) - 1, table.shape[1]), dtype=np.float32)
    sk.compose(table, ptr, ids, out)
    return out, np.diff(ptr) > 0


def unseen_vectors(table: np.ndarray, vocab_size: int, spec: SubwordSpec, words: Sequence[str]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of strings outside the vocabulary from their n-gram rows alone (fastText's rule):
    ``(vectors float32[n, dim], has_ngrams bool[n])``; a string with no n-gram gets zeros."""
    ptr, ids = word_rows(words, spec, vocab_size, self_rows=False)
    return compose_words(table, ptr, ids)


def input_table(words: Sequence[str], spec: SubwordSpec, dim: int, seed: int) -> np.ndarray:
    """A fresh input table of ``len(words) + buckets`` rows, uniform in ±0.5/dim (word2vec's start),
    built in place (the n-gram table is the large one)."""
    rng = np.random.default_rng(seed)
    table = rng.random((len(words) + spec.buckets, dim), dtype=np.float32)
    table -= np.float32(0.5)
    table *= np.float32(1.0 / dim)
    return table
