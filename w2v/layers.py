"""The layers of a small text classifier in numpy, each with a forward and a backward pass.

The centre piece is :class:`Embedding`: what a Keras ``Embedding(input_dim, output_dim)`` or a
PyTorch ``nn.Embedding`` computes. Its forward pass is a row lookup, ``table[ids]``; that lookup is
the same number as ``one_hot(ids) @ table`` (a dense layer without bias on one-hot inputs), only
without building the one-hot matrix. Its gradient is therefore *sparse*: only the rows that were
looked up receive a gradient, a row looked up twice receives the sum of both gradients, and an
optimizer step changes only those rows. Words never seen in training keep their initial vectors.

The other layers are what a bag-of-embeddings classifier needs: :class:`MeanPool` (masked mean over
the tokens of a sentence, padding excluded), :class:`Linear` (a dense layer) and
:class:`SoftmaxCrossEntropy`. :class:`SGD` and :class:`Adam` update :class:`Parameter` objects and
apply sparse gradients lazily (untouched rows, and their Adam moments, stay as they are).

Everything takes and returns plain numpy arrays. Layers compute in float64 by default, so the
gradient checks against finite differences are tight; pass ``dtype=np.float32`` for speed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: Default half-width of the uniform initialization of an Embedding table, as Keras'
#: ``embeddings_initializer="uniform"`` (``RandomUniform(-0.05, 0.05)``).
INIT_SCALE = 0.05


@dataclass
class SparseGrad:
    """Gradient of a table that only some rows received.

    Attributes
    ----------
    rows : numpy.ndarray
        Unique row indices, ascending (int64).
    values : numpy.ndarray
        ``(len(rows), dim)``; ``values[k]`` is the summed gradient of row ``rows[k]``.
    shape : tuple of int
        Shape of the full table.
    """

    rows: np.ndarray
    values: np.ndarray
    shape: tuple[int, int]

    def to_dense(self) -> np.ndarray:
        """The same gradient as a full ``shape`` array, zero in the rows not touched."""
        dense = np.zeros(self.shape, dtype=self.values.dtype)
        dense[self.rows] = self.values
        return dense


class Parameter:
    """A trainable array with its latest gradient.

    Parameters
    ----------
    value : numpy.ndarray
        The array, updated in place by optimizers.
    trainable : bool
        ``False`` freezes it: optimizers skip it.
    fixed_rows : iterable of int, optional
        Rows an optimizer must never change (an Embedding's padding row).
    """

    def __init__(self, value: np.ndarray, trainable: bool = True, fixed_rows: Iterable[int] = ()):
        self.value = value
        self.trainable = trainable
        self.fixed_rows = tuple(int(r) for r in fixed_rows)
        self.grad: np.ndarray | SparseGrad | None = None

    def __repr__(self) -> str:
        return f"Parameter(shape={self.value.shape}, trainable={self.trainable})"


def one_hot(ids: np.ndarray, depth: int, dtype: type = np.float64) -> np.ndarray:
    """One-hot encode integer ``ids``: shape ``ids.shape + (depth,)``.

    ``one_hot(ids, V) @ table`` equals ``table[ids]`` exactly (each output is one product by 1.0
    plus zeros), which is why an Embedding layer is a dense layer without bias on one-hot inputs.
    Out-of-range ids raise ``IndexError`` as in :meth:`Embedding.forward`.
    """
    ids = check_ids(ids, depth)
    out = np.zeros(ids.shape + (depth,), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return out


def check_ids(ids: np.ndarray | Iterable[int], input_dim: int) -> np.ndarray:
    """Return ``ids`` as an int64 array; raise if any is outside ``0 .. input_dim - 1``.

    Raises
    ------
    TypeError
        If ``ids`` are not integers (floats are not silently truncated).
    IndexError
        Naming the first bad value and ``input_dim``: numpy would wrap ``-1`` around to the last
        row, Keras and PyTorch refuse it, and so does this.
    """
    arr = np.asarray(ids)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise TypeError(f"embedding indices must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    bad = (arr < 0) | (arr >= input_dim)
    if bad.any():
        value = int(arr[bad][0])
        raise IndexError(
            f"index {value} is out of range for an Embedding with input_dim={input_dim} "
            f"(valid indices are 0..{input_dim - 1})"
        )
    return arr


class Embedding:
    """A lookup table: ``forward(ids)`` returns ``table[ids]``.

    Parameters
    ----------
    input_dim : int
        Number of rows (vocabulary size, padding and unknown rows included).
    output_dim : int
        Length of each vector.
    weights : numpy.ndarray, optional
        Initial ``(input_dim, output_dim)`` table (e.g. an aligned word2vec matrix); it is copied.
        Default: uniform in ``[-0.05, 0.05]`` like Keras.
    trainable : bool
        ``False`` freezes the table (Keras ``trainable=False``, PyTorch ``freeze=True``).
    padding_idx : int, optional
        A row that is set to zero, returns zeros, and never receives a gradient or an update
        (PyTorch's ``padding_idx``; Keras masks it with ``mask_zero=True``).
    seed : int, optional
        Seed of the random initialization.
    dtype : numpy dtype
        Storage type of the table (float64 default).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        weights: np.ndarray | None = None,
        trainable: bool = True,
        padding_idx: int | None = None,
        seed: int | None = None,
        dtype: type = np.float64,
    ):
        if input_dim < 1 or output_dim < 1:
            raise ValueError(f"input_dim and output_dim must be positive, got ({input_dim}, {output_dim})")
        if weights is None:
            rng = np.random.default_rng(seed)
            table = rng.uniform(-INIT_SCALE, INIT_SCALE, size=(input_dim, output_dim)).astype(dtype)
        else:
            table = np.array(weights, dtype=dtype)  # a copy: training must not change the caller's array
            if table.shape != (input_dim, output_dim):
                raise ValueError(f"weights have shape {table.shape}, expected ({input_dim}, {output_dim})")
        fixed: tuple[int, ...] = ()
        if padding_idx is not None:
            if not 0 <= padding_idx < input_dim:
                raise IndexError(f"padding_idx {padding_idx} is out of range for input_dim={input_dim}")
            table[padding_idx] = 0.0
            fixed = (padding_idx,)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.padding_idx = padding_idx
        self.weight = Parameter(table, trainable=trainable, fixed_rows=fixed)
        self._ids: np.ndarray | None = None

    @property
    def table(self) -> np.ndarray:
        """The ``(input_dim, output_dim)`` array (the layer's only parameter)."""
        return self.weight.value

    @property
    def trainable(self) -> bool:
        """Whether optimizers update the table."""
        return self.weight.trainable

    def parameters(self) -> list[Parameter]:
        """The table, as a list for optimizers."""
        return [self.weight]

    def append_rows(self, rows: np.ndarray) -> int:
        """Add rows at the end of the table (e.g. vectors of words first met after training); returns
        the id of the first new row. Optimizer state sized to the old table does not follow them."""
        rows = np.asarray(rows, dtype=self.table.dtype).reshape(-1, self.output_dim)
        first = self.input_dim
        self.weight.value = np.concatenate([self.table, rows])
        self.input_dim += len(rows)
        return first

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Look up rows: integer array of any shape ``S`` → ``S + (output_dim,)``."""
        ids = check_ids(ids, self.input_dim)
        self._ids = ids
        return self.table[ids]

    __call__ = forward

    def forward_one_hot(self, ids: np.ndarray) -> np.ndarray:
        """The same output as :meth:`forward`, computed as ``one_hot(ids) @ table``.

        Costs ``input_dim`` times more than the lookup; it exists to show (and test) that the two
        are the same function.
        """
        return one_hot(ids, self.input_dim, dtype=self.table.dtype) @ self.table

    def backward(self, grad: np.ndarray) -> SparseGrad:
        """Gradient of the loss w.r.t. the table, given ``grad`` = dLoss/d(output of forward).

        Row ``r`` receives the sum of ``grad`` over every position where ``ids == r``; rows not
        looked up receive nothing and are left out. The padding row is left out too. The result
        is stored in ``self.weight.grad`` and returned.
        """
        if self._ids is None:
            raise RuntimeError("backward() called before forward()")
        ids = self._ids.reshape(-1)
        grad = np.asarray(grad).reshape(ids.size, self.output_dim)
        rows, inverse = np.unique(ids, return_inverse=True)
        values = np.zeros((rows.size, self.output_dim), dtype=self.table.dtype)
        np.add.at(values, inverse.reshape(-1), grad)
        if self.padding_idx is not None:
            keep = rows != self.padding_idx
            rows, values = rows[keep], values[keep]
        sparse = SparseGrad(rows, values, self.table.shape)
        self.weight.grad = sparse
        return sparse


class MeanPool:
    """Masked mean over the token axis: ``(batch, len, dim)`` → ``(batch, dim)``.

    Positions where ``mask`` is False (padding) are excluded from both the sum and the count; a
    sentence with no token at all pools to zeros.
    """

    def __init__(self):
        self._mask: np.ndarray | None = None
        self._count: np.ndarray | None = None

    def forward(self, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean of ``x[b, t]`` over the ``t`` with ``mask[b, t]`` true."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != x.shape[:2]:
            raise ValueError(f"mask shape {mask.shape} does not match input {x.shape[:2]}")
        weights = mask.astype(x.dtype)
        count = np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        self._mask, self._count = weights, count
        return np.einsum("bt,btd->bd", weights, x) / count

    __call__ = forward

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """dLoss/dx: each unmasked position gets ``grad / count``, padding gets zero."""
        if self._mask is None or self._count is None:
            raise RuntimeError("backward() called before forward()")
        return (self._mask / self._count)[:, :, None] * grad[:, None, :]


class Linear:
    """Dense layer ``y = x @ W + b`` (``W`` of shape ``(in_dim, out_dim)``).

    Parameters
    ----------
    in_dim, out_dim : int
        Input and output sizes.
    bias : bool
        Add a bias vector (initialized to zero).
    weights : numpy.ndarray, optional
        Initial ``W``; default Glorot-uniform as in Keras' ``Dense``.
    seed : int, optional
        Seed of the random initialization.
    dtype : numpy dtype
        Storage type (float64 default).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        bias: bool = True,
        weights: np.ndarray | None = None,
        seed: int | None = None,
        dtype: type = np.float64,
    ):
        if weights is None:
            limit = np.sqrt(6.0 / (in_dim + out_dim))
            w = np.random.default_rng(seed).uniform(-limit, limit, size=(in_dim, out_dim)).astype(dtype)
        else:
            w = np.array(weights, dtype=dtype)
            if w.shape != (in_dim, out_dim):
                raise ValueError(f"weights have shape {w.shape}, expected ({in_dim}, {out_dim})")
        self.weight = Parameter(w)
        self.bias = Parameter(np.zeros(out_dim, dtype=dtype)) if bias else None
        self._x: np.ndarray | None = None

    def parameters(self) -> list[Parameter]:
        """Weight (and bias) for optimizers."""
        return [self.weight] + ([self.bias] if self.bias is not None else [])

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x @ W (+ b)`` over the last axis of ``x``."""
        self._x = x
        y = x @ self.weight.value
        return y + self.bias.value if self.bias is not None else y

    __call__ = forward

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Store dLoss/dW and dLoss/db; return dLoss/dx."""
        if self._x is None:
            raise RuntimeError("backward() called before forward()")
        x2 = self._x.reshape(-1, self._x.shape[-1])
        g2 = grad.reshape(-1, grad.shape[-1])
        self.weight.grad = x2.T @ g2
        if self.bias is not None:
            self.bias.grad = g2.sum(axis=0)
        return grad @ self.weight.value.T


#: Keras calls it Dense.
Dense = Linear


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean negative log-likelihood of integer labels under ``softmax(logits)``."""

    def __init__(self):
        self._probs: np.ndarray | None = None
        self._labels: np.ndarray | None = None

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        """Loss averaged over the batch; ``labels`` are class indices."""
        labels = np.asarray(labels, dtype=np.int64)
        z = logits - logits.max(axis=-1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        self._probs, self._labels = np.exp(log_probs), labels
        return float(-log_probs[np.arange(labels.size), labels].mean())

    __call__ = forward

    def backward(self) -> np.ndarray:
        """dLoss/dlogits = (softmax - one_hot(labels)) / batch."""
        if self._probs is None or self._labels is None:
            raise RuntimeError("backward() called before forward()")
        grad = self._probs.copy()
        grad[np.arange(self._labels.size), self._labels] -= 1.0
        return grad / self._labels.size


class SGD:
    """Plain stochastic gradient descent: ``value -= lr * grad``; sparse gradients touch only their rows."""

    def __init__(self, lr: float = 0.1):
        self.lr = lr

    def step(self, params: Iterable[Parameter]) -> None:
        """Apply the gradients stored in ``params`` (frozen ones and fixed rows are skipped)."""
        for p in params:
            if not p.trainable or p.grad is None:
                continue
            g = p.grad
            if isinstance(g, SparseGrad):
                rows, values = _drop_fixed(g.rows, g.values, p.fixed_rows)
                p.value[rows] -= self.lr * values
            else:
                saved = p.value[list(p.fixed_rows)].copy() if p.fixed_rows else None
                p.value -= self.lr * g
                if saved is not None:
                    p.value[list(p.fixed_rows)] = saved


class Adam:
    """Adam (Kingma & Ba 2015). Sparse gradients are applied lazily, as PyTorch's ``SparseAdam``
    and TF's ``LazyAdam``: only the rows in the gradient update their moments and their values; the
    bias correction uses the optimizer's global step count.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self._state: dict[Parameter, tuple[np.ndarray, np.ndarray]] = {}  # keyed by identity

    def step(self, params: Iterable[Parameter]) -> None:
        """One Adam step on every trainable parameter that has a gradient."""
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for p in params:
            if not p.trainable or p.grad is None:
                continue
            if p not in self._state:
                self._state[p] = (np.zeros_like(p.value), np.zeros_like(p.value))
            m, v = self._state[p]
            g = p.grad
            if isinstance(g, SparseGrad):
                rows, values = _drop_fixed(g.rows, g.values, p.fixed_rows)
                m_r = self.beta1 * m[rows] + (1 - self.beta1) * values
                v_r = self.beta2 * v[rows] + (1 - self.beta2) * values * values
                m[rows], v[rows] = m_r, v_r
                p.value[rows] -= self.lr * (m_r / c1) / (np.sqrt(v_r / c2) + self.eps)
            else:
                m *= self.beta1
                m += (1 - self.beta1) * g
                v *= self.beta2
                v += (1 - self.beta2) * g * g
                update = self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
                if p.fixed_rows:
                    update[list(p.fixed_rows)] = 0.0
                p.value -= update


def _drop_fixed(rows: np.ndarray, values: np.ndarray, fixed: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    if not fixed:
        return rows, values
    keep = ~np.isin(rows, fixed)
    return rows[keep], values[keep]
