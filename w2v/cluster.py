"""Train the same table on a Dask cluster (``pip install 'w2v[cluster]'``).

The corpus is cut into shards (:mod:`w2v.shards`) that the workers read where it lies.
Counting is map → merge: every worker counts its shards, the client merges the counts in
corpus order and picks the vocabulary exactly as a single-machine run does (same words,
same order, same ids); every worker then encodes its shards to int32 ids and joins them
into its *partition*, one per worker thread, which stays on the worker as a task result.

Training runs in synchronous data-parallel rounds. In round *r* every partition trains the
*r*-th slice of its words (``round_words`` a partition) with the compiled kernel
(:func:`w2v.kernels.train_job`) on a replica of the tables at version *r*, and returns only
the rows it changed, as deltas. The client combines them (``combine``, see
:func:`combine_deltas`), applies them to its master tables and broadcasts the new values of
the changed rows; that update moves every replica to version *r + 1*. The learning rate
follows the global schedule: a partition counts its words as ``P`` times as many, since the
other partitions progress alongside it.

State lives in task inputs and outputs: a round's inputs are the partition's ids (a task
result, recomputed from the corpus if its worker dies) and the previous round's update (a
future broadcast to every worker); the worker keeps its replica between rounds only as a
cache. A round task that finds no replica of the previous round (its worker was lost, or it
ran elsewhere) returns nothing, and the client runs it again with a snapshot of its master
tables, which are at that very version: the task recomputes bit for bit the same deltas
(seeds depend on the run, round and partition only), so losing a worker costs time, never
the run, and the table is identical to an undisturbed run's.

What the client broadcasts (vocabulary index, sampling tables, updates, snapshots) has no lineage
on the cluster, and Dask's memory manager keeps as few as one copy of it: a lost worker can take
the last copy with it, and Dask then cancels every task that needs it ("already forgotten",
"lost dependencies"), a partition's whole lineage included. The client holds all of it, so it
broadcasts it again, rebuilds the partitions that are gone from the corpus, and reruns the round
from a snapshot (:func:`_round_results`); only a task's own error ends the run.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from tqdm.auto import tqdm

from .config import TrainConfig
from .errors import W2VError
from .outdir import check_output_dir, versions
from .safety import deferred_signals
from .shards import (
    EncodedShard,
    Shard,
    ShardCounts,
    concat_shards,
    count_shard,
    encode_shard,
    merge_counts,
    plan_shards,
)
from .vectors import Vectors
from .vocab import Vocabulary, keep_probabilities, noise_distribution, select_vocab

COMBINE_RULES = ("sum", "touched-mean", "mean", "weighted")
DEFAULT_COMBINE = "sum"
DEFAULT_ROUND_WORDS = 300_000
MIN_ROUNDS = 8  # rounds an epoch at least: a small corpus gets shorter rounds, never one an epoch
MAX_REPAIRS = 20  # losses of broadcast data or partitions survived in a row (no round done) before giving up
WAIT_FOR_WORKERS = 120  # seconds to wait for a worker when every worker is gone
TOPIC = "w2v-cluster"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise W2VError("training on a cluster needs Dask: pip install 'w2v[cluster]'") from None
    return distributed


# --------------------------------------------------------------------------- worker side


@dataclass(frozen=True)
class RoundSpec:
    """What one partition does in one round (small; the arrays travel as futures)."""

    run: str
    part: int
    version: int  # the tables' version this round starts from (= rounds done before)
    round: int  # round within the epoch
    rounds: int  # rounds per epoch
    words_before: int  # this partition's share of the global words done before the round
    total_words: int  # this partition's share of all words to train
    seed: int
    window: int
    negative: int
    cbow: bool
    shared_negatives: bool
    alpha: float
    min_alpha: float
    weights: bool  # also return per-row occurrence counts (combine="weighted")


@dataclass
class Snapshot:
    """Both tables at ``version``."""

    version: int
    syn0: np.ndarray
    syn1: np.ndarray


@dataclass
class Update:
    """New values of the rows changed in round ``version``: replica at ``version`` → ``version + 1``."""

    version: int
    rows0: np.ndarray
    vals0: np.ndarray
    rows1: np.ndarray
    vals1: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.rows0.nbytes + self.vals0.nbytes + self.rows1.nbytes + self.vals1.nbytes


@dataclass
class RoundResult:
    """One partition's round: changed rows and their deltas, and what it trained."""

    part: int
    rows0: np.ndarray
    delta0: np.ndarray
    rows1: np.ndarray
    delta1: np.ndarray
    weight0: np.ndarray | None
    weight1: np.ndarray | None
    nll: float
    pairs: int
    words: int
    trained: int
    seconds: float
    kernel_seconds: float

    @property
    def nbytes(self) -> int:
        arrays = (self.rows0, self.delta0, self.rows1, self.delta1, self.weight0, self.weight1)
        return sum(a.nbytes for a in arrays if a is not None)


@dataclass
class _Replica:
    version: int
    dirty: bool  # trained on after reaching `version` (only an update brings it back)
    syn0: np.ndarray
    syn1: np.ndarray


_REPLICAS: dict[tuple[str, int], _Replica] = {}
_REPLICAS_LOCK = threading.Lock()


def _log(kind: str, key: str) -> None:
    """Record a task execution in the scheduler's event log (re-runs show up as repeats)."""
    try:
        worker = _distributed().get_worker()
    except ValueError:  # not running on a worker
        return
    worker.log_event(TOPIC, {"task": kind, "key": key, "worker": worker.address})


def _count_task(shard: Shard, lowercase: bool, max_sentence_length: int, key: str) -> ShardCounts:
    _log("count", key)
    return count_shard(shard, lowercase, max_sentence_length)


def _summary_task(sc: ShardCounts) -> tuple[list[str], np.ndarray, dict]:
    return sc.words, sc.counts, sc.stats


def _encode_task(sc: ShardCounts, index: dict[str, int], key: str) -> EncodedShard:
    _log("encode", key)
    return encode_shard(sc, index)


def _concat_task(key: str, *shards: EncodedShard) -> EncodedShard:
    _log("partition", key)
    return concat_shards(shards)


def _size_task(part: EncodedShard) -> tuple[int, int]:
    return len(part.ids), len(part.starts) - 1


def _replica(spec: RoundSpec, snapshot: Snapshot | None, update: Update | None) -> _Replica | None:
    """The tables at ``spec.version``: from ``snapshot`` if given, else the cached replica of the
    previous round moved on by ``update``; ``None`` if this worker has no such replica."""
    with _REPLICAS_LOCK:
        rep = _REPLICAS.pop((spec.run, spec.part), None)  # taken out while in use
    if snapshot is not None:
        rep = _Replica(snapshot.version, False, np.array(snapshot.syn0), np.array(snapshot.syn1))
    elif rep is not None and update is not None and rep.version == update.version == spec.version - 1:
        # The replica trained round r-1 (changing some rows); the update holds the new value of
        # every row any partition changed in round r-1, so afterwards it equals the master.
        rep.syn0[update.rows0] = update.vals0
        rep.syn1[update.rows1] = update.vals1
    else:
        return None
    rep.version, rep.dirty = spec.version, False
    return rep


def _round_task(spec: RoundSpec, part: EncodedShard, consts: tuple, snapshot: Snapshot | None,
                update: Update | None) -> RoundResult | None:
    """Train one partition's slice for one round; ``None`` asks the client for a snapshot."""
    from . import kernels

    _log("round", f"{spec.run}-{spec.version}-{spec.part}")
    t0 = time.perf_counter()
    keep, alias_prob, alias_idx = consts
    rep = _replica(spec, snapshot, update)
    if rep is None:
        return None
    n = len(part.ids)
    lo, hi = n * spec.round // spec.rounds, n * (spec.round + 1) // spec.rounds
    s0, s1 = (int(s) for s in np.searchsorted(part.starts[:-1], [lo, hi]))
    w0, w1 = int(part.starts[s0]), int(part.starts[s1])
    seen = np.unique(part.ids[w0:w1])  # input rows that can change
    before0 = rep.syn0[seen]
    before1 = rep.syn1.copy()  # output rows: any noise word can change
    rep.dirty = True
    t_kernel = time.perf_counter()
    nll, pairs, words, trained = kernels.train_job(
        rep.syn0, rep.syn1, part.ids, part.starts, s0, s1, keep, alias_prob, alias_idx, spec.window,
        spec.negative, spec.cbow, spec.shared_negatives, spec.alpha, spec.min_alpha, spec.words_before,
        spec.total_words, spec.seed)
    t_kernel = time.perf_counter() - t_kernel
    delta0 = rep.syn0[seen] - before0
    changed0 = np.any(delta0 != 0, axis=1)
    rows0, delta0 = seen[changed0].astype(np.int32), delta0[changed0]
    rows1 = np.flatnonzero(np.any(rep.syn1 != before1, axis=1)).astype(np.int32)
    delta1 = rep.syn1[rows1] - before1[rows1]
    weight0 = weight1 = None
    if spec.weights:
        occ = np.bincount(part.ids[w0:w1], minlength=len(rep.syn0))
        weight0, weight1 = occ[rows0].astype(np.float32) + 1, occ[rows1].astype(np.float32) + 1
    with _REPLICAS_LOCK:
        _REPLICAS[(spec.run, spec.part)] = rep
    return RoundResult(spec.part, rows0, delta0, rows1, delta1, weight0, weight1, float(nll), int(pairs),
                       int(words), int(trained), time.perf_counter() - t0, t_kernel)


def _drop_replicas(run: str) -> int:
    with _REPLICAS_LOCK:
        keys = [k for k in _REPLICAS if k[0] == run]
        for k in keys:
            del _REPLICAS[k]
    return len(keys)


def _warm_kernels() -> float:
    """Compile (or load from numba's cache) the kernel in this process; returns seconds."""
    from . import kernels

    t0 = time.perf_counter()
    syn = np.zeros((2, 2), dtype=np.float32)
    ids = np.zeros(2, dtype=np.int32)
    frozen = ids.copy()
    frozen.flags.writeable = False  # ids arriving over the network may be read-only
    starts = np.array([0, 2], dtype=np.int64)
    keep = np.ones(2)
    prob, alias = kernels.build_alias(np.full(2, 0.5))
    for arr in (ids, frozen):
        kernels.train_job(syn, syn.copy(), arr, starts, 0, 0, keep, prob, alias, 1, 1, False, True, 0.025,
                          0.0001, 0, 1, 0)
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- client side


def combine_deltas(table: np.ndarray, parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]],
                   rule: str, n_parts: int) -> np.ndarray:
    """Apply the partitions' ``(rows, deltas, weights)`` to ``table`` in place; return the rows changed.

    Rules, per row: ``sum`` adds every partition's delta (``P`` times the step where all
    touched it); ``mean`` divides the sum by the number of partitions ``P`` (Spark's vector
    averaging, in delta form); ``touched-mean`` divides it by the number of partitions that
    changed the row; ``weighted`` averages the deltas of those partitions weighted by how
    often the row's word occurs in each one's slice (plus one). Partitions are added in the
    given order, so the result is deterministic.
    """
    if rule not in COMBINE_RULES:
        raise W2VError(f"unknown combine rule {rule!r}; valid: {', '.join(COMBINE_RULES)}")
    nonempty = [p for p in parts if len(p[0])]
    if not nonempty:
        return np.zeros(0, dtype=np.int32)
    rows = np.unique(np.concatenate([p[0] for p in nonempty]))
    acc = np.zeros((len(rows), table.shape[1]), dtype=np.float32)
    den = np.zeros(len(rows), dtype=np.float32)
    for r, delta, weight in nonempty:
        pos = np.searchsorted(rows, r)
        w = weight if rule == "weighted" else np.ones(len(r), dtype=np.float32)
        acc[pos] += delta * w[:, None] if rule == "weighted" else delta
        den[pos] += w
    if rule == "sum":
        den[:] = 1
    elif rule == "mean":
        den[:] = n_parts
    table[rows] += acc / den[:, None]
    return rows


def _layout(client) -> list[str]:
    """One slot per worker thread: the address of the worker that runs that partition (recent Dask lists
    only a few workers in ``scheduler_info`` unless asked for all)."""
    workers = client.scheduler_info(n_workers=-1)["workers"] if _takes_n_workers(client) else \
        client.scheduler_info()["workers"]
    return [addr for addr in sorted(workers) for _ in range(workers[addr].get("nthreads", 1))]


def _takes_n_workers(client) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters


def _assign(shards: Sequence[Shard], n_parts: int) -> list[list[int]]:
    """Contiguous runs of shards, balanced by bytes, one run per partition (empty runs dropped)."""
    sizes = np.array([max(s.nbytes, 1) for s in shards], dtype=np.float64)
    mid = np.cumsum(sizes) - sizes / 2
    owner = np.minimum((mid / sizes.sum() * n_parts).astype(int), n_parts - 1)
    groups = [list(np.flatnonzero(owner == p)) for p in range(n_parts)]
    return [g for g in groups if g]


def train(corpus: str | os.PathLike, client, out: str | os.PathLike | None = None, progress: bool = True,
          round_words: int = DEFAULT_ROUND_WORDS, combine: str = DEFAULT_COMBINE, shard_bytes: int | None = None,
          on_round: Callable[[int], None] | None = None, config: TrainConfig | None = None, force: bool = False,
          **options) -> Vectors:
    """Learn an embedding table from ``corpus`` on the workers of a ``dask.distributed.Client``.

    Parameters
    ----------
    corpus
        A file, a directory of files, or an fsspec URL, readable by the workers at that path.
    client
        A connected ``dask.distributed.Client``; one partition is trained per worker thread.
    out
        If given, the output directory (written by this process, after training, whole or not at
        all; a non-empty directory that is not a w2v model is refused unless ``force``).
    round_words
        Words a partition trains between two combinations (at most; an epoch has at least
        ``MIN_ROUNDS`` rounds).
    combine
        How the partitions' deltas are combined (:func:`combine_deltas`).
    shard_bytes
        Byte size of the corpus shards (default: at least four per partition, 1–64 MiB).
    on_round
        Called with the round number after each round's tasks are submitted.
    config, **options
        A :class:`w2v.config.TrainConfig`, or its fields as keywords (``threads`` is ignored: one
        thread a partition).

    Returns
    -------
    Vectors
        As :func:`w2v.train_embeddings`; ``info["cluster"]`` holds the layout, rounds, bytes and faults.
    """
    if config is not None and options:
        raise W2VError("give either config or keyword options, not both")
    cfg = config.validate() if config is not None else TrainConfig.from_kwargs(**options)
    if out is not None:
        check_output_dir(out, force)
    if combine not in COMBINE_RULES:
        raise W2VError(f"unknown combine rule {combine!r}; valid: {', '.join(COMBINE_RULES)}")
    if round_words < 1:
        raise W2VError(f"round_words must be >= 1, got {round_words}")
    run = uuid.uuid4().hex[:12]
    live: list = []  # futures to cancel on the way out
    try:
        result = _train(corpus, client, progress, round_words, combine, shard_bytes, on_round, cfg, run, live)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):  # the cancelled gathers' "AllExit" would be logged at exit
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        client.cancel(live, force=True)
        raise
    finally:
        live.clear()
        try:
            client.run(_drop_replicas, run)
        except Exception:  # a worker that is gone has nothing to drop
            pass
    if out is not None:
        result.save(out, context=cfg.save_context, force=force)
    return result


def _train(corpus, client, progress, round_words, combine, shard_bytes, on_round, cfg: TrainConfig,
           run: str, live: list) -> Vectors:
    if cfg.tokenize != "whitespace":  # the cluster's shard counter splits on whitespace only (for now)
        raise W2VError(f"--tokenize {cfg.tokenize} is not supported with --cluster yet; pre-tokenize the corpus "
                       "or train without --cluster")
    if cfg.phrases is not None:  # the shard counter does not join phrases: write phrased text first
        raise W2VError("--phrases is not supported with --cluster yet; write phrased text first "
                       "(python -m w2v.phrases apply PHRASES CORPUS --out FILE) and train on it")
    t_start = time.perf_counter()
    slots = _layout(client)
    if not slots:
        client.wait_for_workers(1, timeout=120)
        slots = _layout(client)
    workers_at_start = sorted(set(slots))
    plan_args = (corpus, 4 * len(slots)) if shard_bytes is None else (corpus, 1, shard_bytes, shard_bytes)
    shards = client.submit(plan_shards, *plan_args, pure=False).result()
    groups = _assign(shards, len(slots))
    n_parts = len(groups)
    if progress and n_parts < len(slots):
        print(f"warning: the corpus gives {len(shards)} shard(s) (compressed files are not split), so only "
              f"{n_parts} of {len(slots)} worker threads train", file=sys.stderr)

    # Count (map) where the shards will be trained, merge (reduce) here, in corpus order.
    count_f = [None] * len(shards)
    for p, group in enumerate(groups):
        for i in group:
            count_f[i] = client.submit(_count_task, shards[i], cfg.lowercase, cfg.max_sentence_length,
                                       f"{run}-{i}", key=f"w2v-count-{run}-{i}", workers=[slots[p]],
                                       allow_other_workers=True)
    live.extend(count_f)
    summary_f = [client.submit(_summary_task, f, key=f"w2v-summary-{run}-{i}") for i, f in enumerate(count_f)]
    live.extend(summary_f)
    summaries = _gather_progress(client, summary_f, progress, "count")
    t_count = time.perf_counter() - t_start
    words, counts = merge_counts([(w, c) for w, c, _ in summaries])
    stats = {k: sum(s[k] for _, _, s in summaries) for k in ("files", "bytes", "lines", "invalid_utf8", "tokens")}
    if stats["tokens"] == 0:
        raise W2VError(f"corpus {corpus} is empty (no tokens found)")
    keep_idx = select_vocab(counts, cfg.min_count, cfg.max_vocab)
    if len(keep_idx) == 0:
        raise W2VError(f"vocabulary is empty: no word occurs at least min_count={cfg.min_count} times "
                       f"(largest count {counts.max()}); lower --min-count")
    vocab = Vocabulary([words[i] for i in keep_idx], counts[keep_idx])
    n_types = len(words)
    del words, summaries, summary_f
    # Encode and join into partitions, which stay on the workers (their tasks, the count and encode
    # tasks included, stay in the graph as the partitions' lineage).
    lineage = _Lineage(client, run, shards, groups, slots, cfg, vocab.index, count_f, live)
    part_f = lineage.parts
    sizes = lineage.gather_sizes()
    del count_f
    part_words = np.array([s[0] for s in sizes], dtype=np.int64)
    corpus_words = int(part_words.sum())
    stats.update(word_types=n_types, vocab_size=len(vocab), kept_tokens=corpus_words,
                 sentences=int(sum(s[1] for s in sizes)), encode_seconds=round(time.perf_counter() - t_start, 3),
                 vocab_seconds=round(t_count, 3), shards=len(shards))
    if progress and stats["invalid_utf8"]:
        print(f"warning: replaced {stats['invalid_utf8']} invalid UTF-8 sequence(s) in {corpus}", file=sys.stderr)

    # Tables initialised exactly as a single-machine run.
    from . import kernels

    V, dim = len(vocab), cfg.dim
    rng = np.random.default_rng(cfg.seed)
    syn0 = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    syn1 = np.zeros((V, dim), dtype=np.float32)
    keep = keep_probabilities(vocab.counts, cfg.sample)
    alias_prob, alias_idx = kernels.build_alias(noise_distribution(vocab.counts, cfg.ns_exponent))
    consts = (keep, alias_prob, alias_idx)
    consts_f = lineage.put(consts)
    t_compile = time.perf_counter()
    client.run(_warm_kernels)
    compile_seconds = time.perf_counter() - t_compile

    rounds = max(MIN_ROUNDS, math.ceil(int(part_words.max()) / round_words)) if corpus_words else 1
    total_words = cfg.epochs * corpus_words

    def share(words: int) -> int:  # a partition's share of global words
        return int(words // n_parts)

    snapshot_f = _put(client, Snapshot(0, syn0.copy(), syn1.copy()))  # every replica starts from it
    update_f = None
    table_bytes = syn0.nbytes + syn1.nbytes
    bytes_up, bytes_down = 0, table_bytes * len(workers_at_start)
    snapshots = 1
    seen_workers = set(workers_at_start)
    lost_workers: set[str] = set()
    epoch_loss, epoch_seconds, round_log = [], [], []
    words_trained = 0
    bar = tqdm(total=total_words, unit="w", unit_scale=True, desc="train", disable=None if progress else True,
               dynamic_ncols=True, smoothing=0.1)
    t_train = time.perf_counter()
    for epoch in range(cfg.epochs):
        t_epoch = time.perf_counter()
        nll = pairs = 0.0
        for r in range(rounds):
            version = epoch * rounds + r
            t_round = time.perf_counter()
            before = epoch * corpus_words + int(sum(w * r // rounds for w in part_words))
            specs = [RoundSpec(run, p, version, r, rounds, share(before), share(total_words),
                               ((cfg.seed * 1_000_003 + version) * 10_000_019 + p) % (1 << 63), cfg.window,
                               cfg.negative, cfg.cbow, cfg.shared_negatives, cfg.alpha, cfg.min_alpha,
                               combine == "weighted") for p in range(n_parts)]
            futures = [client.submit(_round_task, spec, part_f[spec.part], consts_f, snapshot_f, update_f,
                                     key=f"w2v-round-{run}-{version}-{spec.part}") for spec in specs]
            live.extend(futures)
            if on_round is not None:
                on_round(version)
            results: list[RoundResult | None] = _round_results(client, futures)
            last = list(futures)  # each partition's latest task
            attempt = 0
            while any(x is None for x in results):
                # A partition ran where no replica was, or lost an input with its worker: send the
                # master tables (at `version`), rebuild what the cluster lost, run those partitions again.
                attempt += 1
                if attempt > MAX_REPAIRS:
                    raise W2VError(f"round {version} failed {MAX_REPAIRS} times on the cluster (workers keep dying?); "
                                   "the run is lost (the model was not saved)")
                missing = [p for p, x in enumerate(results) if x is None]
                if any(last[p].status != "finished" for p in missing) or lineage.lost():
                    consts_f = lineage.repair(consts)  # an input was lost, not only a replica
                snapshot_f = lineage.put(Snapshot(version, syn0.copy(), syn1.copy()))
                snapshots += 1
                bytes_down += table_bytes * len(set(_layout(client)))
                suffix = "-snapshot" if attempt == 1 else f"-snapshot{attempt}"
                retry = [client.submit(_round_task, specs[p], part_f[p], consts_f, snapshot_f, None,
                                       key=f"w2v-round-{run}-{version}-{p}{suffix}") for p in missing]
                live.extend(retry)
                for p, f, x in zip(missing, retry, _round_results(client, retry)):
                    results[p], last[p] = x, f
                futures += retry
            lineage.repairs = 0
            for f in futures:
                live.remove(f)
            del futures
            snapshot_f = None
            t_gathered = time.perf_counter()
            rows0 = combine_deltas(syn0, [(x.rows0, x.delta0, x.weight0) for x in results], combine, n_parts)
            rows1 = combine_deltas(syn1, [(x.rows1, x.delta1, x.weight1) for x in results], combine, n_parts)
            if not (np.isfinite(syn0[rows0]).all() and np.isfinite(syn1[rows1]).all()):
                raise W2VError(f"training diverged in round {version} (combine={combine}); "
                               f"use a shorter round or another combine rule")
            update = Update(version, rows0, syn0[rows0], rows1, syn1[rows1])
            current = set(_layout(client))
            lost_workers |= seen_workers - current
            seen_workers |= current
            update_f = lineage.put(update)  # every replica moves to version + 1 with it
            bytes_down += update.nbytes * len(current)
            up = sum(x.nbytes for x in results)
            bytes_up += up
            done = sum(x.words for x in results)
            nll += sum(x.nll for x in results)
            pairs += sum(x.pairs for x in results)
            words_trained += sum(x.trained for x in results)
            round_log.append({"round": version, "seconds": round(time.perf_counter() - t_round, 4),
                              "compute_seconds": round(max(x.seconds for x in results), 4),
                              "kernel_seconds": round(max(x.kernel_seconds for x in results), 4),
                              "combine_seconds": round(time.perf_counter() - t_gathered, 4),
                              "bytes_up": up, "bytes_down": update.nbytes, "rows0": len(rows0),
                              "rows1": len(rows1), "loss": sum(x.nll for x in results) / max(
                                  sum(x.pairs for x in results), 1)})
            bar.update(done)
            lr = kernels.learning_rate(before + done, total_words, cfg.alpha, cfg.min_alpha)
            bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs} lr {lr:.5f} loss {nll / max(pairs, 1):.4f}",
                                refresh=False)
        epoch_loss.append(nll / max(pairs, 1))
        epoch_seconds.append(round(time.perf_counter() - t_epoch, 3))
    bar.close()
    train_seconds = time.perf_counter() - t_train
    executions = Counter((m["task"], m["key"]) for _, m in client.get_events(TOPIC)
                         if isinstance(m, dict) and str(m.get("key", "")).startswith(run))
    reruns = Counter(task for (task, _), n in executions.items() for _ in range(n - 1))
    n_rounds = cfg.epochs * rounds
    compute = sum(x["compute_seconds"] for x in round_log)
    cluster = {
        "scheduler": client.scheduler.address,
        "workers": workers_at_start,
        "partitions": [{"worker": slots[p], "shards": [shards[i].__dict__ for i in group],
                        "words": int(part_words[p])} for p, group in enumerate(groups)],
        "combine": combine,
        "round_words": round_words,
        "rounds_per_epoch": rounds,
        "rounds": n_rounds,
        "bytes_up": int(bytes_up),
        "bytes_down": int(bytes_down),
        "snapshots": snapshots,
        "compute_seconds": round(compute, 3),
        "kernel_seconds": round(sum(x["kernel_seconds"] for x in round_log), 3),
        "mean_round_seconds": round(train_seconds / n_rounds, 4),
        "workers_lost": sorted(lost_workers),
        "tasks_rerun": dict(reruns),
        "round_log": round_log,
    }
    info = {
        "method": "cbow" if cfg.cbow else "sgns",
        "corpus": str(corpus),
        **asdict(cfg),
        "threads": 1,
        "corpus_stats": stats,
        "epoch_loss": epoch_loss,
        "epoch_seconds": epoch_seconds,
        "train_seconds": round(train_seconds, 3),
        "words_per_second": round(total_words / max(train_seconds, 1e-9)),
        "words_trained_after_subsampling": words_trained,
        "compile_seconds": round(compile_seconds, 3),
        "total_seconds": round(time.perf_counter() - t_start, 3),
        "versions": versions("numba", "distributed"),
        "cluster": cluster,
    }
    return Vectors(syn0, vocab.words, vocab.counts, info, context=syn1)


def _lost_input(exc: BaseException) -> bool:
    """True for the errors Dask raises when a task's input or worker is gone (not the task's own error)."""
    from concurrent.futures import CancelledError

    return isinstance(exc, (CancelledError, _distributed().scheduler.KilledWorker))


def _round_results(client, futures: list) -> list:
    """Each future's result, ``None`` for one whose input or worker the cluster lost (cancelled by Dask,
    or killed with its workers); a task's own error is raised."""
    results = []
    for f in futures:
        try:
            results.append(f.result())
        except Exception as exc:
            if not _lost_input(exc):
                raise
            results.append(None)
    return results


class _Lineage:
    """The partitions and what the client broadcast, rebuilt when the cluster loses them.

    ``parts`` is the list of partition futures (updated in place); the partitions are built from the
    count futures of counting, and rebuilt from the shards when lost (re-executions are logged under the
    same names, so they show as re-runs).
    """

    def __init__(self, client, run: str, shards, groups, slots, cfg: TrainConfig, index: dict, count_f: list,
                 live: list) -> None:
        self.client, self.run, self.shards, self.groups, self.slots, self.cfg = client, run, shards, groups, slots, cfg
        self.index, self.live, self.repairs = index, live, 0
        self.index_f = self.put(index)
        self.parts = [self._part(p, [count_f[i] for i in group], "") for p, group in enumerate(groups)]

    def put(self, obj):
        """Broadcast ``obj``; with no worker left, wait for one first."""
        if not self.client.scheduler_info().get("workers"):
            try:
                self.client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
            except Exception:
                raise W2VError(f"every worker of the cluster is gone and none came back in {WAIT_FOR_WORKERS} s; "
                               "the run is lost (the model was not saved)") from None
        return _put(self.client, obj)  # not in `live`: a round's update is released when the next one replaces it

    def _part(self, p: int, counts: list, tag: str):
        enc = [self.client.submit(_encode_task, c, self.index_f, f"{self.run}-{i}",
                                  key=f"w2v-encode-{self.run}-{i}{tag}") for i, c in zip(self.groups[p], counts)]
        part = self.client.submit(_concat_task, f"{self.run}-{p}", *enc, key=f"w2v-part-{self.run}-{p}{tag}",
                                  workers=[self.slots[p]], allow_other_workers=True)
        self.live.extend([*enc, part])
        return part

    def lost(self) -> list[int]:
        """The partitions whose future Dask gave up (cancelled, or erred because its workers died)."""
        return [p for p, f in enumerate(self.parts) if f.status in ("cancelled", "error")]

    def repair(self, consts=None):
        """Broadcast the index and ``consts`` again, rebuild the lost partitions; returns the new ``consts``
        future. Raises :class:`W2VError` after ``MAX_REPAIRS`` repairs without a round done."""
        self.repairs += 1
        if self.repairs > MAX_REPAIRS:
            raise W2VError(f"the cluster lost data {MAX_REPAIRS} times without finishing a round (workers keep "
                           "dying?); the run is lost (the model was not saved)")
        self.index_f = self.put(self.index)
        tag = f"-r{uuid.uuid4().hex[:6]}"
        for p in self.lost():
            cfg = self.cfg
            counts = [self.client.submit(_count_task, self.shards[i], cfg.lowercase, cfg.max_sentence_length,
                                         f"{self.run}-{i}", key=f"w2v-count-{self.run}-{i}{tag}",
                                         workers=[self.slots[p]], allow_other_workers=True) for i in self.groups[p]]
            self.live.extend(counts)
            self.parts[p] = self._part(p, counts, tag)
        return None if consts is None else self.put(consts)

    def gather_sizes(self) -> list[tuple[int, int]]:
        """``(words, sentences)`` of every partition, rebuilding any the cluster loses meanwhile."""
        while True:
            futures = [self.client.submit(_size_task, f, key=f"w2v-size-{self.run}-{p}-{f.key}")
                       for p, f in enumerate(self.parts)]
            sizes = _round_results(self.client, futures)
            if all(x is not None for x in sizes):
                return sizes
            self.repair()


def _put(client, obj):
    """Broadcast ``obj`` to every worker as one future (a bare list, tuple or dict would be scattered item by item)."""
    return client.scatter([obj], broadcast=True, hash=False)[0]


def _gather_progress(client, futures: list, progress: bool, desc: str) -> list:
    """Results of ``futures`` in order, with a progress bar over their completion."""
    distributed = _distributed()
    with tqdm(total=len(futures), desc=desc, unit="shard", disable=None if progress else True, leave=False) as bar:
        for _ in distributed.as_completed(futures):
            bar.update()
    return client.gather(futures)


def closing_line(info: dict) -> str:
    """One line on what the cluster did: layout, rounds, bytes, and any workers lost and tasks re-run."""
    c = info["cluster"]
    reruns = sum(c["tasks_rerun"].values())
    faults = (f"{len(c['workers_lost'])} worker(s) lost, {reruns} task(s) re-run "
              f"({', '.join(f'{n} {k}' for k, n in sorted(c['tasks_rerun'].items()))}), "
              f"{c['snapshots'] - 1} replica(s) rebuilt from a snapshot; table complete"
              if c["workers_lost"] or reruns or c["snapshots"] > 1 else "no worker lost, no task re-run")
    return (f"cluster: {len(c['partitions'])} partitions on {len(c['workers'])} workers, {c['rounds']} rounds "
            f"({c['rounds_per_epoch']}/epoch, combine {c['combine']}), "
            f"{(c['bytes_up'] + c['bytes_down']) / 1e6:,.0f} MB sent; {faults}")


def parse_cluster(spec: str) -> tuple[str, int | None]:
    """``local:N`` → ``("local", N)``; a scheduler address → ``(address, None)``."""
    if spec.startswith("local:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise W2VError(f"invalid --cluster {spec}: local:N needs N >= 1 worker processes")
        return "local", n
    if "://" in spec or ":" in spec:
        return spec, None
    raise W2VError(f"invalid --cluster {spec}: give a scheduler address (tcp://host:8786) or local:N")


def _probe(address: str, seconds: float = 5.0) -> None:
    """Fail at once when nothing listens at a ``tcp://host:port`` scheduler address (Dask's client would
    retry for its whole 30 s timeout); other schemes are left to Dask."""
    scheme, _, rest = address.rpartition("://")
    host, sep, port = rest.rpartition(":")
    if scheme not in ("", "tcp") or not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]") or "localhost", int(port)), timeout=seconds).close()
    except OSError as exc:
        raise W2VError(f"cannot connect to the Dask scheduler at {address}: {exc.strerror or exc}") from None


def train_on_cluster(corpus: str | os.PathLike, cluster: str, out: str | os.PathLike | None = None,
                     progress: bool = True, force: bool = False, **options) -> Vectors:
    """Connect to ``cluster`` (a scheduler address, or ``local:N`` for a LocalCluster of N
    single-thread worker processes), train there (:func:`train`), and print the closing line."""
    distributed = _distributed()
    address, n = parse_cluster(cluster)
    if out is not None:
        check_output_dir(out, force)  # before any work
    if address == "local":
        import dask

        # Work stealing would move a round task away from its partition's replica (a wasted round and a
        # snapshot); a remote scheduler should be started with distributed.scheduler.work-stealing off too.
        lc = None
        try:
            with dask.config.set({"distributed.scheduler.work-stealing": False}):
                # A Ctrl-C while the workers start would end inside distributed's start-up as "Nanny failed
                # to start": it is held back until the cluster is up, then interrupts as anywhere else.
                with deferred_signals():
                    lc = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                  dashboard_address=":0", silence_logs=logging.ERROR)
                with distributed.Client(lc) as client:
                    result = train(corpus, client, progress=progress, **options)
        finally:
            if lc is not None:
                lc.close()
    else:
        _probe(address)
        try:
            client = distributed.Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise W2VError(f"cannot connect to the Dask scheduler at {address}: {exc}") from None
        with client:
            result = train(corpus, client, progress=progress, **options)
    result.info["cluster"]["spec"] = cluster
    if out is not None:
        result.save(out, context=bool(result.info["save_context"]), force=force)
    if progress:
        print(closing_line(result.info))
    return result


__all__ = ["train", "train_on_cluster", "combine_deltas", "closing_line", "parse_cluster"]
