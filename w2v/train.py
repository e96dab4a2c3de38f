"""Train an embedding table with skip-gram (or CBOW) and negative sampling.

The corpus is encoded to int32 ids once (:mod:`w2v.vocab`); every epoch then runs over the
memory-mapped ids. Worker threads take jobs (runs of sentences, ~10k words each) in order
and call the compiled kernel, which releases the GIL; the main thread meanwhile updates the
progress bar. Each job seeds its own generator from (seed, epoch, job), so with one thread
a run is bit-for-bit reproducible.

CLI: ``python -m w2v.train CORPUS [--out DIR] [options]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import subwords, warmstart
from .cli import add_corpus, add_quiet, flag_name, parser, run_cli
from .config import TrainConfig
from .corpus import list_files
from .encode import is_encoded, open_corpus
from .errors import Interrupted, W2VError
from .outdir import CONFIG, EMBEDDINGS, check_output_dir, read_config, versions
from .resume import RunState, check_resumable, corpus_digest, load_run, partial_info, resume_options
from .safety import SignalGuard, check_disk, check_memory, check_not_input, enospc, human, probe_writable, work_dir
from .vectors import Vectors
from .vocab import EncodedCorpus, keep_probabilities, noise_distribution
from .warmstart import StartOptions

JOB_WORDS = 10_000
HELDOUT_TOKENS = 50_000  # held out of training at the end of the corpus (at most 1 % of it) to score each epoch
PARTIAL_SUFFIX = ".partial"  #: a partial run beside a complete model goes to <out>.partial


def job_bounds(starts: np.ndarray, job_words: int = JOB_WORDS) -> np.ndarray:
    """Sentence indices that cut the corpus into jobs of about ``job_words`` words each."""
    n_sent = len(starts) - 1
    if n_sent <= 0:
        return np.zeros(1, dtype=np.int64)
    block = starts[:-1] // job_words
    cuts = np.flatnonzero(np.diff(block)) + 1
    return np.concatenate([[0], cuts, [n_sent]]).astype(np.int64)


def heldout_split(starts: np.ndarray, n_tokens: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Sentence starts of the part trained on and of the held-out tail: the last
    ``min(HELDOUT_TOKENS, n_tokens // 100)`` tokens (a sentence straddling the cut is cut)."""
    held = min(HELDOUT_TOKENS, n_tokens // 100)
    if held == 0:
        return starts, None
    cut = n_tokens - held
    return np.append(starts[starts < cut], cut), np.concatenate([[cut], starts[starts > cut]])


def _run_epochs(enc: EncodedCorpus, cfg: TrainConfig, progress: bool, state: RunState | None = None,
                should_stop: Callable[[], bool] = lambda: False,
                on_epoch: Callable[[RunState], None] | None = None, frozen: int = 0) -> tuple[RunState, dict]:
    """Run the epochs from ``state`` (default: fresh tables) until done or ``should_stop()``; input
    rows below ``frozen`` do not move.

    ``should_stop`` is polled before each job is handed out: the jobs already running finish, and
    the returned state's ``(epoch, job)`` is the first job not run. ``on_epoch`` is called with the
    state after every epoch but the last (checkpoints).
    """
    from . import kernels  # imported here: numba compiles on first use, not on `import w2v`

    V, dim = len(enc.vocab), cfg.dim
    rows = subword_rows(enc.vocab.words, cfg)
    if state is None:
        if rows is not None:
            syn0 = subwords.input_table(enc.vocab.words, spec_of(cfg), dim, cfg.seed)
        else:
            rng = np.random.default_rng(cfg.seed)
            syn0 = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
        syn1 = np.zeros((V, dim), dtype=np.float32)
        state = RunState(syn0, syn1)
    syn0, syn1 = state.syn0, state.syn1
    keep = keep_probabilities(enc.vocab.counts, cfg.sample)
    # zero epochs (--from): unused, and a bare table with no new text has no counts to draw from
    noise = noise_distribution(enc.vocab.counts, cfg.ns_exponent) if cfg.epochs else np.full(V, 1.0 / V)
    if not np.isfinite(noise).all():
        raise W2VError(f"invalid --ns-exponent {cfg.ns_exponent}: the noise distribution count**exponent "
                       "overflows; use a value near 0.75")
    alias_prob, alias_idx = kernels.build_alias(noise)
    starts, heldout_starts = heldout_split(enc.starts, len(enc.ids))
    bounds = job_bounds(starts)
    n_jobs = len(bounds) - 1
    corpus_words = int(starts[-1])
    total_words = cfg.epochs * corpus_words

    bar = tqdm(total=total_words, unit="w", unit_scale=True, desc="train", disable=None if progress else True,
               dynamic_ncols=True, smoothing=0.1)
    bar.update(state.epoch * corpus_words + (int(starts[bounds[state.job]]) if state.job < n_jobs else 0))
    if rows is not None:  # the same kernels with each word's input rows (w2v.subword_kernels)
        from . import subword_kernels

        drift = subword_kernels.row_drift(*rows)

        def train_job(syn0, syn1, *args):  # the last argument, frozen rows, is always 0 (no --freeze-old)
            return subword_kernels.train_job(syn0, syn1, *rows, drift, *args[:-1])

        def eval_loss(syn0, syn1, *args):
            return subword_kernels.eval_loss(syn0, syn1, *rows, *args)
    else:
        train_job, eval_loss = kernels.train_job, kernels.eval_loss
    # An empty job first: numba compiles (or loads its cache) here, outside the timed epochs.
    t_compile = time.perf_counter()
    train_job(syn0, syn1, enc.ids, starts, 0, 0, keep, alias_prob, alias_idx, cfg.window, cfg.negative,
              cfg.cbow, cfg.shared_negatives, cfg.alpha, cfg.min_alpha, 0, total_words, 0, frozen)
    compile_seconds = time.perf_counter() - t_compile
    t_start = time.perf_counter()
    stopped = False
    heldout_seconds = 0.0
    # each worker's CPU seconds and corpus words over the run (thread scaling: a thread that got less CPU
    # than the wall time was descheduled; one that got it all but did fewer words ran slower per word)
    thread_cpu = np.zeros(cfg.threads)
    thread_words = np.zeros(cfg.threads, dtype=np.int64)
    for epoch in range(state.epoch, cfg.epochs):
        t_epoch = time.perf_counter()
        lock = threading.Lock()
        first = state.job if epoch == state.epoch else 0
        next_job = iter(range(first, n_jobs))
        handed = [first]  # jobs handed out so far: every one handed out is finished before we stop
        tally = np.zeros((cfg.threads, 4), dtype=np.float64)  # nll, pairs, words, trained
        if first:
            tally[0] = state.tally
        errors: list[BaseException] = []

        def worker(tid: int, epoch: int = epoch, next_job=next_job, lock=lock, tally=tally,
                   errors=errors, handed=handed) -> None:
            cpu0 = time.thread_time()
            try:
                while True:
                    with lock:
                        j = None if should_stop() else next(next_job, None)
                        if j is None:
                            thread_cpu[tid] += time.thread_time() - cpu0
                            return
                        handed[0] = j + 1
                    s0, s1 = int(bounds[j]), int(bounds[j + 1])
                    seed = (cfg.seed * 1_000_003 + epoch) * 10_000_019 + j
                    nll, pairs, done, trained = train_job(
                        syn0, syn1, enc.ids, starts, s0, s1, keep, alias_prob, alias_idx,
                        cfg.window, cfg.negative, cfg.cbow, cfg.shared_negatives, cfg.alpha,
                        cfg.min_alpha, epoch * corpus_words + int(starts[s0]), total_words,
                        seed % (1 << 63), frozen,
                    )
                    tally[tid] += (nll, pairs, done, trained)
                    thread_words[tid] += done
            except ArithmeticError:  # the tables overflowed: a learning rate far too large
                errors.append(W2VError(f"training diverged in epoch {epoch + 1} (arithmetic error in the "
                                       f"kernel); lower --alpha (now {cfg.alpha})"))
            except BaseException as exc:  # surfaced in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(cfg.threads)]
        for t in threads:
            t.start()
        shown = int(tally[:, 2].sum())
        while any(t.is_alive() for t in threads):
            threads[0].join(0.1)
            done = int(tally[:, 2].sum())
            pairs = tally[:, 1].sum()
            if done > shown:
                bar.update(done - shown)
                shown = done
                lr = kernels.learning_rate(epoch * corpus_words + done, total_words, cfg.alpha, cfg.min_alpha)
                bar.set_postfix_str(
                    f"epoch {epoch + 1}/{cfg.epochs} lr {lr:.5f} loss {tally[:, 0].sum() / max(pairs, 1):.4f}",
                    refresh=False)
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        bar.update(int(tally[:, 2].sum()) - shown)
        totals = tally.sum(axis=0) if cfg.threads > 1 else tally[0]
        if handed[0] < n_jobs:  # stopped inside the epoch
            state.epoch, state.job, state.tally = epoch, handed[0], [float(x) for x in totals]
            stopped = True
            break
        state.epoch_seconds.append(time.perf_counter() - t_epoch)
        _check_epoch(syn0, syn1, totals, epoch, cfg, enc)
        state.epoch_loss.append(float(totals[0] / max(totals[1], 1)))
        if heldout_starts is not None:  # the same pairs and noise words every epoch, frozen tables
            t_eval = time.perf_counter()
            state.heldout_loss.append(float(eval_loss(syn0, syn1, enc.ids, heldout_starts, keep, alias_prob,
                                                              alias_idx, cfg.window, cfg.negative, cfg.cbow, cfg.seed)))
            heldout_seconds += time.perf_counter() - t_eval
            if progress:
                bar.write(f"epoch {epoch + 1}/{cfg.epochs}: held-out loss {state.heldout_loss[-1]:.4f} "
                          f"(online training loss {state.epoch_loss[-1]:.4f})")
        state.words_trained += int(totals[3])
        state.epoch, state.job, state.tally = epoch + 1, 0, [0.0, 0.0, 0.0, 0.0]
        if on_epoch is not None and epoch + 1 < cfg.epochs and not should_stop():
            on_epoch(state)
    bar.close()
    seconds = time.perf_counter() - t_start
    info = {
        "epoch_loss": state.epoch_loss,
        "heldout_loss": state.heldout_loss,
        "heldout_tokens": len(enc.ids) - corpus_words,
        "heldout_seconds": round(heldout_seconds, 3),
        "epoch_seconds": [round(s, 3) for s in state.epoch_seconds],
        "train_seconds": round(seconds, 3),
        "words_per_second": round(total_words / max(seconds, 1e-9)),
        "words_trained_after_subsampling": state.words_trained,
        "jobs_per_epoch": n_jobs,
        "thread_cpu_seconds": [round(float(x), 3) for x in thread_cpu],
        "thread_words": [int(x) for x in thread_words],
        "compile_seconds": round(compile_seconds, 3),
    }
    if stopped or state.epoch < cfg.epochs:
        words_done = state.epoch * corpus_words + (int(starts[bounds[state.job]]) if state.job < n_jobs else 0)
        info["partial"] = partial_info(state, n_jobs, words_done, total_words, "")
    return state, info


def _check_epoch(syn0: np.ndarray, syn1: np.ndarray, totals: np.ndarray, epoch: int, cfg: TrainConfig,
                 enc: EncodedCorpus) -> None:
    """After an epoch: refuse a run that trained nothing or whose tables are no longer finite."""
    if totals[1] == 0:
        st = enc.stats
        raise W2VError(
            f"training updated nothing: no word had a context word in epoch {epoch + 1} "
            f"({st.get('kept_tokens', 0):,} kept tokens in {st.get('sentences', 0):,} sentences; a sentence needs "
            f"two kept words). Is the corpus one word a line, or --max-sentence-length ({cfg.max_sentence_length}) "
            f"or --min-count ({cfg.min_count}) too small, or does --sample ({cfg.sample:g}) drop nearly every word "
            "of a tiny corpus?")
    for name, table in (("input", syn0), ("output", syn1)):
        if not np.isfinite(np.sum(table, dtype=np.float64)):  # one pass, no temporary the size of the table
            raise W2VError(f"training diverged: the {name} vectors hold NaN or infinity after epoch {epoch + 1}; "
                           f"lower --alpha (now {cfg.alpha})")


def train_embeddings(corpus: str | os.PathLike | None, out: str | os.PathLike | None = None, progress: bool = True,
                     cache_dir: str | os.PathLike | None = None, config: TrainConfig | None = None,
                     force: bool = False, checkpoint: bool = False, resume: str | os.PathLike | None = None,
                     stop: Callable[[], bool] | None = None, start_from=None, **options) -> Vectors:
    """Learn an embedding table from ``corpus`` (file, directory or ``-``); returns it as :class:`Vectors`
    (``matrix``, ``words``, ``counts``, the run's ``info`` and the output vectors as ``context``).

    ``options`` are the fields of :class:`TrainConfig` (``dim``, ``window``, ``negative``, ``epochs``,
    ``alpha``, ``cbow``, ``threads``, ``seed`` ...), or pass a validated ``config``. With ``out``, the
    table is also saved there (``embeddings.npy``, ``vocab.txt``, ``config.json``; ``context.npy`` with
    ``save_context``), replacing the directory whole; a non-empty directory that is not a w2v model is
    refused unless ``force``. The output location, free space and memory are checked before the work
    (:mod:`w2v.safety`). ``corpus`` may also be an encoded corpus (``python -m w2v.encode``); with
    ``cache_dir`` the encoding is kept there and reused by later runs on the same files.

    ``checkpoint=True`` saves the run to ``out`` after every epoch as a partial model; ``resume=DIR``
    continues a partial or checkpointed run saved in ``DIR`` with its options (``corpus`` may be None
    to use the saved corpus path; only ``threads`` may change). SIGINT and SIGTERM (and ``stop()``
    turning true, polled between jobs) stop the run after the current jobs: a partial model is saved to
    ``out`` and :class:`~w2v.errors.Interrupted` is raised (its ``result`` holds the partial table).

    ``start_from=MODEL`` (anything :func:`w2v.load` reads, or a :class:`Vectors`) starts from that table
    instead of noise (:mod:`w2v.warmstart`), with the options ``vocab``, ``counts`` and ``freeze_old``
    (:class:`~w2v.warmstart.StartOptions`); ``dim`` defaults to the table's, and ``epochs=0`` is allowed.
    """
    start_opts = {k: options.pop(k) for k in [f.name for f in StartOptions.options()] if k in options}
    if start_opts and start_from is None:
        raise W2VError(f"{', '.join(start_opts)} only apply to a run started from a table (start_from, --from)")
    if config is not None and options:
        raise W2VError("give either config or keyword options, not both")
    start = None
    model = None
    if start_from is not None:
        if resume is not None:
            raise W2VError("--from and --resume do not go together (a resumed run continues its own tables)")
        model = warmstart.load_model(start_from)
        if config is None:
            options.setdefault("dim", model.dim)
            spec = model.subword_spec
            if spec is not None and options.get("subwords"):  # n-grams cut as the model's unless told
                for key, value in (("minn", spec.minn), ("maxn", spec.maxn), ("buckets", spec.buckets)):
                    options.setdefault(key, value)
    if resume is not None:
        if config is not None:
            raise W2VError("resume keeps the saved options: pass only keyword options that may change (threads)")
        given = options
        saved_config, saved_words, saved_counts, start = load_run(resume)
        cfg = TrainConfig.from_kwargs(**resume_options(saved_config, given, TrainConfig, resume))
        corpus = corpus if corpus is not None else saved_config.get("corpus")
    else:
        cfg = config.validate() if config is not None else TrainConfig.from_kwargs(**options)
    if corpus is None:
        raise W2VError("no corpus given")
    if cfg.epochs == 0 and start_from is None and resume is None:
        raise W2VError("invalid --epochs 0: zero epochs only make sense with --from MODEL (the table as it is)")
    sopts = StartOptions.from_kwargs(**start_opts)
    if checkpoint and out is None:
        raise W2VError("--checkpoint needs an output directory (--out)")
    _check_paths(corpus, out, cache_dir, force, resume)
    partial_out = partial_dir(out, resume)
    beside = partial_out is not None and os.path.realpath(partial_out) != os.path.realpath(out)
    t0 = time.perf_counter()
    with SignalGuard() as guard:
        should_stop = guard.requested if stop is None else (lambda: guard.requested() or stop())
        with work_dir() as workdir:
            lineage, frozen = saved_config.get("start_from") if resume is not None else None, 0
            blend = None  # --blend-old: the rows pulled back toward the starting table's at the end
            try:
                if model is not None:
                    warm = warmstart.prepare(start_from, corpus, cfg, sopts, workdir, cache_dir, progress, model)
                    enc, start, frozen, lineage, blend = warm.enc, warm.state, warm.frozen, warm.lineage, warm.blend
                    del model, warm
                elif lineage:  # a run started from a table: its corpus encoded to the run's own vocabulary
                    enc = warmstart.encode_to(corpus, saved_words, saved_counts, cfg, workdir, cache_dir, progress)
                    frozen = lineage["old_words"] if lineage.get("freeze_old") else 0
                    if lineage.get("blend_old"):
                        blend = warmstart.reload_blend(lineage, saved_words, cfg.subwords)
                else:
                    enc = open_corpus(corpus, cfg, cfg.max_vocab, workdir, cache_dir, progress)
            except OSError as exc:
                raise W2VError(f"cannot write the encoded corpus ({exc.filename or workdir}): {exc.strerror or exc}"
                               f"{'; free space there' if enospc(exc) else ''}") from None
            if progress and enc.stats.get("invalid_utf8"):
                print(f"warning: replaced {enc.stats['invalid_utf8']} invalid UTF-8 sequence(s) in {corpus}",
                      file=sys.stderr)
            if resume is not None and (enc.vocab.words != saved_words or
                                      not np.array_equal(enc.vocab.counts, saved_counts)):
                raise W2VError(f"the corpus {corpus} is not the one the run in {resume} was trained on "
                               "(its vocabulary or counts differ)")
            _check_resources(len(enc.vocab), cfg, out, checkpoint)
            if lineage and len(enc.ids) == 0 and cfg.epochs:  # an empty corpus: nothing moves
                if progress:
                    print(f"warning: {corpus} has no words of the run's vocabulary: the table is given back as "
                          "it is", file=sys.stderr)
                cfg = replace(cfg, epochs=0)
            train_starts = heldout_split(enc.starts, len(enc.ids))[0]
            n_jobs = len(job_bounds(train_starts)) - 1
            digest: list[str] = []  # the token stream's SHA-1, computed when a partial run is first saved

            def stream_digest() -> str:
                if not digest:
                    digest.append(corpus_digest(enc))
                return digest[0]

            if resume is not None:  # (``start`` is also a --from run's seeded tables)
                check_resumable(start, saved_config, cfg.epochs, n_jobs, stream_digest(), corpus, resume)

            def make(state: RunState, run_info: dict) -> Vectors:
                info = {"method": "cbow" if cfg.cbow else "sgns", "corpus": str(corpus), **asdict(cfg),
                        "corpus_stats": enc.stats, **run_info, "total_seconds": round(time.perf_counter() - t0, 3),
                        "versions": versions("numba"), **({"start_from": lineage} if lineage else {})}
                if cfg.subwords:  # embeddings.npy: each word's composed vector; ngrams.npy: the input table
                    table = subwords.compose_words(state.syn0, *subword_rows(enc.vocab.words, cfg))[0]
                    return Vectors(table, enc.vocab.words, enc.vocab.counts, info, context=state.syn1,
                                   ngrams=state.syn0)
                return Vectors(state.syn0, enc.vocab.words, enc.vocab.counts, info, context=state.syn1)

            def save_partial(state: RunState, run_info: dict, reason: str) -> None:
                vec = make(state, run_info)
                vec.info["partial"] = {**vec.info.get("partial", {}), "reason": reason}
                vec.info["resume_state"] = {**state.to_config(), "corpus_sha1": stream_digest()}
                vec.save(partial_out, context=True, force=force)

            def on_epoch(state: RunState) -> None:
                words = state.epoch * int(train_starts[-1])
                save_partial(state, {"partial": partial_info(state, n_jobs, words, cfg.epochs * int(train_starts[-1]),
                                                             "checkpoint")}, "checkpoint")

            with guard.stopping():
                state, run_info = _run_epochs(enc, cfg, progress, start, should_stop,
                                              on_epoch if checkpoint else None, frozen)
                if "partial" in run_info and out is not None:
                    stream_digest()  # before the ids go
                if blend is not None and "partial" not in run_info:
                    blend.apply(state, len(enc.vocab))
                    del blend
                del enc.ids
                result = make(state, run_info)
                if "partial" in run_info:
                    reason = guard.name or "stop()"
                    if out is not None:
                        save_partial(state, run_info, reason)
                    p = run_info["partial"]
                    kept = f"; the previous model in {out} is untouched" if beside else ""
                    where = (f"partial model saved to {partial_out}{kept} (resume with: python -m w2v.train "
                             f"--resume {partial_out})" if out is not None else "nothing saved (no output directory)")
                    raise Interrupted(f"interrupted by {reason} after {p['epochs_done']} of {cfg.epochs} epochs "
                                      f"and {p['jobs_done']} of {p['jobs_per_epoch']} jobs of the next; {where}",
                                      guard.signum or signal.SIGINT, result)
                if out is not None:
                    result.save(out, context=cfg.save_context, force=force)
                    if beside and partial_out.is_dir() and (checkpoint or resume is not None):
                        shutil.rmtree(partial_out, ignore_errors=True)  # its run is complete now
        if guard.requested():  # a signal during the final save: the model is complete, but say so
            raise Interrupted(f"interrupted by {guard.name} as the run ended; the model in {out} is complete",
                              guard.signum, result)
    return result


def partial_dir(out: str | os.PathLike | None, resume: str | os.PathLike | None = None) -> Path | None:
    """Where a stopped or checkpointed run is saved: ``out`` itself, unless ``out`` holds a complete model
    (which a partial run must not replace), then the sibling ``<out>.partial``."""
    if out is None:
        return None
    out = Path(out)
    if resume is not None and os.path.realpath(resume) == os.path.realpath(out):
        return out
    if not (out / CONFIG).is_file() and not (out / EMBEDDINGS).is_file():
        return out
    try:
        complete = "partial" not in read_config(out / CONFIG)
    except W2VError:
        complete = True
    absolute = Path(os.path.abspath(out))  # "." has no name to add .partial to
    return absolute.with_name(absolute.name + PARTIAL_SUFFIX) if complete else out


def _check_paths(corpus, out, cache_dir, force: bool, resume) -> None:
    """Refuse, before any work, outputs that would overwrite an input or cannot be written."""
    corpus_path = None if str(corpus) == "-" else corpus
    if out is not None:
        check_not_input({"--out": out}, {"corpus": corpus_path})
        if resume is None or os.path.realpath(out) != os.path.realpath(resume):
            check_output_dir(out, force)
        else:
            probe_writable(out, "--out")
    if cache_dir is not None:
        if Path(cache_dir).exists() and not Path(cache_dir).is_dir():
            raise W2VError(f"--cache-dir {cache_dir} is not a directory")
        cache, target = Path(os.path.realpath(cache_dir)), Path(os.path.realpath(out)) if out is not None else None
        if target is not None and (cache == target or target in cache.parents):
            raise W2VError(f"--cache-dir {cache_dir} lies inside --out {out}, which is replaced when the model is "
                           "saved; choose a --cache-dir outside it")
        probe_writable(cache_dir, "--cache-dir")
    scratch = tempfile.gettempdir()
    probe_writable(scratch, "the temporary directory (TMPDIR)")
    if corpus_path is not None and not is_encoded(corpus_path):
        files = list_files(corpus_path)
        size = sum(p.stat().st_size * (3 if p.suffix.lower() in (".gz", ".bz2", ".xz") else 1) for p in files)
        tokens = size // 6  # English text averages about 6 bytes a token
        what = f"the encoded corpus (~{tokens:,} tokens estimated from {human(size)} of text, 4 bytes a token"
        check_disk(scratch, 8 * tokens, what + ", twice while encoding)", "set TMPDIR to a larger disk")
        if cache_dir is not None:
            check_disk(cache_dir, 4 * tokens, what + ")", "use a --cache-dir on a larger disk")


def spec_of(cfg: TrainConfig) -> subwords.SubwordSpec:
    return subwords.SubwordSpec(cfg.minn, cfg.maxn, cfg.buckets if cfg.maxn else 0)


def subword_rows(words: list[str], cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """With ``--subwords``: each word's input rows (its own, then its n-grams') as CSR arrays."""
    return subwords.word_rows(words, spec_of(cfg)) if cfg.subwords else None


def _check_resources(vocab_size: int, cfg: TrainConfig, out, checkpoint: bool) -> None:
    """Refuse, before the tables are allocated, a run whose tables do not fit in memory or whose
    model does not fit on the output disk."""
    table = vocab_size * cfg.dim * 4
    ngram_table = (vocab_size + spec_of(cfg).buckets) * cfg.dim * 4 if cfg.subwords else 0
    if cfg.subwords:
        check_memory(2 * table + ngram_table,
                     f"the subword input table ({vocab_size:,} words + {spec_of(cfg).buckets:,} buckets x {cfg.dim} "
                     f"dims x 4 bytes) and the output and composed tables", "lower --buckets or --dim")
    else:
        check_memory(2 * table, f"the input and output tables ({vocab_size:,} words x {cfg.dim} dims x 4 bytes x 2)",
                     "lower --dim or --max-vocab, or raise --min-count")
    if out is not None:
        n_tables = 2 if (cfg.save_context or checkpoint) else 1
        need = n_tables * table + vocab_size * 24 + ngram_table
        check_disk(out, need, f"the model ({n_tables} table(s) of {vocab_size:,} x {cfg.dim} float32)")


def train(*args, **kwargs) -> Vectors:
    """Deprecated name of :func:`train_embeddings` (``w2v.train`` is the module ``python -m w2v.train`` runs)."""
    import warnings

    warnings.warn("w2v.train.train is deprecated; use w2v.train_embeddings", DeprecationWarning, stacklevel=2)
    return train_embeddings(*args, **kwargs)


def default_out(corpus: str) -> Path:
    """``corpus`` → ``<name>-w2v`` in the current directory (``stdin-w2v`` for ``-``)."""
    if corpus == "-":
        return Path("stdin-w2v")
    name = Path(corpus.rstrip("/")).name
    for suffix in (".gz", ".bz2", ".xz", ".txt"):
        name = name.removesuffix(suffix)
    return Path(f"{name or 'corpus'}-w2v")


def build_parser() -> argparse.ArgumentParser:
    p = parser("w2v.train", "Learn a word-embedding table with skip-gram negative sampling (or CBOW).")
    add_corpus(p, "output directory (default: <corpus name>-w2v; with --resume: DIR)", optional=True)
    TrainConfig.add_arguments(p)
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="train on a Dask cluster: a scheduler address (tcp://host:8786) or local:N for N "
                        "single-thread worker processes here (needs pip install 'w2v[cluster]')")
    p.add_argument("--neighbors", nargs="*", default=None, metavar="WORD",
                   help="after training, print nearest neighbours of these words")
    add_quiet(p)
    p.add_argument("--force", action="store_true",
                   help="write into --out even if it is a non-empty directory that is not a w2v model "
                        "(its other files are kept)")
    p.add_argument("--checkpoint", action="store_true",
                   help="save the run to --out after every epoch (a partial model --resume continues)")
    p.add_argument("--from", dest="start_from", metavar="MODEL",
                   help="start from this table (a model directory, word2vec or GloVe file) instead of noise: its "
                        "words first, in their order (row ids kept), then CORPUS's new words; its output vectors "
                        "too when it was saved with --save-context. --dim defaults to the table's; --epochs 0 "
                        "gives the table back")
    StartOptions.add_arguments(p)
    p.add_argument("--resume", metavar="DIR",
                   help="continue the partial or checkpointed run saved in DIR with its options (only --threads "
                        "may change; CORPUS defaults to the saved one). SIGINT/SIGTERM save such a partial run.")
    return p


def _neighbours(vec: Vectors, words: list[str], topn: int = 8) -> list[str]:
    return [f"{w}: " + ", ".join(f"{n} {c:.2f}" for n, c in vec.most_similar(w, topn=topn)) if w in vec
            else f"{w}: not in vocabulary" for w in words]


def _final_loss(info: dict) -> str:
    if not info.get("epoch_loss"):
        return "no training"
    if info.get("heldout_loss"):
        return f"held-out loss from {info['heldout_loss'][0]:.4f} to {info['heldout_loss'][-1]:.4f}"
    return f"final training loss {info['epoch_loss'][-1]:.4f}"


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    args = p.parse_args(argv)
    common = dict(progress=not args.quiet, cache_dir=args.cache_dir, force=args.force, checkpoint=args.checkpoint)
    if args.resume and args.cluster:
        raise W2VError("--checkpoint and --resume are not available with --cluster")
    start = {f.name: getattr(args, f.name) for f in StartOptions.options() if getattr(args, f.name) != f.default}
    if args.start_from is None and start:
        raise W2VError(f"{', '.join(flag_name(k) for k in start)} only apply with --from MODEL")
    if args.start_from is not None:
        if args.cluster or args.resume:
            raise W2VError(f"--from does not go with {'--cluster' if args.cluster else '--resume'}")
        if args.corpus is None:
            raise W2VError("the following arguments are required: corpus")
        given = {f.name: getattr(args, f.name) for f in TrainConfig.options()}
        typed = sys.argv[1:] if argv is None else argv
        for name in ("dim", "minn", "maxn", "buckets"):  # not given: the table's
            flag = flag_name(name)
            if not any(a == flag or a.startswith(flag + "=") for a in typed):
                del given[name]
        out = Path(args.out) if args.out else default_out(args.corpus)
        result = train_embeddings(args.corpus, out=out, start_from=args.start_from, **common, **given, **start)
        _summary(args, result, out)
        return 0
    if args.resume:  # only the options given on the command line (they must agree with the saved run)
        given = {f.name: getattr(args, f.name) for f in TrainConfig.options()
                 if getattr(args, f.name) != p.get_default(f.name)}
        out = Path(args.out) if args.out else Path(args.resume.rstrip("/").removesuffix(PARTIAL_SUFFIX))
        result = train_embeddings(args.corpus, out=out, resume=args.resume, **common, **given)
    else:
        if args.corpus is None:
            raise W2VError("the following arguments are required: corpus")
        out = Path(args.out) if args.out else default_out(args.corpus)
        if args.cluster and args.epochs == 0:
            raise W2VError("invalid --epochs 0: zero epochs only make sense with --from MODEL (the table as it is)")
        if args.cluster:
            from .cluster import train_on_cluster

            if args.checkpoint:
                raise W2VError("--checkpoint and --resume are not available with --cluster")
            if args.subwords:
                raise W2VError("--subwords is not available with --cluster; train with threads on one machine")
            result = train_on_cluster(args.corpus, args.cluster, out=out, config=TrainConfig.from_args(args),
                                      progress=not args.quiet, force=args.force)
        else:
            result = train_embeddings(args.corpus, out=out, config=TrainConfig.from_args(args), **common)
    _summary(args, result, out)
    return 0


def _summary(args: argparse.Namespace, result: Vectors, out: Path) -> None:
    if not args.quiet:
        info = result.info
        st = info["corpus_stats"]
        print(f"{info['method']}: {st['tokens']:,} tokens, {len(result):,} words x {result.dim} dims, "
              f"{info['epochs']} epochs in {info['train_seconds']:.1f}s "
              f"({info['words_per_second']:,.0f} words/s), {_final_loss(info)} -> {out}/")
    if args.neighbors:
        print("\n".join(_neighbours(result, args.neighbors)))


if __name__ == "__main__":
    run_cli(main)
