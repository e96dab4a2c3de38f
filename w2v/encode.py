"""The encoded corpus as an artefact: corpus → ids once, read by every later run.

``python -m w2v.encode CORPUS --out DIR`` writes

* ``ids.i32`` – the corpus as int32 word ids (raw, memory-mapped when read);
* ``starts.npy`` – int64 sentence starts (``starts[-1] == len(ids)``);
* ``vocab.txt`` – ``word<TAB>count``, most frequent first: id *i* = line *i*;
* ``encoded.json`` – the corpus options, the corpus's identity (paths, sizes, mtimes) and statistics.

``python -m w2v.train DIR`` and ``python -m w2v.svd DIR`` take such a directory wherever they take a
corpus. Because the vocabulary is sorted by descending count, a stricter ``min_count`` or a
``max_vocab`` keeps a *prefix* of it, so one encoding serves every stricter setting: :func:`restrict`
drops the ids past the prefix in one numpy pass (the result equals encoding with those settings).
``cache_dir`` (``--cache-dir``) does the same implicitly: the first run encodes the corpus with
``min_count=1`` under a key made of the corpus's identity and the tokenizer options, later runs reuse it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np

from .cli import add_quiet, option, parser, run_cli
from .corpus import list_files
from .errors import W2VError
from .outdir import VOCAB, is_w2v_temporary, read_vocab, to_json, write_vocab
from .phrases import encode_phrased, file_digest
from .safety import (
    SignalGuard,
    check_not_input,
    deferred_signals,
    enospc,
    nearest_existing,
    owned_prefix,
    probe_writable,
    remove_stale,
    work_dir,
)
from .vocab import CorpusOptions, EncodedCorpus, Vocabulary, dedupe_sorted, encode_corpus, write_kept

META = "encoded.json"
IDS = "ids.i32"
STARTS = "starts.npy"
FORMAT = "w2v-encoded-1"
_CHUNK = 1 << 22


@dataclass
class EncodeConfig(CorpusOptions):
    """The options of ``python -m w2v.encode``: the corpus options and a vocabulary cap."""

    max_vocab: int | None = option(None, "keep only the N most frequent words", lo=1, all_zero=True)


def is_encoded(path: str | os.PathLike) -> bool:
    """True if ``path`` is a directory written by :func:`save_encoded`: its ``encoded.json`` is a regular
    file holding the format mark (a file of that name alone proves nothing)."""
    if str(path) == "-":
        return False
    meta = Path(path) / META
    try:
        if not stat.S_ISREG(os.stat(meta).st_mode) or os.path.getsize(meta) > 64 << 20:
            return False
        return json.loads(meta.read_bytes().decode("utf-8")).get("format") == FORMAT
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return False


def _replaceable(path: Path) -> bool:
    """``path`` may be replaced by an encoded corpus: missing, empty, or an encoded corpus holding
    nothing but its own files (a file of the user's put beside them is never deleted)."""
    if not os.path.lexists(path):
        return True
    if not path.is_dir():
        return False
    names = {e.name for e in path.iterdir() if not is_w2v_temporary(e.name)}
    return not names or (is_encoded(path) and names <= {META, IDS, STARTS, VOCAB})


def corpus_identity(corpus: str | os.PathLike) -> list[list]:
    """``[path, size, mtime_ns, ctime_ns, inode]`` of every file of ``corpus`` (what decides whether a cache
    is stale). The change time and inode catch a file edited in place whose size and modification time
    were kept (``touch -d``, an editor preserving mtime): a program can set mtime, not ctime, and a
    file replaced by another has a new inode. (A stale key only costs a new encoding, never a wrong one.)"""
    out = []
    for p in list_files(corpus):
        if str(p) == "-":
            raise W2VError("standard input cannot be cached; give a file or directory")
        st = p.stat()
        out.append([str(p.resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
    return out


def save_encoded(enc: EncodedCorpus, out: str | os.PathLike, meta: dict) -> Path:
    """Move/write ``enc`` into the directory ``out`` (replaced whole: written beside it, then renamed)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out.parent)  # what a killed run left
    tmp: Path | None = None
    try:
        with deferred_signals():  # a signal never falls between creating the directory and owning it
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{owned_prefix('.w2v-tmp')}", dir=out.parent))
        ids_src = getattr(enc.ids, "filename", None)
        if ids_src and Path(ids_src).parent != tmp:
            shutil.copyfile(ids_src, tmp / IDS)
        else:
            np.asarray(enc.ids, dtype=np.int32).tofile(tmp / IDS)
        if (tmp / IDS).stat().st_size != 4 * len(enc.ids):  # tofile can lose a failed write without raising
            raise W2VError(f"cannot write {out}: {tmp / IDS} is short (disk full or file-size limit?)")
        np.save(tmp / STARTS, np.asarray(enc.starts, dtype=np.int64), allow_pickle=False)
        write_vocab(tmp / VOCAB, enc.vocab.words, enc.vocab.counts)
        (tmp / META).write_text(to_json({"format": FORMAT, **meta, "stats": enc.stats}) + "\n", encoding="utf-8")
        if os.path.lexists(out):
            if not _replaceable(out):
                raise W2VError(f"{out} exists and is not an encoded corpus (or holds other files); "
                               "choose another --out")
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def load_encoded(path: str | os.PathLike) -> tuple[EncodedCorpus, dict]:
    """Read an encoded-corpus directory: ``(EncodedCorpus with memory-mapped ids, its metadata)``."""
    path = Path(path)
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise W2VError(f"cannot read {path / META}: {exc}") from None
    if meta.get("format") != FORMAT:
        raise W2VError(f"{path / META}: not a w2v encoded corpus (format {meta.get('format')!r})")
    words, counts = read_vocab(path / VOCAB)
    size = (path / IDS).stat().st_size if (path / IDS).is_file() else -1
    if size < 0 or size % 4:
        raise W2VError(f"{path / IDS} is missing or truncated")
    ids = np.memmap(path / IDS, dtype=np.int32, mode="r") if size else np.zeros(0, dtype=np.int32)
    starts = np.load(path / STARTS, allow_pickle=False)
    if len(starts) == 0 or starts[-1] != len(ids):
        raise W2VError(f"{path}: {STARTS} does not match {IDS} (damaged; re-encode)")
    return EncodedCorpus(ids, starts, Vocabulary(words, counts), dict(meta.get("stats", {}))), meta


def restrict(enc: EncodedCorpus, min_count: int, max_vocab: int | None, workdir: str | os.PathLike) -> EncodedCorpus:
    """The same corpus encoded with a stricter vocabulary: the ids of the kept prefix, rare words dropped,
    empty sentences removed (equal to encoding with ``min_count``/``max_vocab`` directly)."""
    n = int(np.searchsorted(-enc.vocab.counts, -min_count, side="right"))
    if max_vocab is not None:
        n = min(n, max_vocab)
    if n == len(enc.vocab):
        return enc
    if n == 0:
        raise W2VError(f"vocabulary is empty: no word occurs at least min_count={min_count} times "
                       f"(largest count {enc.vocab.counts.max()}); lower --min-count")
    return remap(enc, np.arange(n, dtype=np.int32),
                 Vocabulary(enc.vocab.words[:n], enc.vocab.counts[:n]), workdir)


def remap(enc: EncodedCorpus, mapping: np.ndarray, vocab: Vocabulary, workdir: str | os.PathLike) -> EncodedCorpus:
    """The corpus re-encoded to another vocabulary: id *i* becomes ``mapping[i]`` (ids past the end of
    ``mapping``, or mapped to -1, are dropped), empty sentences removed; ``vocab`` is the new vocabulary."""
    Path(workdir).mkdir(parents=True, exist_ok=True)
    ids_path = Path(workdir) / IDS
    table = np.full(len(enc.vocab), -1, dtype=np.int32)
    table[:len(mapping)] = mapping[:len(table)]

    def chunks():
        for c0 in range(0, len(enc.ids), _CHUNK):
            yield c0, table[np.asarray(enc.ids[c0:c0 + _CHUNK])]

    with open(ids_path, "wb") as out:
        new_starts, kept = write_kept(chunks(), enc.starts, len(enc.ids), out)
    ids = np.memmap(ids_path, dtype=np.int32, mode="r") if kept else np.zeros(0, dtype=np.int32)
    starts = dedupe_sorted(new_starts)  # drops sentences left empty (new_starts never decreases)
    stats = {**enc.stats, "vocab_size": len(vocab), "kept_tokens": kept, "sentences": len(starts) - 1}
    return EncodedCorpus(ids, starts, vocab, stats)


def open_corpus(corpus: str | os.PathLike, options: CorpusOptions, max_vocab: int | None,
                workdir: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
                progress: bool = True) -> EncodedCorpus:
    """The encoded corpus for a run: read from an encoded directory, from the cache, or encoded now.

    ``corpus`` may be text (file, directory, ``-``) or a directory from ``python -m w2v.encode``. With
    ``cache_dir`` the full encoding (``min_count=1``) is kept there for the next run with the same corpus
    files and tokenizer options. Scratch files go to ``workdir``.
    """
    if is_encoded(corpus):
        enc, meta = load_encoded(corpus)
        _check_compatible(meta, options, corpus)
        return restrict(enc, options.min_count, max_vocab, workdir)
    workers = getattr(options, "threads", None)  # a run's --threads also bounds its counting threads
    if cache_dir is None:
        return encode_text(corpus, workdir, options, options.min_count, max_vocab, progress, workers)
    remove_stale(cache_dir)  # half-written entries of killed runs
    # The key holds only what decides the ids: the files and the corpus options (not dim, epochs, ...),
    # so runs of different methods and settings on the same text share one encoding.
    tokenizer = {f.name: getattr(options, f.name) for f in fields(CorpusOptions) if f.name != "min_count"}
    if options.phrases is not None:  # the table's content, not its name: an edited table is another one
        tokenizer["phrases_sha1"] = file_digest(options.phrases)
    identity = corpus_identity(corpus)
    key = hashlib.sha1(json.dumps([identity, tokenizer], sort_keys=True).encode()).hexdigest()[:16]
    entry = Path(cache_dir) / f"w2v-encoded-{key}"
    if not is_encoded(entry):
        full = encode_text(corpus, workdir, options, 1, None, progress, workers)
        save_encoded(full, entry, {"corpus": str(corpus), "identity": identity, "options": {**tokenizer,
                                                                                           "min_count": 1}})
    elif progress:
        print(f"using the encoded corpus cached in {entry}", file=sys.stderr)
    enc, _ = load_encoded(entry)
    return restrict(enc, options.min_count, max_vocab, workdir)


def encode_text(corpus: str | os.PathLike, workdir: str | os.PathLike, options: CorpusOptions, min_count: int,
                max_vocab: int | None, progress: bool = True, workers: int | None = None) -> EncodedCorpus:
    """Encode text with the corpus ``options`` (phrases joined first when ``options.phrases`` is set)."""
    if options.phrases is not None:
        return encode_phrased(corpus, workdir, replace(options, min_count=min_count), max_vocab, progress, workers)
    return encode_corpus(corpus, workdir, min_count, max_vocab, options.lowercase, options.max_sentence_length,
                         progress, workers, tokenize=options.tokenize)


def _check_compatible(meta: dict, options: CorpusOptions, path) -> None:
    done = meta.get("options", {})
    done = {"tokenize": "whitespace", **done}  # encoded before the option existed: whitespace
    given = file_digest(options.phrases) if options.phrases is not None else None
    if done.get("phrases_sha1") != given:
        had = f"with the phrases of {done.get('phrases')}" if done.get("phrases_sha1") else "without phrases"
        want = f"with those of {options.phrases}" if given else "without"
        raise W2VError(f"{path} was encoded {had}, not {want}; re-encode it or give the same --phrases table")
    for name in ("lowercase", "max_sentence_length", "tokenize"):
        if name in done and done[name] != getattr(options, name):
            raise W2VError(f"{path} was encoded with {name}={done[name]!r}, not {getattr(options, name)!r}; "
                           "re-encode it or drop the option")
    if done.get("min_count", 1) > options.min_count:
        raise W2VError(f"{path} was encoded with min_count={done['min_count']}; a lower --min-count "
                       f"({options.min_count}) needs a new encoding")


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.encode", "Tokenize a corpus once into int32 ids + vocabulary; train and svd read the result "
               "(give the directory as their CORPUS) instead of re-tokenizing.")
    p.add_argument("corpus", help="text file (.gz/.bz2/.xz ok), directory of files, or - for stdin")
    p.add_argument("--out", required=True, help="output directory")
    EncodeConfig.add_arguments(p)  # no --cache-dir: this is the explicit cache
    add_quiet(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = EncodeConfig.from_args(args)
    out = Path(args.out)
    if not _replaceable(out):
        raise W2VError(f"--out {out} exists and is not an encoded corpus (or holds other files too); "
                       "choose another directory")
    check_not_input({"--out": out}, {"corpus": None if args.corpus == "-" else args.corpus})
    probe_writable(out, "--out")
    with SignalGuard(), work_dir(nearest_existing(out.parent)) as work:  # a signal: clean up, stop
        try:
            enc = encode_text(args.corpus, work, cfg, cfg.min_count, cfg.max_vocab, not args.quiet)
        except OSError as exc:
            raise W2VError(f"cannot write the encoded corpus ({exc.filename or work}): {exc.strerror or exc}"
                           f"{'; free space there' if enospc(exc) else ''}") from None
        identity = corpus_identity(args.corpus) if args.corpus != "-" else []
        options = asdict(cfg)
        if cfg.phrases is not None:
            options["phrases_sha1"] = enc.stats["phrases"]["sha1"]
        save_encoded(enc, out, {"corpus": str(args.corpus), "identity": identity, "options": options})
        del enc
    if not args.quiet:
        meta = json.loads((out / META).read_text(encoding="utf-8"))["stats"]
        print(f"{meta['tokens']:,} tokens, {meta['vocab_size']:,} words -> {out}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    run_cli(main)
