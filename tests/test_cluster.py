"""Training on a Dask cluster: the same vocabulary and ids as one machine, planted structure
learned, the ordinary output directory, and a worker killed mid-training costing nothing."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import w2v
from w2v.shards import concat_shards, count_shard, encode_shard, merge_counts, plan_shards
from w2v.vocab import encode_corpus, select_vocab

SMALL = dict(dim=16, epochs=5, min_count=1, sample=0, seed=3, window=3, negative=5)
CLUSTER = dict(round_words=2000, shard_bytes=20_000, combine="touched-mean")  # several shards, 30 rounds


def _mixed_corpus(root):
    """A directory of files: short lines, blank lines, one long line, a gzip file, unicode."""
    import gzip

    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(200)] + ["é", "日本", "naïve"]
    root.mkdir()
    for k in range(3):
        lines = [" ".join(rng.choice(words[: rng.integers(1, len(words))], size=rng.integers(0, 25)))
                 for _ in range(400)]
        (root / f"part{k}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "long.txt").write_text(" ".join(rng.choice(words, size=30_000)), encoding="utf-8")
    with gzip.open(root / "z.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(" ".join(rng.choice(words, size=9)) for _ in range(300)))
    return root


@pytest.mark.parametrize("shard_bytes", [1_000, 7_777, 10**8])
def test_shards_give_single_machine_vocabulary_and_ids(tmp_path, shard_bytes):
    corpus = _mixed_corpus(tmp_path / "corpus")
    shards = plan_shards(corpus, 1, shard_bytes, shard_bytes)
    counted = [count_shard(s, max_sentence_length=500, block_size=512) for s in shards]
    words, counts = merge_counts([(c.words, c.counts) for c in counted])
    keep = select_vocab(counts, 3)
    index = {words[i]: k for k, i in enumerate(keep)}
    enc = concat_shards([encode_shard(c, index) for c in counted])
    ref = encode_corpus(corpus, tmp_path / "work", 3, None, False, 500, progress=False)
    assert [words[i] for i in keep] == ref.vocab.words
    assert np.array_equal(counts[keep], ref.vocab.counts)
    assert np.array_equal(enc.ids, ref.ids)
    assert sum(c.stats["bytes"] for c in counted) == ref.stats["bytes"]
    assert sum(c.stats["lines"] for c in counted) == ref.stats["lines"]
    if len(shards) == 5:  # one shard a file: sentences identical too
        assert np.array_equal(enc.starts, ref.starts)
    else:  # a shard boundary inside a line also ends a sentence: at most one more sentence a boundary
        assert 0 <= len(enc.starts) - len(ref.starts) <= len(shards) - 1


def test_combine_rules_exact():
    from w2v.cluster import combine_deltas

    parts = [(np.array([0, 2]), np.array([[2.0], [4.0]], np.float32), np.array([1, 3], np.float32)),
             (np.array([2]), np.array([[8.0]], np.float32), np.array([1], np.float32))]
    expected = {"sum": [2, 0, 12], "mean": [1, 0, 6], "touched-mean": [2, 0, 6], "weighted": [2, 0, 5]}
    for rule, want in expected.items():
        table = np.zeros((3, 1), np.float32)
        rows = combine_deltas(table, parts, rule, n_parts=2)
        assert rows.tolist() == [0, 2]
        assert table[:, 0].tolist() == want, rule


def test_core_package_does_not_import_dask():
    code = "import sys, w2v, w2v.train, w2v.shards; sys.exit('distributed' in sys.modules or 'dask' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as lc, distributed.Client(lc) as c:
        yield c


def _within_across(result, groups):
    unit = result.matrix / np.linalg.norm(result.matrix, axis=1, keepdims=True)
    sims = unit @ unit.T
    a, b = ([result.vocab.index[w] for w in g] for g in groups)
    within = np.mean([sims[i, j] for g in (a, b) for i in g for j in g if i != j])
    across = np.mean([sims[i, j] for i in a for j in b])
    return within, across


# Summing deltas (the default) needs short rounds on this 16-word corpus, where every row is hot;
# averaging them over the partitions that touched a row is stable at any round length here.
@pytest.mark.slow
@pytest.mark.parametrize("combine, round_words", [("sum", 250), ("touched-mean", 2000)])
def test_cluster_learns_planted_structure_with_single_machine_vocabulary(client, planted_corpus, tmp_path, combine,
                                                                          round_words):
    from w2v import cluster

    path, groups = planted_corpus
    out = tmp_path / "model"
    result = cluster.train(path, client, out=out, progress=False, **{**CLUSTER, "combine": combine,
                                                                      "round_words": round_words}, **SMALL)
    single = w2v.train_embeddings(path, progress=False, threads=1, **SMALL)
    assert result.vocab.words == single.vocab.words
    assert np.array_equal(result.vocab.counts, single.vocab.counts)
    within, across = _within_across(result, groups)
    assert within > across + 0.5, (within, across)
    losses = result.info["epoch_loss"]
    assert losses[-1] < losses[0] < np.log(2) * 1.01
    model = w2v.load(out)
    assert np.array_equal(model.matrix, result.matrix)
    layout = model.info["cluster"]
    assert len(layout["workers"]) == 2 and len(layout["partitions"]) == 2
    assert layout["rounds"] == 5 * layout["rounds_per_epoch"] == 5 * max(8, 12_000 // round_words)
    assert sum(p["words"] for p in layout["partitions"]) == model.info["corpus_stats"]["kept_tokens"] == 24_000


@pytest.mark.slow
def test_killed_worker_costs_nothing(client, planted_corpus):
    from w2v import cluster

    path, groups = planted_corpus
    undisturbed = cluster.train(path, client, progress=False, **CLUSTER, **SMALL)
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]

    def kill(round_no):
        if round_no == 7:  # mid-training, while round 7's tasks are queued or running
            os.kill(pids[victim], signal.SIGKILL)

    result = cluster.train(path, client, progress=False, on_round=kill, **CLUSTER, **SMALL)
    faults = result.info["cluster"]
    # The victim is lost; on a loaded machine the scheduler may also give up on the other worker for a
    # while (missed heartbeats), which must cost nothing either.
    assert victim in faults["workers_lost"]
    assert sum(faults["tasks_rerun"].values()) >= 1  # at least the lost partition was rebuilt
    assert faults["snapshots"] >= 2  # and its replica, from the client's tables
    assert f"{len(faults['workers_lost'])} worker(s) lost" in cluster.closing_line(result.info)
    # Re-run tasks recompute the same deltas: the table is bit-identical to the undisturbed run's.
    assert np.array_equal(result.matrix, undisturbed.matrix)
    within, across = _within_across(result, groups)
    assert within > across + 0.5


@pytest.mark.slow
def test_every_worker_killed_costs_nothing(planted_corpus):
    """All workers die at once (their nannies start new ones): every broadcast input and every partition is
    gone, Dask cancels the round's tasks ("already forgotten"); the client broadcasts again, rebuilds the
    partitions from the corpus and reruns the round from its tables: the same table as an undisturbed run.
    A cluster of its own: the shared one is not left waiting for restarted workers."""
    distributed = pytest.importorskip("distributed")
    from w2v import cluster

    path, _ = planted_corpus
    opts = {**CLUSTER, **SMALL, "epochs": 2}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as lc, distributed.Client(lc) as client:
        undisturbed = cluster.train(path, client, progress=False, **opts)
        pids = client.run(os.getpid)

        def kill(round_no):
            if round_no == 5:
                for pid in pids.values():
                    os.kill(pid, signal.SIGKILL)

        result = cluster.train(path, client, progress=False, on_round=kill, **opts)
    faults = result.info["cluster"]
    assert set(pids) <= set(faults["workers_lost"])
    assert faults["tasks_rerun"].get("partition", 0) >= 1  # partitions rebuilt from the corpus
    assert np.array_equal(result.matrix, undisturbed.matrix)


@pytest.mark.slow
def test_cli_local_cluster(planted_corpus, tmp_path):
    path, _ = planted_corpus
    out = tmp_path / "m"
    proc = subprocess.run([sys.executable, "-m", "w2v.train", str(path), "--cluster", "local:2", "--out", str(out),
                           "--dim", "8", "--epochs", "1", "--min-count", "1"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "cluster: 2 partitions on 2 workers" in proc.stdout
    config = json.loads((out / "config.json").read_text())
    assert config["cluster"]["spec"] == "local:2"
    assert w2v.load(out).matrix.shape == (16, 8)


@pytest.mark.slow
def test_cli_scheduler_address_and_fsspec_url(client, planted_corpus, tmp_path):
    path, _ = planted_corpus
    out = tmp_path / "m"
    proc = subprocess.run([sys.executable, "-m", "w2v.train", path.as_uri(), "--cluster", client.scheduler.address,
                           "--out", str(out), "--dim", "8", "--epochs", "1", "--min-count", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    model = w2v.load(out)
    assert model.info["cluster"]["spec"] == client.scheduler.address
    assert model.info["corpus_stats"]["tokens"] == 24_000 and len(model) == 16


@pytest.mark.parametrize("spec", ["local:0", "local:x", "nowhere"])
def test_cli_bad_cluster_exits_2(planted_corpus, tmp_path, spec):
    pytest.importorskip("distributed")
    proc = subprocess.run([sys.executable, "-m", "w2v.train", str(planted_corpus[0]), "--cluster", spec,
                           "--out", str(tmp_path / "m")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.startswith("w2v.train: error: invalid --cluster") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "m").exists()


def test_cli_scheduler_nobody_listens_at_is_one_line_at_once(planted_corpus, tmp_path):
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.run([sys.executable, "-m", "w2v.train", str(planted_corpus[0]), "--cluster",
                           f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "m")], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "cannot connect to the Dask scheduler" in proc.stderr and not (tmp_path / "m").exists()


@pytest.mark.slow
def test_ctrl_c_cancels_and_writes_nothing(planted_corpus, tmp_path):
    path, _ = planted_corpus
    out = tmp_path / "m"
    proc = subprocess.Popen([sys.executable, "-m", "w2v.train", str(path), "--cluster", "local:2", "--out", str(out),
                             "--dim", "8", "--epochs", "100000", "--min-count", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(8)  # the LocalCluster is up (about 3 s) and rounds are running
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "w2v.train: interrupted"
    assert not out.exists()
