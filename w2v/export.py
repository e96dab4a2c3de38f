"""Export a trained table as the weight matrix of *your* Embedding layer.

A Keras or PyTorch model looks words up by its own word index, not by w2v's row order. :func:`align`
builds the ``(rows, dim)`` float32 matrix whose row *i* is the vector of the word your index maps to
*i*:

* the padding row (index 0 when no word owns it, or the ``''`` token) is zeroed explicitly, since
  ``nn.Embedding.from_pretrained(..., padding_idx=0)`` keeps whatever row 0 holds;
* words the model does not know, and out-of-vocabulary tokens such as ``[UNK]``, get the
  ``unknown`` policy: zeros (as the Keras pre-trained-embeddings guide), the table's mean vector, or
  an independent random vector per row at the table's scale (seeded);
* the report counts hits and misses and lists the missing words.

Word indexes read by :func:`read_word_index`:

* ``keras-json`` – ``Tokenizer.word_index`` as JSON (``{"the": 1, ...}``, indices from 1), or the whole
  ``Tokenizer.to_json()`` string;
* ``textvectorization`` – one token a line in ``TextVectorization.get_vocabulary()`` order (line *i* is
  index *i*; the ``''`` padding token on line 0, ``[UNK]`` on line 1);
* ``w2v-vocab`` – a w2v ``vocab.txt`` (``word<TAB>count``): index 0 padding, 1 unknown, and the word on
  line *i* gets index *i + 2*, the layout :mod:`w2v.classify` uses.

``python -m w2v.export MODEL --vocab FILE --out matrix.npy`` does the same from the shell.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import tokenize as tokenizers
from .cli import SEED, add_quiet, add_seed, deprecated_alias, parser, run_cli
from .errors import W2VError
from .formats import load
from .outdir import atomic_path, read_vocab, save_npy
from .safety import check_memory, check_not_input, probe_writable

#: Tokens that stand for "unknown word" in common tokenizers; their rows get the unknown policy.
OOV_TOKENS = ("[UNK]", "<OOV>", "<oov>", "<unk>", "<UNK>")
#: The layout of a w2v word index (the ``w2v-vocab`` format, :mod:`w2v.classify`): row 0 is padding
#: (token ``''``), row 1 unknown (``[UNK]``), then the words. Defined here once.
PADDING = ""
UNKNOWN = "[UNK]"
PAD_ID = 0
UNK_ID = 1
RESERVED = (PADDING, UNKNOWN)


def with_reserved(words) -> list[str]:
    """The word index ``['', '[UNK]', *words]``: the words start at row ``len(RESERVED)``."""
    return [*RESERVED, *words]


FORMATS = ("auto", "keras-json", "textvectorization", "w2v-vocab")
POLICIES = ("zeros", "mean", "random", "subword")
#: Policies for what ``subword`` cannot build (a table without n-grams, a word without any, ``[UNK]``).
FALLBACKS = ("zeros", "mean", "random")


@dataclass
class AlignReport:
    """What :func:`align` did, row by row.

    Attributes
    ----------
    rows, dim : int
        Shape of the matrix.
    hits : int
        Words found in the model.
    misses : int
        Words not found (they got the unknown policy).
    missing : list of str
        The missed words, in index order.
    padding_rows : list of int
        Rows zeroed as padding (``''`` token, or index 0 unassigned), plus unassigned gaps.
    oov_rows : list of int
        Rows of out-of-vocabulary tokens such as ``[UNK]`` (unknown policy).
    lowercased : int
        Hits found only after lowercasing the word.
    unknown : str
        The unknown policy used.
    subwords : int
        Missed words whose row was built from their character n-grams (``unknown="subword"``).
    fallback : str
        With ``unknown="subword"``: the policy of the rows n-grams could not build.
    """

    rows: int
    dim: int
    hits: int = 0
    misses: int = 0
    missing: list[str] = field(default_factory=list)
    padding_rows: list[int] = field(default_factory=list)
    oov_rows: list[int] = field(default_factory=list)
    lowercased: int = 0
    unknown: str = "zeros"
    subwords: int = 0
    fallback: str | None = None
    token_hits: int | None = None
    token_total: int | None = None
    model_tokenize: str = "unknown"
    tokenize_warning: str | None = None

    @property
    def coverage(self) -> float:
        """Fraction of the index's words found in the model."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    @property
    def token_coverage(self) -> float | None:
        """Fraction of the index's token occurrences (by the counts given to :func:`align`) the model covers."""
        if self.token_hits is None or not self.token_total:
            return None
        return self.token_hits / self.token_total

    def summary(self) -> str:
        """One line: ``Converted 9,870 words (130 misses, coverage 98.7% of types, 99.6% of tokens) ...``."""
        extra = f", {self.lowercased} after lowercasing" if self.lowercased else ""
        tok = self.token_coverage
        extra += f" of types, {100 * tok:.1f}% of tokens" if tok is not None else ""
        if self.fallback is not None:
            rows = (f"rows: {self.hits:,} from the table, {self.subwords:,} from subwords, "
                    f"{len(self.oov_rows) + self.misses - self.subwords:,} by the fallback ({self.fallback})")
        else:
            rows = f"unknown rows ({self.unknown}): {len(self.oov_rows) + self.misses:,}"
        return (
            f"Converted {self.hits:,} words ({self.misses:,} misses, coverage {100 * self.coverage:.1f}%{extra}); "
            f"matrix {self.rows:,} x {self.dim}, padding rows {self.padding_rows[:3]}"
            f"{'...' if len(self.padding_rows) > 3 else ''}, {rows}"
        )


def align(
    source,
    word_index: Mapping[str, int] | Sequence[str],
    unknown: str = "zeros",
    seed: int | None = SEED,
    lowercase: bool = False,
    oov_tokens: Sequence[str] = OOV_TOKENS,
    counts: Sequence[int] | np.ndarray | None = None,
    tokenize: str | None = None,
    allow_sparse: bool = False,
    fallback: str = "zeros",
) -> tuple[np.ndarray, AlignReport]:
    """Build the embedding matrix for ``word_index`` from a trained table.

    Parameters
    ----------
    source
        Anything :func:`w2v.vectors.load` takes: a model directory or vector file, a
        :class:`~w2v.vectors.Vectors`, or a ``(matrix, words)`` pair.
    word_index : mapping or sequence
        ``{word: index}`` (index 0 is the padding row unless a word owns it), or a token list in
        index order where ``''`` marks padding (``TextVectorization.get_vocabulary()``).
    unknown : {"zeros", "mean", "random", "subword"}
        Row for words missing from the model and for OOV tokens: zeros; the mean of the table; or
        an independent draw per row from a normal with the table's per-dimension mean and std;
        ``subword``: a missing word's vector built from its character n-grams (a table trained with
        ``--subwords`` or read from a fastText ``.bin``), ``fallback`` for the rest.
    seed : int, optional
        Seed for ``unknown="random"``.
    lowercase : bool
        Look a word up lowercased when it is missing as written.
    oov_tokens : sequence of str
        Tokens treated as "unknown word" (not counted as misses).
    counts : sequence of int, optional
        Occurrences of each index's word in your data: the report then gives the token coverage too.
    tokenize : str, optional
        The tokenizer that made your words (:mod:`w2v.tokenize`); when the model's ``config.json``
        records another, the report carries a warning (``report.tokenize_warning``).
    allow_sparse : bool
        Build the matrix even when most of its rows belong to no word (a mapping whose largest index
        is far above its number of words); refused otherwise (:data:`SPARSE_ROWS`).

    Returns
    -------
    matrix : numpy.ndarray
        float32 ``(max index + 1, dim)``.
    report : AlignReport
    """
    if unknown not in POLICIES:
        raise W2VError(f"unknown policy {unknown!r}: choose one of {', '.join(POLICIES)}")
    if fallback not in FALLBACKS:
        raise W2VError(f"unknown fallback policy {fallback!r}: choose one of {', '.join(FALLBACKS)}")
    vec = load(source, mmap=True)
    if unknown == "subword" and not vec.has_subwords:
        raise W2VError("--unknown subword needs a table with character n-grams (trained with --subwords, or a "
                       "fastText .bin); this one has none: choose zeros, mean or random")
    table, words = vec.matrix, vec.words
    tokens = _tokens_by_index(word_index, 4 * table.shape[1], allow_sparse)
    if counts is not None and len(counts) != len(tokens):
        raise W2VError(f"counts has {len(counts)} entries for a word index of {len(tokens)}")
    model_index: dict[str, int] = {}
    for i, w in enumerate(words):
        model_index.setdefault(w, i)
    dim = table.shape[1]
    report = AlignReport(rows=len(tokens), dim=dim, unknown=unknown,
                         fallback=fallback if unknown == "subword" else None)
    src = np.full(len(tokens), -1, dtype=np.int64)  # model row of each index, -1: none
    unknown_rows: list[int] = []
    oov = set(oov_tokens)
    for i, tok in enumerate(tokens):
        if tok is None or tok == PADDING:
            report.padding_rows.append(i)
            continue
        j = model_index.get(tok)
        if j is None and lowercase:
            j = model_index.get(tok.lower())
            report.lowercased += j is not None
        if j is not None:
            src[i] = j
            report.hits += 1
        elif tok in oov:
            report.oov_rows.append(i)
            unknown_rows.append(i)
        else:
            report.missing.append(tok)
            report.misses += 1
            unknown_rows.append(i)
    matrix = np.zeros((len(tokens), dim), dtype=np.float32)
    hit = src >= 0
    matrix[hit] = table[src[hit]]
    if unknown == "subword" and report.misses:
        special = set(report.oov_rows)
        missed = [i for i in unknown_rows if i not in special]
        built, source_of = vec.vectors_for([tokens[i] for i in missed])
        done = {i for i, s in zip(missed, source_of) if s == 2}
        matrix[[i for i in missed if i in done]] = built[source_of == 2]
        report.subwords = len(done)
        unknown_rows = [i for i in unknown_rows if i not in done]
        unknown = fallback
    if unknown_rows and unknown != "zeros":
        stats = np.asarray(table, dtype=np.float64)
        mean = stats.mean(axis=0)
        if unknown == "mean":
            matrix[unknown_rows] = mean
        else:
            std = stats.std(axis=0)
            rng = np.random.default_rng(seed)
            matrix[unknown_rows] = rng.normal(mean, std, size=(len(unknown_rows), dim))
    matrix[report.padding_rows] = 0.0
    if counts is not None:
        c = np.asarray(counts, dtype=np.int64)
        real = np.ones(len(tokens), dtype=bool)
        real[report.padding_rows] = False
        real[report.oov_rows] = False
        report.token_hits, report.token_total = int(c[hit].sum()), int(c[real].sum())
    report.model_tokenize = tokenizers.of_config(vec.info if isinstance(vec.info, dict) else {})
    if tokenize is not None:
        report.tokenize_warning = tokenizers.check_match(report.model_tokenize, tokenize, warn=False)
    return matrix, report


def model_config(source) -> dict:
    """The recorded ``config.json`` of anything :func:`w2v.formats.load` takes (``{}`` for bare tables)."""
    info = getattr(load(source, mmap=True), "info", None)
    return info if isinstance(info, dict) else {}


def table_and_words(source) -> tuple[np.ndarray, list[str]]:
    """Deprecated: ``load(source)`` gives the table as :class:`~w2v.vectors.Vectors` (``.matrix``, ``.words``)."""
    vec = load(source, mmap=True)
    return vec.matrix, vec.words


#: A matrix with more rows than this that no word owns, and more of them than rows words own, is refused
#: unless asked for (``--allow-sparse-index``): a stray large index would write a file of empty rows.
SPARSE_ROWS = 1000


def _tokens_by_index(word_index: Mapping[str, int] | Sequence[str], row_bytes: int = 0,
                     allow_sparse: bool = False) -> list[str | None]:
    """Token of each index (``None`` for indices no word owns). A largest index whose rows
    (``row_bytes`` each, plus the list) do not fit in memory is refused before allocating; so is,
    unless ``allow_sparse``, a matrix whose rows are mostly empty (:data:`SPARSE_ROWS`)."""
    if isinstance(word_index, Mapping):
        if not word_index:
            raise W2VError("the word index is empty")
        size = 0
        for w, i in word_index.items():
            if not isinstance(i, (int, np.integer)) or isinstance(i, bool) or i < 0:
                raise W2VError(f"word {w!r} has index {i!r}; indices must be integers >= 0")
            size = max(size, int(i) + 1)
        check_memory(size * (8 + row_bytes), f"a matrix with {size:,} rows (the largest index is {size - 1:,} for "
                     f"{len(word_index):,} words)", "indices must be dense: 0 or 1 .. number of words")
        empty = size - len(word_index)
        if not allow_sparse and empty > SPARSE_ROWS and empty > len(word_index):
            big = max(word_index, key=lambda w: int(word_index[w]))
            raise W2VError(f"the largest index is {size - 1:,} ({big!r}) for {len(word_index):,} words: the matrix "
                           f"would have {size:,} rows, {empty / size:.1%} of them empty ({size * row_bytes / 1e6:,.0f} "
                           "MB); indices should be dense (0 or 1 .. number of words); pass --allow-sparse-index "
                           "(allow_sparse=True) to write it anyway")
        tokens: list[str | None] = [None] * size
        for w, i in word_index.items():
            if tokens[i] is not None:
                raise W2VError(f"index {i} is given to both {tokens[i]!r} and {w!r}")
            tokens[i] = w
        return tokens
    tokens = list(word_index)
    if not tokens:
        raise W2VError("the word index is empty")
    return tokens


def detect_format(path: str | os.PathLike) -> str:
    """Guess the word-index format of a file: JSON → keras-json, ``word<TAB>count`` → w2v-vocab,
    else textvectorization."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return "keras-json"
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = fh.read(4096)
    if head.lstrip().startswith("{"):
        return "keras-json"
    first = [ln for ln in head.split("\n")[:20] if ln.strip()]
    if first and all("\t" in ln and ln.rsplit("\t", 1)[1].strip().isdigit() for ln in first):
        return "w2v-vocab"
    return "textvectorization"


def read_word_index(path: str | os.PathLike, fmt: str = "auto", row_bytes: int = 0,
                    allow_sparse: bool = False) -> list[str | None]:
    """Read a word-index file; returns the token of each index (``None`` or ``''`` = padding).
    ``row_bytes``: bytes of the matrix row each index will get (for the memory check);
    ``allow_sparse``: accept an index whose matrix would be mostly empty rows."""
    path = Path(path)
    if not path.is_file():
        raise W2VError(f"vocabulary file not found: {path}")
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "keras-json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise W2VError(f"{path} is not valid JSON ({exc}); expected Tokenizer.word_index as JSON") from None
        if isinstance(data, dict) and isinstance(data.get("config"), dict) and "word_index" in data["config"]:
            data = data["config"]["word_index"]  # the whole Tokenizer.to_json()
            if isinstance(data, str):
                data = json.loads(data)
        if not isinstance(data, dict):
            raise W2VError(f"{path}: expected a JSON object {{word: index}} (Tokenizer.word_index)")
        return _tokens_by_index(data, row_bytes, allow_sparse)
    if fmt == "textvectorization":
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the final newline ends the last token; it is not an empty token
        tokens = [ln.rstrip("\r") for ln in lines]
        if not tokens:
            raise W2VError(f"{path} is empty; expected one token a line (TextVectorization.get_vocabulary())")
        seen: dict[str, int] = {}
        for i, t in enumerate(tokens):
            if t in seen and t != PADDING:
                raise W2VError(f"{path}: token {t!r} on lines {seen[t] + 1} and {i + 1}; tokens must be unique")
            seen.setdefault(t, i)
        return tokens
    if fmt == "w2v-vocab":
        words, _ = read_vocab(path)
        if not words:
            raise W2VError(f"{path} lists no words")
        return with_reserved(words)
    raise W2VError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


def export(
    model: str | os.PathLike,
    vocab: str | os.PathLike,
    out: str | os.PathLike,
    fmt: str = "auto",
    unknown: str = "zeros",
    missing: str | os.PathLike | None = None,
    seed: int | None = SEED,
    lowercase: bool = False,
    tokenize: str | None = None,
    allow_sparse: bool = False,
    fallback: str = "zeros",
) -> AlignReport:
    """Align ``model`` to the word index in ``vocab``; write float32 ``out`` (and ``missing``) atomically.

    Refuses, before any work, an output that is an input (``out`` or ``missing`` equal to ``vocab``,
    or inside the model directory), ``out == missing``, and an output location that is not writable.
    """
    check_not_input({"--out": out, "--missing": missing}, {"MODEL": model, "--vocab": vocab})
    for path in (out, missing):
        if path is not None and Path(path).is_dir():
            raise W2VError(f"{path} is a directory; give a file name")
        if path is not None:
            probe_writable(Path(path).absolute().parent, "--out" if path == out else "--missing")
    vec = load(model, mmap=True)
    tokens = read_word_index(vocab, fmt, 4 * vec.dim, allow_sparse)
    counts = None
    if (fmt == "auto" and detect_format(vocab) == "w2v-vocab") or fmt == "w2v-vocab":
        counts = np.concatenate([[0, 0], read_vocab(vocab)[1]])  # the layout's padding and [UNK] rows first
    matrix, report = align(vec, tokens, unknown=unknown, seed=seed, lowercase=lowercase, counts=counts,
                           tokenize=tokenize, fallback=fallback)
    try:
        save_npy(out, matrix.astype(np.float32, copy=False))
        if missing is not None:
            with atomic_path(missing) as tmp:
                tmp.write_text("".join(w + "\n" for w in report.missing), encoding="utf-8")
    except OSError as exc:
        raise W2VError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    return report


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m w2v.export`` argument parser (every option shows its default in ``--help``)."""
    p = parser(
        "w2v.export",
        "Write the embedding matrix for your own word index (Keras Tokenizer JSON, TextVectorization "
        "vocabulary, or a w2v vocab.txt) from a trained model: row i = vector of the word with index i, padding "
        "row zero, unknown words by --unknown. Load it into keras.layers.Embedding (Constant initializer) or "
        "torch.nn.Embedding.from_pretrained.",
    )
    p.add_argument("model", metavar="MODEL",
                   help="w2v model directory (embeddings.npy + vocab.txt), word2vec/GloVe/.vec file or fastText .bin")
    p.add_argument("--vocab", required=True, help="your word index file")
    p.add_argument("--out", required=True, help="output .npy file (float32, rows = your indices)")
    p.add_argument("--format", choices=FORMATS, default="auto",
                   help="word-index format: keras-json (Tokenizer.word_index, indices from 1), textvectorization "
                   "(one token a line, line i = index i, '' padding, [UNK]), w2v-vocab (vocab.txt; line i -> "
                   "index i+2 after padding 0 and unknown 1); auto: .json -> keras-json, word<TAB>count -> "
                   "w2v-vocab, else textvectorization")
    p.add_argument("--unknown", choices=POLICIES, default="zeros",
                   help="row for words the model lacks and for [UNK]/<OOV>: zeros, the table mean, a random "
                   "vector per word at the table's scale, or (subword) built from the word's character n-grams "
                   "when the model has them (--subwords models, fastText .bin), --fallback for the rest")
    p.add_argument("--fallback", choices=FALLBACKS, default="zeros",
                   help="with --unknown subword: row of [UNK]/<OOV> and of words without any n-gram")
    p.add_argument("--missing", help="write the words the model lacks to this file, one a line")
    p.add_argument("--allow-sparse-index", action="store_true",
                   help=f"write the matrix even when most of its rows belong to no word (more than {SPARSE_ROWS:,} "
                   "empty rows, and more than words: a stray large index); refused otherwise")
    add_seed(p, "seed for --unknown random")
    p.add_argument("--lowercase-fallback", action="store_true", help="look a missing word up again lowercased")
    deprecated_alias(p, "--lowercase", "--lowercase-fallback", action="store_true", dest="lowercase_fallback")
    p.add_argument("--tokenize", choices=list(tokenizers.TOKENIZERS), default=None,
                   help="the tokenizer that made your word index; warns when the model's config.json records "
                   "another (default: no check)")
    add_quiet(p, "print nothing")
    return p


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: parse, :func:`export`, print the coverage line."""
    args = build_parser().parse_args(argv)
    report = export(args.model, args.vocab, args.out, fmt=args.format, unknown=args.unknown,
                    missing=args.missing, seed=args.seed, lowercase=args.lowercase_fallback, tokenize=args.tokenize,
                    allow_sparse=args.allow_sparse_index, fallback=args.fallback)
    if report.tokenize_warning:
        print(report.tokenize_warning, file=sys.stderr)
    if not args.quiet:
        print(report.summary())
        print(f"wrote {args.out}" + (f" and {args.missing}" if args.missing else ""))
    return 0


if __name__ == "__main__":
    run_cli(main)
