#!/usr/bin/env python
"""What does ``Embedding(input_dim, output_dim)`` compute, and how is it trained? A worked example.

Two phrases, "Hope to see you soon" and "Nice to see you again", are encoded by order of appearance
of their words; an ``Embedding(7, 2)`` maps each index to a row of a (7, 2) table. The script
checks, printing each step:

1. the encodings are [0, 1, 2, 3, 4] and [5, 1, 2, 3, 6];
2. the second phrase maps to rows 5, 1, 2, 3, 6 of the table;
3. the one-hot vector of "soon" times the table equals row 4;
4. an index the table does not have (7) raises IndexError;
5. after one training step on the first phrase only, rows 0-4 changed and rows 5 and 6 did not:
   only the words seen in training are updated;
6. a dense layer without bias on one-hot inputs gives the same outputs (and the same gradient).

Run: ``python scripts/embedding_explained.py``.
"""

from __future__ import annotations

import textwrap

import numpy as np

from w2v.layers import SGD, Embedding, Linear, MeanPool, SoftmaxCrossEntropy, one_hot

PHRASES = ["Hope to see you soon", "Nice to see you again"]


def encode_by_appearance(phrases: list[str]) -> tuple[dict[str, int], list[list[int]]]:
    """Give each new word the next integer, in order of first appearance."""
    index: dict[str, int] = {}
    encoded = []
    for phrase in phrases:
        encoded.append([index.setdefault(w.lower(), len(index)) for w in phrase.split()])
    return index, encoded


def show(title: str, array: np.ndarray) -> None:
    print(title)
    print(textwrap.indent(np.array2string(np.asarray(array), precision=4, suppress_small=True), "    "))


def explain(seed: int = 0, verbose: bool = True) -> dict:
    """Run every step, assert what it shows, and return the intermediate arrays."""
    say = print if verbose else (lambda *a, **k: None)
    out: dict = {}

    say("== 1. Encode the phrases by order of appearance")
    index, (first, second) = encode_by_appearance(PHRASES)
    for phrase, ids in zip(PHRASES, (first, second)):
        say(f"  {phrase!r:28} -> {ids}")
    say(f"  word index: {index}")
    assert first == [0, 1, 2, 3, 4] and second == [5, 1, 2, 3, 6]
    out.update(index=index, first=first, second=second)

    say("\n== 2. Embedding(7, 2): a (7, 2) table, one row per index; forward = row lookup")
    emb = Embedding(len(index), 2, seed=seed)
    table0 = emb.table.copy()
    if verbose:
        show("  table =", table0)
    looked_up = emb.forward(np.array(second))
    if verbose:
        show(f"  Embedding({second}) =", looked_up)
    assert np.array_equal(looked_up, table0[[5, 1, 2, 3, 6]])
    say("  = rows 5, 1, 2, 3, 6 of the table")
    batch = emb.forward(np.array([first, second]))
    say(f"  a batch of both phrases, shape (2, 5) -> {batch.shape}")
    out.update(table=table0, second_rows=looked_up)

    say("\n== 3. The one-hot vector of 'soon' times the table is row 4")
    soon = one_hot(np.array(index["soon"]), len(index))
    say(f"  one_hot('soon') = {soon.astype(int).tolist()}")
    product = soon @ emb.table
    say(f"  one_hot('soon') @ table = {np.round(product, 4).tolist()} ; row 4 = {np.round(emb.table[4], 4).tolist()}")
    assert np.array_equal(product, emb.table[4])
    assert np.array_equal(emb.forward_one_hot(np.array(second)), looked_up)
    out["soon_product"] = product

    say("\n== 4. An index the table does not have raises (no silent wrap-around)")
    try:
        emb.forward(np.array([0, 1, 7]))
    except IndexError as exc:
        say(f"  Embedding([0, 1, 7]) -> IndexError: {exc}")
        out["error"] = str(exc)
    else:  # pragma: no cover - the point of the step
        raise AssertionError("index 7 did not raise")

    say("\n== 5. One training step on the first phrase only (mean of its vectors -> linear -> softmax, label 1)")
    pool, linear, loss_fn = MeanPool(), Linear(2, 2, seed=seed), SoftmaxCrossEntropy()
    ids = np.array([first])
    loss = loss_fn.forward(linear.forward(pool.forward(emb.forward(ids), ids >= 0)), np.array([1]))
    grad = emb.backward(pool.backward(linear.backward(loss_fn.backward())))
    say(f"  loss {loss:.4f}; the sparse gradient has rows {grad.rows.tolist()}")
    SGD(lr=1.0).step(emb.parameters())
    changed = np.flatnonzero(np.any(emb.table != table0, axis=1)).tolist()
    if verbose:
        show("  table after the step =", emb.table)
    say(f"  rows that changed: {changed}; rows 5 ('nice') and 6 ('again') are identical: "
        f"{np.array_equal(emb.table[5:], table0[5:])}")
    assert changed == [0, 1, 2, 3, 4]
    assert np.array_equal(emb.table[5:], table0[5:])
    out.update(changed=changed, table_after=emb.table.copy())

    say("\n== 6. A dense layer without bias on one-hot inputs is the same layer")
    dense = Linear(len(index), 2, bias=False, weights=emb.table)
    x = one_hot(np.array(second), len(index))
    dense_out = dense.forward(x)
    assert np.array_equal(dense_out, emb.forward(np.array(second)))
    say("  Dense(7 -> 2, no bias)(one_hot(phrase 2)) == Embedding(phrase 2): True")
    g = np.ones_like(dense_out)
    dense.backward(g)
    emb_grad = emb.backward(g).to_dense()
    assert np.allclose(dense.weight.grad, emb_grad)
    say(f"  and its weight gradient equals the Embedding's: zero in rows "
        f"{np.flatnonzero(~np.any(dense.weight.grad != 0, axis=1)).tolist()} (words not in the phrase)")
    say("  The Embedding just skips building the one-hot matrix and multiplying by zeros.")
    out["dense_out"] = dense_out
    return out


if __name__ == "__main__":
    explain()
