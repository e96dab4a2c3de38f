"""Truncated SVD / PCA embeddings against dense numpy, and the w2v.svd command line."""

import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from w2v import load
from w2v.errors import W2VError
from w2v.ppmi import ppmi
from w2v.svd import build, main, pca_embeddings, svd_embeddings, truncated_svd, weighted_vectors


def sparse_matrix(seed=0, shape=(60, 50), density=0.3):
    return sp.random(*shape, density=density, random_state=seed, format="csr") * 3


def best_rank_k(a, k):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return (u[:, :k] * s[:k]) @ vt[:k], s[:k]


@pytest.mark.parametrize("solver, tol", [("arpack", 1e-8), ("randomized", 1e-2)])
def test_reconstruction_is_best_rank_k(solver, tol):
    m = sparse_matrix()
    k = 8
    u, s, vt = truncated_svd(m, k, seed=3, solver=solver)
    ref, ref_s = best_rank_k(m.toarray(), k)
    np.testing.assert_allclose(s, ref_s, rtol=tol)
    np.testing.assert_allclose((u * s) @ vt, ref, atol=tol)
    np.testing.assert_allclose(u.T @ u, np.eye(k), atol=1e-8)
    # Eckart-Young: the error is the norm of the dropped singular values
    full_s = np.linalg.svd(m.toarray(), compute_uv=False)
    err = np.linalg.norm(m.toarray() - (u * s) @ vt)
    assert np.isclose(err, np.sqrt((full_s[k:] ** 2).sum()), rtol=tol)


def test_signs_deterministic_and_descending():
    m = sparse_matrix(1)
    u1, s1, _ = truncated_svd(m, 5, seed=1)
    u2, s2, _ = truncated_svd(m, 5, seed=2)
    assert (np.diff(s1) <= 0).all()
    np.testing.assert_allclose(u1, u2, atol=1e-8)
    assert (u1[np.argmax(np.abs(u1), axis=0), range(5)] > 0).all()


def test_eigenvalue_weighting_and_context():
    u, s, vt = truncated_svd(sparse_matrix(2, shape=(30, 30)), 4)
    for p in (0, 0.5, 1):
        np.testing.assert_allclose(weighted_vectors(u, s, vt, p), u * s**p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weighted_vectors(u, s, vt, 0.5, add_context=True),
                               u * s**0.5 + vt.T * s**0.5, rtol=1e-5, atol=1e-6)
    with pytest.raises(W2VError):
        weighted_vectors(*truncated_svd(sparse_matrix(2), 4), add_context=True)


def test_svd_embeddings_equal_dense_pipeline():
    rng = np.random.default_rng(0)
    c = rng.poisson(2.0, size=(40, 40)).astype(float)
    c = sp.csr_matrix(c + c.T)
    vec, info = svd_embeddings(c, dim=6, cds=0.75, neg=2, eig=0.5)
    m = ppmi(c, cds=0.75, neg=2).toarray()
    u, s, vt = np.linalg.svd(m)
    u = u[:, :6] * np.sign(u[np.argmax(np.abs(u[:, :6]), axis=0), range(6)])
    np.testing.assert_allclose(info["singular_values"], s[:6], rtol=1e-8)
    np.testing.assert_allclose(vec, u * np.sqrt(s[:6]), atol=1e-5)


def test_pca_equals_dense_pca_of_log_counts():
    rng = np.random.default_rng(1)
    c = sp.csr_matrix(rng.poisson(1.0, size=(50, 50)).astype(float))
    scores, info = pca_embeddings(c, dim=5)
    x = np.log1p(c.toarray())
    x -= x.mean(axis=0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    ref = u[:, :5] * s[:5]
    ref *= np.sign(ref[np.argmax(np.abs(ref), axis=0), range(5)])
    np.testing.assert_allclose(info["singular_values"], s[:5], rtol=1e-6)
    np.testing.assert_allclose(scores, ref, atol=1e-4)


def test_bad_dim():
    with pytest.raises(W2VError):
        truncated_svd(sparse_matrix(), 50)
    with pytest.raises(W2VError):
        truncated_svd(sparse_matrix(), 5, solver="lapack")


@pytest.mark.parametrize("method", ["svd", "pca"])
def test_build_separates_planted_groups(planted_corpus, tmp_path, method):
    path, groups = planted_corpus
    res = build(path, tmp_path / method, method=method, dim=4, window=3, min_count=1, progress=False)
    model = load(tmp_path / method)
    assert model.words == res.words and len(model.words) == 16
    assert model.config["method"] == method and len(model.config["singular_values"]) == 4
    e = model.embeddings / np.linalg.norm(model.embeddings, axis=1, keepdims=True)
    group = np.array([w[0] for w in model.words])
    sims = e @ e.T
    same = sims[group[:, None] == group[None, :]].mean()
    other = sims[group[:, None] != group[None, :]].mean()
    assert same > other + 0.3


def test_cli_writes_model_dir(planted_corpus, tmp_path):
    path, _ = planted_corpus
    out = tmp_path / "m"
    main([str(path), "--out", str(out), "--dim", "3", "--min-count", "1", "--max-vocab", "12",
          "--sample", "--weighting", "harmonic", "--quiet"])
    model = load(out)
    assert model.embeddings.shape == (12, 3)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["sample"] == 1e-3 and cfg["weighting"] == "harmonic" and cfg["max_vocab"] == 12


@pytest.mark.parametrize("args", [
    ["missing.txt"], ["{corpus}", "--dim", "0"], ["{corpus}", "--dim", "500"], ["{corpus}", "--neg", "0"],
    ["{corpus}", "--window", "0"], ["{corpus}", "--method", "nmf"],
])
def test_cli_errors_exit_2_and_write_nothing(planted_corpus, tmp_path, args):
    path, _ = planted_corpus
    out = tmp_path / "out"
    argv = [a.replace("{corpus}", str(path)) for a in args] + ["--out", str(out), "--min-count", "1", "--quiet"]
    proc = subprocess.run([sys.executable, "-m", "w2v.svd", *argv], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("w2v.svd: error:") and "Traceback" not in proc.stderr
    assert not out.exists()


def test_cli_help_shows_defaults():
    proc = subprocess.run([sys.executable, "-m", "w2v.svd", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "(default: 0.75)" in proc.stdout
