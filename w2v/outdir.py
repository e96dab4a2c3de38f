"""The one output-directory format every method writes and every consumer reads.

A model directory holds

* ``embeddings.npy`` – float32 array of shape ``(V, dim)``; row *i* is the vector of word *i*;
* ``vocab.txt`` – ``word<TAB>count`` per line, line *i* = row *i*, most frequent first;
* ``config.json`` – hyperparameters, corpus statistics, timings, versions (a dict), marked
  ``"format": "w2v-model-1"`` (:data:`FORMAT`) by the writer;
* optionally ``context.npy`` – the output (context) vectors, same shape.

A directory is recognised as a w2v model by its content, never by its file names alone
(:func:`is_model_dir`): it holds only the files above (and w2v's own temporary files), and either
its ``config.json`` carries the format mark or — models saved before the mark existed — its
``embeddings.npy`` is a 2-D table with one row per word of ``vocab.txt``. Anything else (another
library's ``config.json`` + ``vocab.txt``, a directory of the user's) is foreign and is never
replaced without ``--force``.

A model directory is replaced whole or not at all (:func:`model_writer`): the new model is
written into a sibling temporary directory ``.NAME.w2v-tmp-<pid>-XXXX`` and swapped in when it is
complete (old directory renamed aside, new one renamed in, old one deleted); if anything fails, or
the process is killed, the previous model stays, and no file of an older model survives a retrain.
Single files are written to a temporary name and renamed (:func:`atomic_path`).
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import W2VError
from .safety import (
    check_finite_rows,
    check_regular,
    deferred_signals,
    enospc,
    owned_prefix,
    probe_writable,
    remove_stale,
)

EMBEDDINGS = "embeddings.npy"
VOCAB = "vocab.txt"
CONFIG = "config.json"
CONTEXT = "context.npy"
#: With subwords: the input table as fastText lays it out (each word's own row, then the n-gram buckets).
NGRAMS = "ngrams.npy"
#: Every name a model directory may hold; anything else in it is a file of the user's.
MODEL_FILES = (EMBEDDINGS, VOCAB, CONFIG, CONTEXT, NGRAMS)
#: The mark every model's config.json carries (key FORMAT_KEY): the directory was written by w2v.
FORMAT_KEY, FORMAT = "format", "w2v-model-1"
_MAX_CONFIG_BYTES = 64 << 20  # a config.json larger than this is not read to recognise a model
# Temporary files of ours: owned names, and the unowned ".embeddings.npy.XXXX.tmp" of older versions.
_OURS = re.compile(r"^\..*\.w2v-(tmp|old)-\d+-|^\.(embeddings\.npy|vocab\.txt|config\.json|context\.npy)\..*\.tmp$")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    tmp: Path | None = None
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale(path.parent)
            with deferred_signals():  # a signal never falls between creating the file and owning it
                fd, name = tempfile.mkstemp(prefix=f".{path.name}{owned_prefix('.w2v-tmp')}", suffix=".tmp",
                                            dir=path.parent)
                os.close(fd)
                tmp = Path(name)
        except OSError as exc:
            raise W2VError(f"cannot write {path}: {exc.strerror or exc}") from None
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        with deferred_signals():
            os.replace(tmp, path)
    except OSError as exc:
        hint = " (disk full?)" if enospc(exc) else ""
        raise W2VError(f"cannot write {path}: {exc.strerror or exc}{hint}; "
                       f"{'the previous file is unchanged' if path.exists() else 'nothing was written'}") from None
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as ``.npy`` atomically (never pickled; a short write is an error)."""
    with atomic_path(path) as tmp:
        _write_npy(tmp, array)


def save_text(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def check_vocab_words(words: Sequence[str]) -> None:
    """Refuse words that ``vocab.txt`` (``word<TAB>count`` a line) cannot hold: a tab, a line break
    (``\\n``, ``\\r``) or another character that would split or change the line on reading. The error
    names the word and its position (row), so nothing unreadable is ever written."""
    bad = _UNSTORABLE.search("".join(words)) if words else None
    if bad is None:
        return
    for i, w in enumerate(words):
        m = _UNSTORABLE.search(w)
        if m:
            raise W2VError(f"word {i + 1} ({w!r}) contains {_CHAR_NAMES.get(m.group(), repr(m.group()))}, which a "
                           f"w2v vocab.txt (word<TAB>count a line) cannot hold; remove or replace it in the source")


_UNSTORABLE = re.compile("[\t\n\r]")
_CHAR_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}


def write_vocab(path: str | os.PathLike, words: Sequence[str], counts: Sequence[int] | np.ndarray) -> None:
    """Write ``vocab.txt`` (``word<TAB>count`` a line) atomically."""
    if len(words) != len(counts):
        raise ValueError("words and counts differ in length")
    check_vocab_words(words)
    lines = [f"{w}\t{int(c)}\n" for w, c in zip(words, counts)]
    save_text(path, "".join(lines))


def read_vocab(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Read ``vocab.txt``; a line without a count gets count 0. Returns ``(words, counts int64)``."""
    path = Path(path)
    check_regular(path, "a vocab.txt (word<TAB>count a line)")
    if not path.is_file():
        raise W2VError(f"vocabulary file not found: {path}")
    words: list[str] = []
    counts: list[int] = []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                raise W2VError(f"{path}:{lineno}: not valid UTF-8: {raw[:60]!r}") from None
            if not line:
                continue
            word, _, count = line.partition("\t")
            try:
                counts.append(int(count) if count else 0)
                if counts[-1] < 0:
                    raise ValueError
            except ValueError:
                raise W2VError(f"{path}:{lineno}: bad count {count!r} (expected word<TAB>count, count >= 0)") from None
            words.append(word)
    return words, np.asarray(counts, dtype=np.int64)


# -- a model directory, replaced whole or not at all -------------------------------------------------


def foreign_files(path: str | os.PathLike, allowed: Sequence[str] = MODEL_FILES) -> list[str]:
    """Names in directory ``path`` that are not part of a w2v model (or not in ``allowed``, the files of
    another w2v output) nor a w2v temporary file.

    For a model directory, files with a model file's name count as foreign too when the directory is
    not recognised as a model by its content (:func:`is_model_dir`): a name proves nothing.
    """
    path = Path(path)
    if not path.is_dir():
        return []
    names = [e.name for e in path.iterdir() if not _OURS.match(e.name)]
    other = sorted(n for n in names if n not in allowed)
    if other or not names or tuple(allowed) != MODEL_FILES or _written_by_w2v(path):
        return other
    return sorted(names)


def is_w2v_temporary(name: str) -> bool:
    """True for the name of a temporary file or directory of w2v's (a killed writer's leftovers)."""
    return bool(_OURS.match(name))


def is_model_dir(path: str | os.PathLike) -> bool:
    """True if ``path`` is a w2v model directory, recognised by its content.

    It must hold only model files (:data:`MODEL_FILES`, w2v's temporary files aside), at least one,
    and either a ``config.json`` that carries the format mark (``"format": "w2v-model-1"``), or — a
    model saved before the mark existed — an ``embeddings.npy`` holding a 2-D table with one row a
    word of ``vocab.txt``. Only regular files are read (a FIFO or a device named like a model file
    is not a model), and only as much as the check needs.
    """
    path = Path(path)
    return path.is_dir() and any(not _OURS.match(e.name) for e in path.iterdir()) and not foreign_files(path)


def mark(config: dict) -> dict:
    """``config`` with the format mark that makes its directory recognisable as a w2v model."""
    return {**config, FORMAT_KEY: FORMAT}


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _written_by_w2v(path: Path) -> bool:
    """The content check of :func:`is_model_dir` (its file names already checked)."""
    config = path / CONFIG
    if _regular(config) and os.path.getsize(config) <= _MAX_CONFIG_BYTES:
        try:
            data = json.loads(config.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            data = None
        if isinstance(data, dict) and data.get(FORMAT_KEY) == FORMAT:
            return True
    # Saved before the mark existed: a table whose rows are vocab.txt's words.
    rows = _npy_rows(path / EMBEDDINGS)
    return rows is not None and _regular(path / VOCAB) and _count_words(path / VOCAB, rows + 1) == rows


def _npy_rows(path: Path) -> int | None:
    """Rows of the 2-D numeric ``.npy`` table at ``path`` (read from its header only), else ``None``."""
    if not _regular(path):
        return None
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(fh)
    except (OSError, ValueError, EOFError, SyntaxError, TypeError):
        return None
    return shape[0] if len(shape) == 2 and dtype.kind in "fiu" else None


def _count_words(path: Path, limit: int) -> int:
    """Non-empty lines of ``path`` (as :func:`read_vocab` counts words), counting stops at ``limit``."""
    n = 0
    try:
        with open(path, "rb") as fh:
            for line in fh:
                n += bool(line.strip(b"\r\n"))
                if n >= limit:
                    break
    except OSError:
        return -1
    return n


def check_output_dir(out: str | os.PathLike, force: bool = False, option: str = "--out",
                     allowed: Sequence[str] = MODEL_FILES, kind: str = "a w2v model") -> Path:
    """Refuse, before any work, an output directory that cannot or must not be written.

    It must not be a file or lie under one, must be writable (a probe file is created and removed in
    it or its closest existing ancestor), and, unless ``force``, must be missing, empty or a w2v
    model directory (:func:`is_model_dir`): a directory holding other files is refused so that nothing
    of the user's is overwritten. With ``force`` the user's files are kept beside the model, so a file
    of theirs named like a model file (``config.json``, ``vocab.txt``, ...) is refused even then.
    Another kind of output directory passes its own file names as ``allowed`` and its name as ``kind``.
    Returns ``out`` as a :class:`~pathlib.Path`.
    """
    out = Path(out)
    if os.path.lexists(out) and not out.is_dir():
        raise W2VError(f"{option} {out} exists and is not a directory")
    probe_writable(out, option)
    # --force keeps the user's files, never overwrites them
    if force and tuple(allowed) == MODEL_FILES and out.is_dir():
        clobbered = [n for n in MODEL_FILES if os.path.lexists(out / n)]
        if clobbered and not _written_by_w2v(out):
            raise W2VError(f"{option} {out} holds {', '.join(clobbered)} that w2v did not write (not a w2v model); "
                           "--force keeps your files and would overwrite these: move them away or choose another "
                           "directory")
    if not force:
        other = foreign_files(out, allowed)
        if other:
            shown = ", ".join(other[:3]) + (f" and {len(other) - 3} more" if len(other) > 3 else "")
            raise W2VError(f"{option} {out} is a non-empty directory that is not {kind} (it holds {shown}); "
                           f"choose another directory, or pass --force to write the {kind.split()[-1]} files into it")
    return out


@contextmanager
def model_writer(out: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``out``; on success make it ``out``, whole.

    Write the model's files into the yielded directory. When the block ends without an exception
    the previous ``out`` (if any) is renamed aside, the new directory renamed to ``out`` and the old
    one deleted; SIGINT and SIGTERM are held back meanwhile, and a run killed between the two
    renames is repaired by the next writer (or loader) in the same parent directory. If the block
    raises, the temporary directory is removed and ``out`` is untouched. With ``force`` and a
    directory holding files that are not w2v's, the model files are moved into it one by one
    (each atomically), the user's files are kept, and model files the new model lacks are removed.
    """
    out = check_output_dir(out, force)
    out = Path(os.path.realpath(out) if out.is_symlink() else os.path.abspath(out))  # "." has no name
    parent = out.parent
    tmp: Path | None = None
    try:
        try:
            parent.mkdir(parents=True, exist_ok=True)
            remove_stale(parent)
            with deferred_signals():  # a signal never falls between creating the directory and owning it
                tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{owned_prefix('.w2v-tmp')}", dir=parent))
        except OSError as exc:
            raise W2VError(f"cannot create {out}: {exc.strerror or exc}") from None
        try:
            yield tmp
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
            _fsync_dir_files(tmp)
            _swap_in(tmp, out)
            _fsync(out.parent)  # the renames themselves reach the disk
        except OSError as exc:
            hint = " (disk full?)" if enospc(exc) else ""
            kept = "the previous model is unchanged" if out.is_dir() else "nothing was written"
            raise W2VError(f"cannot save the model to {out}: {exc.strerror or exc}{hint}; {kept}") from None
    finally:
        if tmp is not None and tmp.exists():
            with deferred_signals():
                shutil.rmtree(tmp, ignore_errors=True)


def _fsync_dir_files(path: Path) -> None:
    """Flush the files' data to disk before they replace a good model (a crash of the machine then
    finds the old model or the complete new one)."""
    for entry in path.iterdir():
        fd = os.open(entry, os.O_RDONLY)
        try:
            os.fsync(fd)  # a write error the kernel reports only now (ENOSPC, EIO) fails the save here
        finally:
            os.close(fd)
    _fsync(path)


def _fsync(directory: Path) -> None:
    """fsync a directory, where the file system allows it."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _swap_in(tmp: Path, out: Path) -> None:
    with deferred_signals():
        if not os.path.lexists(out):
            os.rename(tmp, out)
            return
        cwd = Path(os.getcwd())
        if not foreign_files(out) and out != cwd and out not in cwd.parents:  # never pull the cwd away
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}{owned_prefix('.w2v-old')}", dir=out.parent))
            try:
                os.rename(out, old / "x")  # a rename into a fresh directory cannot race another writer
            except OSError:
                old.rmdir()  # out is a mount point, the current directory, ...: move the files instead
            else:
                try:
                    os.rename(tmp, out)
                except BaseException:
                    os.rename(old / "x", out)
                    old.rmdir()
                    raise
                shutil.rmtree(old, ignore_errors=True)
                return
        _merge_into(tmp, out)


def _merge_into(tmp: Path, out: Path) -> None:
    """Move the model files from ``tmp`` into the existing directory ``out`` one by one; remove model
    files of an older model that the new one lacks; keep every other file."""
    new = {e.name for e in tmp.iterdir()}
    for name in MODEL_FILES:
        if name not in new and (out / name).is_file():
            (out / name).unlink()
    for name in (*[n for n in MODEL_FILES if n in new and n != CONFIG], CONFIG):  # config last
        if name in new:
            os.replace(tmp / name, out / name)
    tmp.rmdir()


def save_model(
    out: str | os.PathLike,
    embeddings: np.ndarray,
    words: Sequence[str],
    counts: Sequence[int] | np.ndarray,
    config: dict | None = None,
    context: np.ndarray | None = None,
    force: bool = False,
    ngrams: np.ndarray | None = None,
) -> Path:
    """Save a table in the common output-directory format; returns the directory.

    The directory is replaced whole or not at all (:func:`model_writer`); a non-empty directory
    that is not a w2v model is refused unless ``force``.
    """
    out = Path(out)
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if embeddings.ndim != 2 or embeddings.shape[0] != len(words):
        raise ValueError(f"embeddings shape {embeddings.shape} does not match {len(words)} words")
    if len(words) != len(counts):
        raise ValueError("words and counts differ in length")
    check_vocab_words(words)
    with model_writer(out, force) as tmp:
        _write_npy(tmp / EMBEDDINGS, embeddings)
        if context is not None:
            _write_npy(tmp / CONTEXT, np.asarray(context, dtype=np.float32))
        if ngrams is not None:
            _write_npy(tmp / NGRAMS, np.asarray(ngrams, dtype=np.float32))
        (tmp / VOCAB).write_text("".join(f"{w}\t{int(c)}\n" for w, c in zip(words, counts)), encoding="utf-8")
        (tmp / CONFIG).write_text(to_json(mark(config or {}), sort_keys=True) + "\n", encoding="utf-8")
    return out


def _write_npy(path: Path, array: np.ndarray) -> None:
    """``np.save`` and a check that the whole array reached the file: numpy writes a real file with
    ``tofile``, which can lose a failed write (full disk, file-size limit) without raising."""
    with open(path, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        fh.flush()
        expected = fh.tell()
    if os.path.getsize(path) != expected or expected < array.nbytes:
        raise OSError(errno.ENOSPC, f"short write: {os.path.getsize(path):,} of {expected:,} bytes", str(path))


def read_config(path: str | os.PathLike) -> dict:
    """Read a model's ``config.json``; a missing file is ``{}``, a damaged one (not UTF-8 JSON holding
    an object) a one-line :class:`W2VError` naming the file."""
    path = Path(path)
    check_regular(path, "a config.json")
    if not path.is_file():
        return {}
    try:
        config = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise W2VError(f"{path} is damaged ({exc}); fix or delete it") from None
    except OSError as exc:
        raise W2VError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not isinstance(config, dict):
        raise W2VError(f"{path} is damaged (a JSON {type(config).__name__}, expected an object); fix or delete it")
    return config


def _load_table(path: Path, mmap: bool) -> np.ndarray:
    check_regular(path, "a .npy table")
    _check_npy_size(path)
    try:
        table = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise W2VError(f"cannot read {path}: {exc} (damaged or not a .npy file?)") from None
    if not isinstance(table, np.ndarray) or table.dtype.kind not in "fiu":
        raise W2VError(f"{path} holds {getattr(table, 'dtype', type(table))}, expected a float32 table")
    return table


def _check_npy_size(path: Path) -> None:
    """Refuse a ``.npy`` whose header declares more data than the file holds (a damaged or hostile header
    would otherwise make numpy allocate terabytes, or fail with a traceback)."""
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(fh)
            offset = fh.tell()
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise W2VError(f"cannot read {path}: {exc} (damaged or not a .npy file?)") from None
    need = math.prod(shape) * dtype.itemsize
    have = os.path.getsize(path) - offset
    if need > have:
        raise W2VError(f"{path}: its header declares shape {shape} ({need:,} bytes of data) but the file holds "
                       f"{have:,}; the file is damaged (cut short?)")


def read_model(path: str | os.PathLike, mmap: bool = False, context: bool = False
               ) -> tuple[np.ndarray, list[str], np.ndarray, dict, np.ndarray | None]:
    """Read an output directory's files: ``(table, words, counts, config, context or None)``.
    ``mmap=True`` memory-maps the arrays (read-only). Use :func:`w2v.load` for a table object.

    Refuses (:class:`W2VError`, one line naming the file) a table whose shape disagrees with the
    vocabulary, a table with a NaN or infinite value (naming the row and its word), and a damaged
    ``vocab.txt``. A damaged ``config.json`` (metadata only) gives a one-line warning on stderr and
    an empty config: the table and its words are still good.
    """
    path = Path(path)
    if not path.exists():
        remove_stale(path.absolute().parent)  # restores a model a killed writer had moved aside
    if not path.is_dir():
        raise W2VError(f"model directory not found: {path} (expected a directory with {EMBEDDINGS} and {VOCAB})")
    emb_path = path / EMBEDDINGS
    check_regular(emb_path, "a .npy table")
    if not emb_path.is_file():
        raise W2VError(f"{emb_path} is missing; is {path} a w2v output directory?")
    emb = _load_table(emb_path, mmap)
    words, counts = read_vocab(path / VOCAB)
    if emb.ndim != 2 or emb.shape[0] != len(words):
        raise W2VError(f"{emb_path} has shape {emb.shape} but {path / VOCAB} lists {len(words)} words")
    if emb.shape[1] == 0:
        raise W2VError(f"{emb_path} has shape {emb.shape}: vectors of no dimensions")
    check_finite_rows(emb, words, str(emb_path))
    try:
        config = read_config(path / CONFIG)
    except W2VError as exc:  # the table is fine: load it, say once what is missing (resuming needs the config)
        print(f"warning: {exc}; loading the table without it", file=sys.stderr)
        config = {}
    if config.get(FORMAT_KEY) == FORMAT:  # the directory's mark, not the model's metadata
        del config[FORMAT_KEY]
    ctx = None
    if context and (path / CONTEXT).is_file():
        ctx = _load_table(path / CONTEXT, mmap)
        if ctx.shape != emb.shape:
            raise W2VError(f"{path / CONTEXT} has shape {ctx.shape}, {emb_path} {emb.shape}")
        check_finite_rows(ctx, words, str(path / CONTEXT))
    return emb, words, counts, config, ctx


def read_ngrams(path: str | os.PathLike, words: Sequence[str], dim: int, buckets: int, mmap: bool = False
                ) -> np.ndarray | None:
    """The subword input table ``ngrams.npy`` of a model directory (``len(words) + buckets`` rows of
    ``dim``), or None if the directory has none; a table of another shape is a one-line error."""
    path = Path(path) / NGRAMS
    if not path.is_file():
        return None
    table = _load_table(path, mmap)
    if table.shape != (len(words) + buckets, dim):
        raise W2VError(f"{path} has shape {table.shape}, expected ({len(words)} words + {buckets} buckets, {dim})")
    return table


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
