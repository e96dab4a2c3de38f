"""Partial runs, checkpoints and resuming them (used by :mod:`w2v.train`).

A stopped or checkpointed run is saved as an ordinary model directory — the table loads like any
other — whose ``config.json`` holds two extra keys:

* ``partial``: what was done (``epochs_done``, ``jobs_done`` of ``jobs_per_epoch`` in the current
  epoch, ``words_done`` of ``words_total``) and why it stopped (``SIGINT``, ``SIGTERM``, ``checkpoint``);
* ``resume_state``: the next epoch and job, the running loss tallies of the current epoch and
  the per-epoch history,

and whose ``context.npy`` holds the output vectors. Every job seeds its generator from
``(seed, epoch, job)`` and its learning rate from the words before it, so continuing from the
saved tables at the saved job gives, with one thread, the very table an uninterrupted run gives.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from .errors import W2VError
from .outdir import CONFIG, CONTEXT, EMBEDDINGS, NGRAMS, read_config, read_model, read_ngrams

#: Options a resumed run may change: they do not change the result (with one thread).
FREE_ON_RESUME = ("threads",)


@dataclass
class RunState:
    """Where a run stands between two jobs: the tables and the schedule position."""

    syn0: np.ndarray
    syn1: np.ndarray
    epoch: int = 0  # the epoch to run next (== epochs when done)
    job: int = 0  # the first job of ``epoch`` not yet run
    tally: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])  # nll, pairs, words, trained
    epoch_loss: list[float] = field(default_factory=list)
    heldout_loss: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    words_trained: int = 0

    def to_config(self) -> dict:
        """The ``resume_state`` entry of ``config.json`` (floats round-trip exactly through JSON)."""
        return {"epoch": self.epoch, "job": self.job, "tally": [float(x) for x in self.tally],
                "epoch_loss": list(self.epoch_loss), "heldout_loss": list(self.heldout_loss),
                "epoch_seconds": list(self.epoch_seconds),
                "words_trained": int(self.words_trained)}


def partial_info(state: RunState, jobs_per_epoch: int, words_done: int, words_total: int, reason: str) -> dict:
    """The ``partial`` entry of ``config.json``."""
    return {"reason": reason, "epochs_done": state.epoch, "jobs_done": state.job, "jobs_per_epoch": jobs_per_epoch,
            "words_done": int(words_done), "words_total": int(words_total)}


def load_run(path: str | os.PathLike) -> tuple[dict, list[str], np.ndarray, RunState]:
    """Read a partial or checkpointed run: ``(config, words, counts, state)``."""
    path = Path(path)
    config = read_config(path / CONFIG)  # strict: a damaged config cannot be resumed
    table, words, counts, _, context = read_model(path, context=True)
    if config.get("subwords") is True:  # the input table is the n-gram table (words' own rows first)
        table = read_ngrams(path, words, table.shape[1], int(config["buckets"]) if config.get("maxn") else 0)
        if table is None:
            raise W2VError(f"{path / NGRAMS} is missing: a partial subword run needs its input table to resume")
    saved = config.get("resume_state")
    if not isinstance(saved, dict):
        if not config:
            raise W2VError(f"{path / CONFIG} is missing; cannot resume a run without it")
        raise W2VError(f"{path} is a complete model, not a partial or checkpointed run: nothing to resume "
                       "(train with --checkpoint, or stop a run with Ctrl-C or SIGTERM, to get one)")
    if context is None:
        raise W2VError(f"{path / CONTEXT} is missing: a partial run needs its output vectors to resume")
    try:
        state = RunState(
            syn0=np.array(table, dtype=np.float32, order="C"),
            syn1=np.array(context, dtype=np.float32, order="C"),
            epoch=int(saved["epoch"]), job=int(saved["job"]), tally=[float(x) for x in saved["tally"]],
            epoch_loss=[float(x) for x in saved["epoch_loss"]],
            heldout_loss=[float(x) for x in saved.get("heldout_loss", [])],
            epoch_seconds=[float(x) for x in saved["epoch_seconds"]],
            words_trained=int(saved["words_trained"]),
        )
        if len(state.tally) != 4 or state.epoch < 0 or state.job < 0:
            raise ValueError("bad tally or position")
    except (KeyError, TypeError, ValueError) as exc:
        raise W2VError(f"{path / CONFIG}: damaged resume_state ({exc}); cannot resume") from None
    if state.syn0.shape[1] != config.get("dim"):
        raise W2VError(f"{path / EMBEDDINGS} has {state.syn0.shape[1]} columns but {path / CONFIG} says "
                       f"dim {config.get('dim')}")
    return config, words, counts, state


def resume_options(config: dict, given: dict, option_type, path: str | os.PathLike) -> dict:
    """The training options of a resumed run: the saved ones, with ``given`` allowed to change
    only :data:`FREE_ON_RESUME`; any other given option that differs is refused."""
    names = [f.name for f in fields(option_type)]
    missing = [n for n in names if n not in config and n not in FREE_ON_RESUME]
    if missing:
        raise W2VError(f"{Path(path) / CONFIG} lacks the option(s) {', '.join(missing)}; cannot resume")
    options = {n: config[n] for n in names if n in config}
    for name, value in given.items():
        if name in FREE_ON_RESUME:
            options[name] = value
        elif name in options and value != options[name]:
            raise W2VError(f"--{name.replace('_', '-')} {value} differs from the resumed run's {options[name]}; "
                           "a resumed run keeps its options (only --threads may change)")
    return options


def corpus_digest(enc) -> str:
    """SHA-1 of an encoded corpus's ids and sentence starts: a resumed run must continue on the very same
    token stream (the same vocabulary and counts in another order would give another table)."""
    h = hashlib.sha1()
    for arr in (enc.ids, enc.starts):
        data = np.asarray(arr)
        for i in range(0, len(data), 1 << 24):
            h.update(np.ascontiguousarray(data[i:i + (1 << 24)]).tobytes())
    return h.hexdigest()


def check_resumable(state: RunState, config: dict, epochs: int, n_jobs: int, digest: str | None, corpus,
                    path: str | os.PathLike) -> None:
    """Refuse a saved position the run cannot continue from: past the end, inconsistent with its own
    history, on another token stream (``corpus_sha1`` of runs saved since it was recorded), or with
    non-finite tallies. Each refusal is one line naming the directory."""
    where = f"{Path(path) / CONFIG}: resume_state"
    saved = config.get("resume_state", {})
    if saved.get("corpus_sha1") not in (None, digest):
        raise W2VError(f"the corpus {corpus} is not the one the run in {path} was trained on (same vocabulary and "
                       "counts, but other text or another order); resume on the original corpus")
    if not (state.epoch < epochs and state.job < n_jobs or state.epoch == epochs and state.job == 0):
        raise W2VError(f"{where} says epoch {state.epoch}, job {state.job}, but the run has {epochs} epoch(s) of "
                       f"{n_jobs} job(s); damaged, cannot resume")
    if len(state.epoch_loss) != state.epoch or len(state.epoch_seconds) != state.epoch:
        raise W2VError(f"{where} is inconsistent ({len(state.epoch_loss)} epoch losses for {state.epoch} epochs "
                       "done); damaged, cannot resume")
    numbers = [*state.tally, *state.epoch_loss, *state.epoch_seconds, *state.heldout_loss, state.words_trained]
    if not all(math.isfinite(x) and x >= 0 for x in numbers):
        raise W2VError(f"{where} holds a negative or non-finite number; damaged, cannot resume")
