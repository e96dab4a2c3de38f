"""Layers checked micrograd-style: every backward pass against central finite differences in float64."""

import numpy as np
import pytest
from oracles import numeric_grad

from w2v.layers import (
    SGD,
    Adam,
    Dense,
    Embedding,
    Linear,
    MeanPool,
    Parameter,
    SoftmaxCrossEntropy,
    SparseGrad,
    check_ids,
    one_hot,
    softmax,
)

# --- Embedding forward ---------------------------------------------------------------------------------


def test_forward_is_row_lookup_for_any_shape():
    emb = Embedding(10, 3, seed=0)
    ids = np.array([[1, 2, 3, 0], [9, 9, 4, 5]])
    out = emb.forward(ids)
    assert out.shape == (2, 4, 3)
    for b in range(2):
        for t in range(4):
            assert np.array_equal(out[b, t], emb.table[ids[b, t]])
    assert emb.forward(np.array(7)).shape == (3,)
    assert emb.forward(np.zeros((2, 0), dtype=int)).shape == (2, 0, 3)
    assert emb.forward(np.arange(10).reshape(2, 5, 1)).shape == (2, 5, 1, 3)


def test_one_hot_matmul_equals_lookup_exactly():
    emb = Embedding(13, 5, seed=1)
    ids = np.random.default_rng(0).integers(0, 13, size=(4, 6))
    assert np.array_equal(one_hot(ids, 13) @ emb.table, emb.forward(ids))
    assert np.array_equal(emb.forward_one_hot(ids), emb.forward(ids))
    # ... and equals a dense layer without bias whose weights are the table
    dense = Dense(13, 5, bias=False, weights=emb.table)
    assert np.array_equal(dense.forward(one_hot(ids, 13)), emb.forward(ids))
    oh = one_hot(np.array([2, 0]), 4)
    assert oh.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]


@pytest.mark.parametrize("bad", [-1, 7, 100])
def test_out_of_range_index_raises_naming_value_and_input_dim(bad):
    emb = Embedding(7, 2, seed=0)
    with pytest.raises(IndexError, match=rf"index {bad} .*input_dim=7"):
        emb.forward(np.array([0, 1, bad, 2]))
    with pytest.raises(IndexError, match=rf"index {bad}"):
        one_hot(np.array([bad]), 7)


def test_float_ids_rejected():
    with pytest.raises(TypeError, match="integers"):
        check_ids(np.array([1.0, 2.0]), 5)


def test_weights_are_copied_and_shape_checked():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb = Embedding(4, 3, weights=w)
    assert emb.table.dtype == np.float64 and np.array_equal(emb.table, w)
    emb.table[0] = -1
    assert w[0, 0] == 0  # the caller's array is untouched
    with pytest.raises(ValueError, match="shape"):
        Embedding(5, 3, weights=w)


def test_default_init_is_keras_uniform_and_seeded():
    a = Embedding(50, 8, seed=3).table
    assert np.array_equal(a, Embedding(50, 8, seed=3).table)
    assert not np.array_equal(a, Embedding(50, 8, seed=4).table)
    assert np.abs(a).max() <= 0.05


# --- Embedding backward ---------------------------------------------------------------------------------


def test_embedding_backward_matches_finite_differences_with_duplicates():
    rng = np.random.default_rng(0)
    emb = Embedding(6, 4, seed=0)
    ids = np.array([[1, 3, 1, 1], [5, 3, 0, 1]])  # 1 thrice in row 0, 3 twice, 2 and 4 never
    r = rng.normal(size=(2, 4, 4))

    def loss():
        return float(np.sum(np.tanh(emb.forward(ids)) * r))

    out = emb.forward(ids)
    sparse = emb.backward((1 - np.tanh(out) ** 2) * r)
    num = numeric_grad(loss, emb.table)
    assert sparse.rows.tolist() == [0, 1, 3, 5]
    np.testing.assert_allclose(sparse.to_dense(), num, rtol=1e-7, atol=1e-9)
    assert np.all(num[[2, 4]] == 0)


def test_sparse_grad_with_duplicates_equals_dense_one_hot_grad():
    rng = np.random.default_rng(1)
    emb = Embedding(9, 3, seed=1)
    ids = rng.integers(0, 9, size=(5, 7))
    g = rng.normal(size=(5, 7, 3))
    emb.forward(ids)
    sparse = emb.backward(g)
    # dense gradient of one_hot(ids) @ W: one_hot^T @ g
    oh = one_hot(ids, 9).reshape(-1, 9)
    dense = oh.T @ g.reshape(-1, 3)
    np.testing.assert_allclose(sparse.to_dense(), dense, rtol=1e-12, atol=1e-12)
    assert np.array_equal(sparse.rows, np.unique(ids))
    assert len(set(sparse.rows.tolist())) == len(sparse.rows)


def test_padding_row_is_zero_gets_no_grad_and_never_changes():
    w = np.random.default_rng(0).normal(size=(5, 3))
    emb = Embedding(5, 3, weights=w, padding_idx=0)
    assert np.all(emb.table[0] == 0)  # zeroed explicitly, even when the given weights are not
    ids = np.array([[0, 0, 2], [3, 0, 0]])
    assert np.all(emb.forward(ids)[ids == 0] == 0)
    sparse = emb.backward(np.ones((2, 3, 3)))
    assert 0 not in sparse.rows.tolist()
    for opt in (SGD(lr=1.0), Adam(lr=0.5)):
        for _ in range(3):
            emb.forward(ids)
            emb.backward(np.ones((2, 3, 3)))
            opt.step(emb.parameters())
        assert np.all(emb.table[0] == 0)


@pytest.mark.parametrize("opt", [SGD(lr=0.3), Adam(lr=0.1)], ids=["sgd", "adam"])
def test_only_seen_rows_change_after_a_step(opt):
    emb = Embedding(8, 4, seed=2)
    before = emb.table.copy()
    ids = np.array([[1, 4, 4], [6, 1, 1]])
    emb.forward(ids)
    emb.backward(np.ones((2, 3, 4)))
    opt.step(emb.parameters())
    changed = np.flatnonzero(np.any(emb.table != before, axis=1))
    assert changed.tolist() == [1, 4, 6]
    assert np.array_equal(emb.table[[0, 2, 3, 5, 7]], before[[0, 2, 3, 5, 7]])


def test_sgd_sparse_step_equals_dense_step():
    rng = np.random.default_rng(3)
    emb = Embedding(7, 3, seed=3)
    w0 = emb.table.copy()
    ids = rng.integers(0, 7, size=(4, 5))
    g = rng.normal(size=(4, 5, 3))
    emb.forward(ids)
    sparse = emb.backward(g)
    SGD(lr=0.1).step(emb.parameters())
    np.testing.assert_allclose(emb.table, w0 - 0.1 * sparse.to_dense(), rtol=0, atol=1e-15)


def test_lazy_adam_equals_dense_adam_on_touched_rows_first_step():
    # On the first step all moments are zero, so lazy and dense Adam agree on the touched rows;
    # dense Adam would move no untouched row either (zero gradient, zero moments).
    rng = np.random.default_rng(4)
    w = rng.normal(size=(6, 2))
    ids = np.array([0, 2, 2, 5])
    g = rng.normal(size=(4, 2))
    sparse_p = Parameter(w.copy())
    dense_p = Parameter(w.copy())
    emb = Embedding(6, 2, weights=w)
    emb.forward(ids)
    sparse_p.grad = emb.backward(g)
    dense_p.grad = sparse_p.grad.to_dense()
    Adam(lr=0.01).step([sparse_p])
    Adam(lr=0.01).step([dense_p])
    np.testing.assert_allclose(sparse_p.value, dense_p.value, rtol=0, atol=1e-15)


def test_adam_matches_reference_formula():
    p = Parameter(np.array([1.0, -2.0]))
    opt = Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    m = v = np.zeros(2)
    x = p.value.copy()
    for t in range(1, 4):
        g = 2 * x  # gradient of |x|^2
        p.grad = 2 * p.value
        opt.step([p])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x = x - 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(p.value, x, rtol=1e-12)


def test_frozen_table_is_not_updated():
    emb = Embedding(5, 2, seed=0, trainable=False)
    before = emb.table.copy()
    emb.forward(np.array([1, 2]))
    emb.backward(np.ones((2, 2)))
    SGD(1.0).step(emb.parameters())
    Adam(1.0).step(emb.parameters())
    assert np.array_equal(emb.table, before)


# --- the other layers -------------------------------------------------------------------------------------


def test_mean_pool_forward_excludes_padding():
    x = np.arange(2 * 3 * 2, dtype=float).reshape(2, 3, 2)
    mask = np.array([[True, True, False], [False, False, False]])
    out = MeanPool().forward(x, mask)
    np.testing.assert_allclose(out[0], (x[0, 0] + x[0, 1]) / 2)
    assert np.all(out[1] == 0)  # empty sentence pools to zeros


def test_mean_pool_backward_matches_finite_differences():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 2))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 1, 0, 1]], dtype=bool)
    r = rng.normal(size=(3, 2))
    pool = MeanPool()

    def loss():
        return float(np.sum(pool.forward(x, mask) * r))

    loss()
    dx = pool.backward(r)
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-7, atol=1e-10)
    assert np.all(dx[~mask] == 0)


def test_linear_backward_matches_finite_differences():
    rng = np.random.default_rng(6)
    lin = Linear(4, 3, seed=0)
    lin.bias.value[:] = rng.normal(size=3)
    x = rng.normal(size=(5, 4))
    r = rng.normal(size=(5, 3))

    def loss():
        return float(np.sum(np.sin(lin.forward(x)) * r))

    y = lin.forward(x)
    dx = lin.backward(np.cos(y) * r)
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(lin.weight.grad, numeric_grad(loss, lin.weight.value), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(lin.bias.grad, numeric_grad(loss, lin.bias.value), rtol=1e-7, atol=1e-10)


def test_softmax_cross_entropy_value_and_backward():
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(4, 3)) * 3
    labels = np.array([0, 2, 1, 2])
    ce = SoftmaxCrossEntropy()
    value = ce.forward(logits, labels)
    p = softmax(logits)
    assert value == pytest.approx(-np.mean(np.log(p[np.arange(4), labels])), rel=1e-12)
    grad = ce.backward()
    np.testing.assert_allclose(grad, numeric_grad(lambda: ce.forward(logits, labels), logits), rtol=1e-6, atol=1e-9)
    assert np.allclose(softmax(np.array([[1000.0, 1000.0]])), 0.5)  # stable


def test_whole_classifier_gradient_matches_finite_differences():
    """Embedding -> masked mean -> linear -> softmax CE, chained by hand, against finite differences."""
    rng = np.random.default_rng(8)
    emb = Embedding(7, 3, seed=0, padding_idx=0)
    pool, lin, ce = MeanPool(), Linear(3, 2, seed=1), SoftmaxCrossEntropy()
    ids = np.array([[1, 2, 2, 0], [3, 6, 0, 0], [5, 1, 4, 4]])
    labels = np.array([0, 1, 1])
    lin.bias.value[:] = rng.normal(size=2)

    def loss():
        return ce.forward(lin.forward(pool.forward(emb.forward(ids), ids != 0)), labels)

    loss()
    sparse = emb.backward(pool.backward(lin.backward(ce.backward())))
    num = numeric_grad(loss, emb.table)
    np.testing.assert_allclose(sparse.to_dense(), num, rtol=1e-6, atol=1e-10)
    assert np.all(num[0] == 0)  # padding: no influence on the loss
    np.testing.assert_allclose(lin.weight.grad, numeric_grad(loss, lin.weight.value), rtol=1e-6, atol=1e-10)


def test_sparse_grad_to_dense():
    g = SparseGrad(np.array([1, 3]), np.array([[1.0, 2.0], [3.0, 4.0]]), (4, 2))
    assert g.to_dense().tolist() == [[0, 0], [1, 2], [0, 0], [3, 4]]


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError):
        Embedding(3, 2).backward(np.zeros((1, 2)))


def test_append_rows_extends_the_lookup():
    emb = Embedding(3, 2, weights=np.arange(6.0).reshape(3, 2), padding_idx=0)
    first = emb.append_rows(np.array([[7.0, 8.0], [9.0, 10.0]]))
    assert first == 3 and emb.input_dim == 5 and emb.table.shape == (5, 2)
    np.testing.assert_array_equal(emb.forward(np.array([4, 0, 1])), [[9, 10], [0, 0], [2, 3]])
    with pytest.raises(IndexError):
        emb.forward(np.array([5]))
