"""``EmbeddingBag``: an :class:`~w2v.layers.Embedding` followed by pooling over each text's tokens, in one
layer, as ``torch.nn.EmbeddingBag``.

Pooling modes (Shen et al. 2018, "SWEM"): ``mean`` (the masked mean, the baseline), ``max``
(per-dimension maximum over the tokens) and ``mean-max`` (the two concatenated, ``2 * dim`` outputs).
Padding (id 0) never counts; a text with no token pools to zeros.

Fusing the lookup and the pooling lets the gradient skip the ``(batch, len, dim)`` intermediate:
for the mean, the pooled vector is ``A @ table[U]`` with ``U`` the distinct ids of the batch and
``A`` the sparse ``(batch, |U|)`` matrix of token frequencies over text lengths, so both passes cost
``O(distinct tokens x dim)``; for the max, each output receives the gradient of the one row that
won it (found by comparing with the maximum: no strided ``argmax``). The result is the same
function as ``MeanPool(Embedding(ids))`` (checked in the tests) and
the gradient is a :class:`~w2v.layers.SparseGrad` over the rows looked up.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .layers import Embedding, Parameter, SparseGrad

POOLINGS = ("mean", "max", "mean-max")


class EmbeddingBag:
    """Lookup + pooling: ``(batch, len)`` padded ids → ``(batch, dim)`` (``2 * dim`` for ``mean-max``).

    Parameters
    ----------
    embedding : Embedding
        The table (its ``padding_idx`` marks the padding id; ``None``: every id counts).
    pooling : {"mean", "max", "mean-max"}
        How the token vectors of a text are combined.
    """

    def __init__(self, embedding: Embedding, pooling: str = "mean"):
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}: choose one of {', '.join(POOLINGS)}")
        self.embedding = embedding
        self.pooling = pooling
        self._cache: dict = {}

    @property
    def output_dim(self) -> int:
        """Length of a pooled vector."""
        return self.embedding.output_dim * (2 if self.pooling == "mean-max" else 1)

    def parameters(self) -> list[Parameter]:
        """The table."""
        return self.embedding.parameters()

    def prepare(self, ids: np.ndarray):
        """The input :meth:`forward` is fastest on: for ``mean`` the sparse ``(n, input_dim)`` matrix of each
        text's token frequencies over its length (rows sliced per batch at ``O(tokens)`` cost, no padding);
        for the others ``ids`` unchanged."""
        if self.pooling != "mean":
            return ids
        ids = np.asarray(ids)
        pad = self.embedding.padding_idx
        mask = ids != pad if pad is not None else np.ones(ids.shape, dtype=bool)
        rows, cols = np.nonzero(mask)
        length = np.maximum(mask.sum(axis=1), 1)
        data = (1.0 / length)[rows].astype(self.embedding.table.dtype)
        bag = sp.csr_matrix((data, (rows, ids[rows, cols])), shape=(ids.shape[0], self.embedding.input_dim))
        bag.sum_duplicates()
        return bag

    def forward(self, ids) -> np.ndarray:
        """Pooled vectors of the texts in ``ids`` (rows right-padded with the padding id), or of the rows of
        a :meth:`prepare` matrix."""
        if sp.issparse(ids):
            return self._forward_bag(sp.csr_matrix(ids))
        ids = np.asarray(ids)
        if ids.ndim != 2:
            raise ValueError(f"ids must be (batch, len), got shape {ids.shape}")
        table = self.embedding.table
        pad = self.embedding.padding_idx
        mask = ids != pad if pad is not None else np.ones(ids.shape, dtype=bool)
        rows, cols = np.nonzero(mask)
        uniq, inv = np.unique(ids[rows, cols], return_inverse=True)
        if uniq.size and (uniq[0] < 0 or uniq[-1] >= self.embedding.input_dim):
            self.embedding.forward(uniq)  # raises the layer's IndexError
        self._cache = {"uniq": uniq, "shape": ids.shape}
        out = []
        if self.pooling in ("mean", "mean-max"):
            length = np.maximum(mask.sum(axis=1), 1).astype(table.dtype)
            bag = sp.csr_matrix(((1.0 / length)[rows], (rows, inv)), shape=(ids.shape[0], uniq.size),
                                dtype=table.dtype)  # duplicates summed: frequency / length
            self._cache["bag"] = bag
            out.append(bag @ table[uniq] if uniq.size else np.zeros((ids.shape[0], table.shape[1]), table.dtype))
        if self.pooling in ("max", "mean-max"):
            x = table[ids]
            x[~mask] = -np.inf
            best = x.max(axis=1)  # (batch, dim)
            empty = ~mask.any(axis=1)
            best[empty] = 0.0
            self._cache.update(x=x, best=best, empty=empty, ids=ids, mask=mask)
            out.append(best)
        return out[0] if len(out) == 1 else np.concatenate(out, axis=1)

    __call__ = forward

    def _forward_bag(self, x: sp.csr_matrix) -> np.ndarray:
        if self.pooling != "mean":
            raise ValueError("a frequency matrix can only be mean-pooled")
        table = self.embedding.table
        uniq, inv = np.unique(x.indices, return_inverse=True)
        bag = sp.csr_matrix((x.data, inv.reshape(-1), x.indptr), shape=(x.shape[0], uniq.size))
        self._cache = {"uniq": uniq, "bag": bag}
        return bag @ table[uniq] if uniq.size else np.zeros((x.shape[0], table.shape[1]), table.dtype)

    def backward(self, grad: np.ndarray) -> SparseGrad:
        """Gradient of the loss w.r.t. the table (rows looked up only, padding left out), stored in the
        table's parameter and returned."""
        if not self._cache:
            raise RuntimeError("backward() called before forward()")
        table = self.embedding.table
        dim = table.shape[1]
        grad = np.asarray(grad, dtype=table.dtype)
        parts_rows, parts_values = [], []
        if self.pooling in ("mean", "mean-max"):
            parts_rows.append(self._cache["uniq"])
            parts_values.append(np.asarray(self._cache["bag"].T @ grad[:, :dim]))
        if self.pooling in ("max", "mean-max"):
            c = self._cache
            g = grad[:, -dim:].copy()
            g[c["empty"]] = 0.0
            # each output's gradient goes to the position(s) holding the maximum (ties: all of them, a
            # measure-zero event for real-valued tables), then is summed per row like the mean's
            wins = c["x"] == c["best"][:, None, :]  # (batch, len, dim)
            b, t = np.nonzero(wins.any(axis=2) & c["mask"])
            win_rows, inv = np.unique(c["ids"][b, t], return_inverse=True)
            per_pos = wins[b, t] * g[b]  # (positions, dim)
            pos_to_row = sp.csr_matrix((np.ones(len(b), dtype=table.dtype), (inv, np.arange(len(b)))),
                                       shape=(win_rows.size, len(b)))
            parts_rows.append(win_rows)
            parts_values.append(np.asarray(pos_to_row @ per_pos))
        rows = np.concatenate(parts_rows)
        values = np.concatenate(parts_values)
        if len(parts_rows) > 1:
            rows, inv = np.unique(rows, return_inverse=True)
            summed = np.zeros((rows.size, dim), dtype=table.dtype)
            np.add.at(summed, inv, values)
            values = summed
        pad = self.embedding.padding_idx
        if pad is not None:
            keep = rows != pad
            rows, values = rows[keep], values[keep]
        sparse = SparseGrad(rows.astype(np.int64), values, table.shape)
        self.embedding.weight.grad = sparse
        return sparse
