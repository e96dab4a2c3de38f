"""The one output-directory format every method writes and every consumer reads.

A model directory holds

* ``embeddings.npy`` – float32 array of shape ``(V, dim)``; row *i* is the vector of word *i*;
* ``vocab.txt`` – ``word<TAB>count`` per line, line *i* = row *i*, most frequent first;
* ``config.json`` – hyperparameters, corpus statistics, timings, versions (free-form dict);
* optionally ``context.npy`` – the output (context) vectors, same shape.

Files are written to a temporary name and renamed, so a killed run never leaves a
half-written file behind.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import W2VError

EMBEDDINGS = "embeddings.npy"
VOCAB = "vocab.txt"
CONFIG = "config.json"
CONTEXT = "context.npy"


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as ``.npy`` atomically (never pickled)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)


def save_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_vocab(path: str | os.PathLike, words: Sequence[str], counts: Sequence[int] | np.ndarray) -> None:
    """Write ``vocab.txt`` (``word<TAB>count`` a line) atomically."""
    if len(words) != len(counts):
        raise ValueError("words and counts differ in length")
    lines = [f"{w}\t{int(c)}\n" for w, c in zip(words, counts)]
    save_text(path, "".join(lines))


def read_vocab(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Read ``vocab.txt``; a line without a count gets count 0. Returns ``(words, counts int64)``."""
    path = Path(path)
    if not path.is_file():
        raise W2VError(f"vocabulary file not found: {path}")
    words: list[str] = []
    counts: list[int] = []
    with open(path, encoding="utf-8", newline="\n") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            word, _, count = line.partition("\t")
            try:
                counts.append(int(count) if count else 0)
            except ValueError:
                raise W2VError(f"{path}:{lineno}: bad count {count!r} (expected word<TAB>count)") from None
            words.append(word)
    return words, np.asarray(counts, dtype=np.int64)


def save_model(
    out: str | os.PathLike,
    embeddings: np.ndarray,
    words: Sequence[str],
    counts: Sequence[int] | np.ndarray,
    config: dict | None = None,
    context: np.ndarray | None = None,
) -> Path:
    """Save a table in the common output-directory format; returns the directory."""
    out = Path(out)
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.ndim != 2 or embeddings.shape[0] != len(words):
        raise ValueError(f"embeddings shape {embeddings.shape} does not match {len(words)} words")
    out.mkdir(parents=True, exist_ok=True)
    save_npy(out / EMBEDDINGS, embeddings)
    if context is not None:
        save_npy(out / CONTEXT, np.asarray(context, dtype=np.float32))
    write_vocab(out / VOCAB, words, counts)
    save_text(out / CONFIG, to_json(config or {}, sort_keys=True) + "\n")
    return out


def read_model(path: str | os.PathLike, mmap: bool = False, context: bool = False
               ) -> tuple[np.ndarray, list[str], np.ndarray, dict, np.ndarray | None]:
    """Read an output directory's files: ``(table, words, counts, config, context or None)``.
    ``mmap=True`` memory-maps the arrays (read-only). Use :func:`w2v.load` for a table object."""
    path = Path(path)
    if not path.is_dir():
        raise W2VError(f"model directory not found: {path} (expected a directory with {EMBEDDINGS} and {VOCAB})")
    emb_path = path / EMBEDDINGS
    if not emb_path.is_file():
        raise W2VError(f"{emb_path} is missing; is {path} a w2v output directory?")
    try:
        emb = np.load(emb_path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as exc:
        raise W2VError(f"cannot read {emb_path}: {exc}") from None
    words, counts = read_vocab(path / VOCAB)
    if emb.ndim != 2 or emb.shape[0] != len(words):
        raise W2VError(f"{emb_path} has shape {emb.shape} but {path / VOCAB} lists {len(words)} words")
    cfg_path = path / CONFIG
    config = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
    ctx = None
    if context and (path / CONTEXT).is_file():
        ctx = np.load(path / CONTEXT, mmap_mode="r" if mmap else None, allow_pickle=False)
    return emb, words, counts, config, ctx


def versions(*modules: str) -> dict:
    """Versions of w2v, Python, numpy and the named modules (e.g. ``"numba"``), and the platform."""
    import importlib
    import platform

    from . import __version__

    out = {"w2v": __version__, "python": platform.python_version(), "numpy": np.__version__}
    for name in modules:
        out[name] = getattr(importlib.import_module(name), "__version__", "?")
    out["platform"] = platform.platform()
    return out


def __getattr__(name: str):
    # Deprecated names, one release: outdir.Model was a second table type and outdir.load_model a second
    # loader; w2v.Vectors and w2v.load are the one of each now.
    if name in ("Model", "load_model"):
        import importlib
        import warnings

        warnings.warn(f"w2v.outdir.{name} is deprecated; use w2v.Vectors / w2v.load", DeprecationWarning, stacklevel=2)
        if name == "Model":
            return importlib.import_module(".vectors", __package__).Vectors
        return importlib.import_module(".formats", __package__).load
    raise AttributeError(f"module 'w2v.outdir' has no attribute {name!r}")


def plain(obj):
    """``obj`` with numpy scalars and arrays, tuples and paths turned into JSON types, and
    non-finite floats into ``None`` (strict JSON has no NaN)."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def to_json(obj, indent: int = 2, sort_keys: bool = False) -> str:
    """Strict JSON text of ``obj`` (see :func:`plain`)."""
    return json.dumps(plain(obj), indent=indent, sort_keys=sort_keys, allow_nan=False)
