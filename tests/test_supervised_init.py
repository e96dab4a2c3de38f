"""scripts/supervised_init.py: every table sees the same examples, the statistics, and the --quick run end to end."""

import importlib.util
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("supervised_init", ROOT / "scripts" / "supervised_init.py")
S = importlib.util.module_from_spec(spec)
spec.loader.exec_module(S)


def test_every_table_gets_the_same_nested_training_examples(monkeypatch):
    seen = {}

    def fake_run(tokens, labels, train_idx, test_idx, table, mode, seed, settings=None):
        seen.setdefault((seed, len(train_idx)), []).append((table, mode, tuple(train_idx), seed))
        pred = np.zeros(len(test_idx), dtype=np.int64)
        return SimpleNamespace(test_accuracy=0.5, predictions=pred, report=None,
                               history=SimpleNamespace(best_epoch=1))

    monkeypatch.setattr(S, "run", fake_run)
    labels = np.array([0, 1] * 300)
    splits = [(np.arange(0, 500), np.arange(500, 600)), (np.arange(100, 600), np.arange(0, 100))]
    tables = {"random": None, "sgns-imdb": "A", "pca-imdb": "B"}
    S.experiment("pl", [[]] * 600, labels, splits, tables, [0.1, 0.3, 1.0], lambda m: None)
    for runs in seen.values():
        assert len(runs) == 5  # random tuned + 2 tables x (frozen, tuned)
        assert len({r[2] for r in runs}) == 1  # identical examples for every table and mode
    for k, (train_idx, _) in enumerate(splits):
        by_size = sorted((n, runs[0][2]) for (seed, n), runs in seen.items() if seed == k)
        assert [n for n, _ in by_size] == [50, 150, 500]
        for (_, small), (_, big) in zip(by_size, by_size[1:]):
            assert set(small) <= set(big) <= set(train_idx.tolist())


def test_paired_intervals():
    mean, lo, hi = S.paired_interval([0.80, 0.82, 0.78, 0.81], [0.78, 0.80, 0.77, 0.78])
    d = np.array([0.02, 0.02, 0.01, 0.03])
    half = 3.182446305284263 * d.std(ddof=1) / 2  # t(0.975, 3)
    assert (mean, lo, hi) == pytest.approx((d.mean(), d.mean() - half, d.mean() + half))
    a = np.array([1] * 60 + [0] * 40, bool)
    b = np.array([1] * 50 + [0] * 10 + [1] * 5 + [0] * 35, bool)  # 10 won by a, 5 by b
    d, lo, hi = S.paired_proportions(a, b)
    se = math.sqrt((15 / 100 - 0.05 ** 2) / 100)
    assert (d, lo, hi) == pytest.approx((0.05, 0.05 - 1.96 * se, 0.05 + 1.96 * se))


@pytest.mark.slow
def test_quick_mode_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "out"
    assert S.main(["--quick", "--quiet", "--tables-dir", str(tmp_path / "tables"), "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["fractions"] == [0.1, 1.0]
    keys = {f"{t}/{m}" for t, m in S.settings_list(S.TABLES)}
    for task, n_splits in (("pl", 2), ("imdb", 1)):
        summary = res["summary"][task]
        assert set(summary) == keys
        for by_f in summary.values():
            for f in ("0.1", "1.0"):
                assert by_f[f]["n_splits"] == n_splits and 0.4 < by_f[f]["mean"] <= 1.0
                assert math.isfinite(by_f[f]["diff"])
        assert summary["random/tuned"]["1.0"]["mean"] > 0.65  # the classifier learns something (chance: 0.5)
    cov = res["coverage"]["imdb"]["sgns-imdb"][0]
    assert cov[1] > 0.9 and cov[2] == "words"  # the table's words are made like the task's
    assert (out / "learning_curves.png").stat().st_size > 10_000
    assert "| random/tuned |" in (out / "results.md").read_text()
    assert set(res["table_train_seconds"]) == set(S.TABLES) - {"random"}
    cont = json.loads((tmp_path / "tables" / "sgns-text8like-then-imdb" / "config.json").read_text())
    assert cont["start_from"]["output_vectors"] == "model" and cont["start_from"]["new_words"] > 0
    # --tables-only: the cached tables' own training times, nothing else run
    capsys.readouterr()
    assert S.main(["--quick", "--tables-only", "--tables-dir", str(tmp_path / "tables"), "--tables",
                   "sgns-text8like-then-imdb"]) == 0
    printed = capsys.readouterr().out
    seconds = S.table_seconds(tmp_path / "tables" / "sgns-text8like-then-imdb")
    assert f"sgns-text8like-then-imdb: {seconds:.1f} s training" in printed and "sgns-text8like: " in printed


def test_unknown_policies_run_per_table_and_subword_is_paired_with_the_best_other(monkeypatch):
    acc = {"auto": 0.5, "zeros": 0.6, "mean": 0.7, "random": 0.65, "subword": 0.75}

    def fake_run(tokens, labels, train_idx, test_idx, table, mode, seed, settings=None):
        policy = (settings or {}).get("unknown", "auto")
        return SimpleNamespace(test_accuracy=acc[policy] + (0.01 * seed if policy == "subword" else 0.0),
                               predictions=np.zeros(len(test_idx), np.int64), report=None,
                               history=SimpleNamespace(best_epoch=1))

    monkeypatch.setattr(S, "run", fake_run)
    labels = np.array([0, 1] * 300)
    splits = [(np.arange(0, 500), np.arange(500, 600)), (np.arange(100, 600), np.arange(0, 100)),
              (np.arange(0, 300), np.arange(300, 600))]
    tables = {"random": None, "sub": SimpleNamespace(has_subwords=True), "plain": SimpleNamespace(has_subwords=False)}
    res = S.experiment("pl", [[]] * 600, labels, splits, tables, [1.0], lambda m: None,
                       ["zeros", "mean", "random", "subword"])
    assert set(res["acc"]) == {"random/tuned"} | {f"{t}/{m}/{p}" for t in ("sub", "plain") for m in ("frozen", "tuned")
                                                  for p in ("zeros", "mean", "random")} | {
        "sub/frozen/subword", "sub/tuned/subword"}
    contrasts = S.policy_contrasts(res, [1.0])
    assert set(contrasts) == {"sub/frozen/subword", "sub/tuned/subword"}
    c = contrasts["sub/tuned/subword"]["1.0"]
    d = np.array([0.05, 0.06, 0.07])
    half = 4.302652729911275 * d.std(ddof=1) / np.sqrt(3)  # t(0.975, 2)
    assert c["best_other"] == "sub/tuned/mean" and c["best_mean"] == pytest.approx(0.7)
    assert (c["diff"], c["lo"], c["hi"]) == pytest.approx((0.06, 0.06 - half, 0.06 + half))
    assert "vs mean 70.0 (+6.0 [" in S.contrast_markdown("pl", contrasts, [1.0])
