"""compare: Procrustes, overlap, CKA and the command line."""

import json
import subprocess
import sys

import numpy as np
import pytest

from w2v.compare import compare, format_table, jaccard_rows, linear_cka, procrustes, top_neighbours, unit_rows
from w2v.errors import W2VError
from w2v.vectors import Vectors

REAL = ["king", "queen", "man", "woman", "paris", "france", "london", "england", "tiger", "cat", "car",
        "automobile", "money", "cash", "boy", "girl", "good", "bad", "berlin", "germany"]


def rotation(dim, seed=0):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q * np.sign(np.diag(r))


def table(n=300, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    words = REAL + [f"w{i}" for i in range(n - len(REAL))]
    return Vectors(rng.normal(size=(n, dim)).astype(np.float32), words, np.arange(n, 0, -1))


def test_procrustes_recovers_known_rotation():
    a = np.random.default_rng(1).normal(size=(200, 10))
    q = rotation(10)
    r, residual, mean_cos = procrustes(a, a @ q)
    np.testing.assert_allclose(r, q.T, atol=1e-8)
    assert residual < 1e-8 and mean_cos == pytest.approx(1.0)
    _, noisy, _ = procrustes(a, a @ q + 0.5 * np.random.default_rng(2).normal(size=a.shape))
    assert 0.1 < noisy < 1.0


def test_procrustes_pads_smaller_dimension():
    a = np.random.default_rng(3).normal(size=(100, 6))
    b = np.hstack([a, np.zeros((100, 2))]) @ rotation(8, 1)
    _, residual, _ = procrustes(a, b)
    assert residual < 1e-8


def test_cka_invariances():
    x = np.random.default_rng(4).normal(size=(500, 20))
    assert linear_cka(x, 3.0 * x @ rotation(20)) == pytest.approx(1.0)
    assert linear_cka(x, np.random.default_rng(5).normal(size=(500, 20))) < 0.1


def test_top_neighbours_match_brute_force():
    u = unit_rows(np.random.default_rng(6).normal(size=(50, 5)))
    got = top_neighbours(u, np.arange(10), k=4, batch=3)
    for q in range(10):
        sims = u @ u[q]
        sims[q] = -np.inf
        np.testing.assert_array_equal(got[q], np.argsort(-sims)[:4])
    assert jaccard_rows(np.array([[1, 2, 3]]), np.array([[3, 4, 5]]))[0] == pytest.approx(1 / 5)


def test_compare_with_rotated_copy_is_identical():
    t = table()
    rot = Vectors(t.matrix @ rotation(16, 2).astype(np.float32), t.words, t.counts)
    res = compare([t, rot], names=["orig", "rot"], n_words=100, n_pairs=2000, benchmarks=True)
    p = res["pairs"][0]
    assert res["shared_vocab"] == 300
    assert p["neighbour_overlap"] == pytest.approx(1.0)
    assert p["procrustes_residual"] < 1e-5
    assert p["spearman"] == pytest.approx(1.0, abs=1e-6)
    assert p["cka"] == pytest.approx(1.0, abs=1e-6)
    assert set(res["benchmarks"]) == {"orig", "rot"}
    for key, value in res["benchmarks"]["orig"].items():
        other = res["benchmarks"]["rot"][key]
        assert value == pytest.approx(other, abs=1e-6) or (np.isnan(value) and np.isnan(other)), key
    assert "orig vs rot" in format_table(res)


def test_shared_vocabulary_and_unrelated_tables():
    a = table(seed=0)
    keep = np.arange(0, 300, 2)
    b = Vectors(np.random.default_rng(9).normal(size=(150, 8)).astype(np.float32)[::-1],
                [a.words[i] for i in keep][::-1])
    res = compare([a, b], n_words=50, n_pairs=1000, benchmarks=False)
    p = res["pairs"][0]
    assert res["shared_vocab"] == 150
    assert p["neighbour_overlap"] < 0.3 and abs(p["spearman"]) < 0.2 and p["procrustes_residual"] > 0.5
    assert len(p["overlap_per_word"]) == 50 and len(p["most_different"]) == 15
    assert p["most_different"][0]["jaccard"] == min(p["overlap_per_word"])


def test_compare_rejects_bad_input():
    with pytest.raises(W2VError):
        compare([table()])
    with pytest.raises(W2VError):
        compare([table(), Vectors(np.ones((2, 3)), ["x", "y"])], benchmarks=False)


def test_cli_json_and_errors(tmp_path):
    t = table()
    t.save(tmp_path / "a")
    Vectors(t.matrix @ rotation(16, 3).astype(np.float32), t.words, t.counts).save(tmp_path / "b")
    cmd = [sys.executable, "-m", "w2v.compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json", "--quiet",
           "--n-words", "100", "--no-benchmarks", "--output", str(tmp_path / "r.json")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["pairs"][0]["neighbour_overlap"] == pytest.approx(1.0)
    assert json.loads((tmp_path / "r.json").read_text()) == res
    for bad in ([str(tmp_path / "a"), str(tmp_path / "missing")], [str(tmp_path / "a")]):
        proc = subprocess.run([sys.executable, "-m", "w2v.compare", *bad], capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stderr.startswith("w2v.compare: error:"), proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_compare_pca_script_end_to_end(planted_corpus, tmp_path):
    from pathlib import Path

    path, _ = planted_corpus
    out = tmp_path / "cmp"
    script = Path(__file__).resolve().parent.parent / "scripts" / "compare_pca.py"
    proc = subprocess.run([sys.executable, str(script), str(path), "--out", str(out), "--dim", "4", "--window", "3",
                           "--min-count", "1", "--epochs", "1", "--threads", "1", "--quiet"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("sgns", "svd", "svd-eig0", "svd-eig1", "svd-wc", "pca"):
        assert (out / name / "embeddings.npy").is_file()
    for name in ("report.md", "compare.json", "projections.png", "spectrum.png", "overlap.png", "explorer.html"):
        assert (out / name).stat().st_size > 0
    res = json.loads((out / "compare.json").read_text())
    assert [m["name"] for m in res["models"]] == ["sgns", "svd", "pca"] and len(res["pairs"]) == 3
    assert "| sgns vs svd |" in (out / "report.md").read_text()
    assert "[explorer.html](explorer.html)" in (out / "report.md").read_text()
    assert '"name":"pca"' in (out / "explorer.html").read_text()
