"""A small text classifier built on the numpy :class:`~w2v.layers.Embedding`: where a word2vec table
meets a supervised task.

Pipeline: tokenize → word index from the training split (index 0 padding, 1 unknown, then words by
descending count) → ``Embedding`` → masked mean over the tokens → ``Linear`` → softmax
cross-entropy, trained with mini-batch Adam or SGD and early stopping on a validation split. The
table starts random (Keras' uniform ±0.05) or from a trained w2v model aligned to the word index by
:func:`w2v.export.align`, and is then frozen or fine-tuned.

Datasets: one file per class (the class is the file name minus the prefix and suffix all names
share, so ``rt-polarity.pos``/``rt-polarity.neg`` give ``pos``/``neg``), or one file with one
example a line and a label column (TSV/CSV).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .cli import SEED, Options, option
from .errors import W2VError
from .export import PAD_ID, POLICIES, RESERVED, UNK_ID, AlignReport, align, with_reserved
from .formats import load
from .layers import SGD, Adam, Embedding, Linear, MeanPool, Parameter, SoftmaxCrossEntropy, softmax

#: A word (letters/digits, with inner apostrophes: "isn't", "film's") or one punctuation character.
TOKEN_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
OPTIMIZERS = ("adam", "sgd")
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.5}


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split ``text`` into words and punctuation marks (lowercased by default)."""
    return TOKEN_RE.findall(text.lower() if lowercase else text)


# --- data ----------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """Texts with integer labels; ``classes[label]`` is the class name."""

    texts: list[str]
    labels: np.ndarray
    classes: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def load_dataset(
    paths: Sequence[str | os.PathLike],
    encoding: str = "utf-8",
    delimiter: str | None = None,
    label_column: int = 0,
    text_column: int = 1,
    header: bool = False,
) -> Dataset:
    """One path: a labeled file (one example a line); several: one file per class."""
    if not paths:
        raise W2VError("no data files given")
    if len(paths) == 1:
        return load_labeled_file(paths[0], encoding, delimiter, label_column, text_column, header)
    return load_class_files(paths, encoding)


def _read_text(path: str | os.PathLike, encoding: str) -> str:
    path = Path(path)
    if not path.is_file():
        raise W2VError(f"data file not found: {path}")
    try:
        return path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raise W2VError(
            f"{path} is not valid {encoding} (byte {exc.start}); "
            "pass --encoding (e.g. latin-1 for the Pang & Lee files)"
        ) from None
    except LookupError:
        raise W2VError(f"unknown encoding {encoding!r}") from None


def class_names(paths: Sequence[str | os.PathLike]) -> list[str]:
    """Class of each file: its name without the prefix and suffix shared by all names."""
    names = [Path(p).name for p in paths]
    prefix = os.path.commonprefix(names)
    suffix = os.path.commonprefix([n[::-1] for n in names])[::-1]
    out = []
    for n in names:
        core = n[len(prefix): len(n) - len(suffix)] if len(prefix) + len(suffix) < len(n) else ""
        out.append(core.strip("._-") or n)
    if len(set(out)) != len(out):
        raise W2VError(f"two class files have the same name: {names}")
    return out


def load_class_files(paths: Sequence[str | os.PathLike], encoding: str = "utf-8") -> Dataset:
    """One file per class, one example a line (blank lines skipped)."""
    classes = class_names(paths)
    texts: list[str] = []
    labels: list[int] = []
    for k, path in enumerate(paths):
        # split on "\n" only: str.splitlines() also breaks at \x85 and \x1c-\x1e, which Latin-1 text contains
        lines = [ln.strip() for ln in _read_text(path, encoding).split("\n")]
        lines = [ln for ln in lines if ln]
        if not lines:
            raise W2VError(f"{path} has no examples (one example a line expected)")
        texts += lines
        labels += [k] * len(lines)
    return Dataset(texts, np.asarray(labels, dtype=np.int64), classes)


def load_labeled_file(
    path: str | os.PathLike,
    encoding: str = "utf-8",
    delimiter: str | None = None,
    label_column: int = 0,
    text_column: int = 1,
    header: bool = False,
) -> Dataset:
    """One example a line with a label column; ``delimiter`` defaults to ',' for .csv, else tab."""
    text = _read_text(path, encoding)
    if delimiter is None:
        delimiter = "," if Path(path).suffix.lower() == ".csv" else "\t"
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if header:
        rows = rows[1:]
    texts: list[str] = []
    names: list[str] = []
    for lineno, row in enumerate(rows, 1 + header):
        if not row or not any(c.strip() for c in row):
            continue
        if max(label_column, text_column) >= len(row):
            raise W2VError(
                f"{path}:{lineno}: {len(row)} column(s) with delimiter {delimiter!r}, need label column "
                f"{label_column} and text column {text_column} (see --delimiter, --label-column, --text-column)"
            )
        names.append(row[label_column].strip())
        texts.append(row[text_column].strip())
    classes = sorted(set(names))
    if len(classes) < 2:
        raise W2VError(f"{path}: found {len(classes)} class(es); a classifier needs at least two")
    lookup = {c: i for i, c in enumerate(classes)}
    return Dataset(texts, np.asarray([lookup[n] for n in names], dtype=np.int64), classes)


def build_vocabulary(
    token_lists: Sequence[Sequence[str]], min_count: int = 1, max_words: int | None = None
) -> list[str]:
    """Word index as a token list: ``['', '[UNK]', most frequent word, ...]`` (ties by first appearance).

    Index 0 is padding and 1 unknown, as ``TextVectorization.get_vocabulary()``; only words seen
    ``min_count`` times get their own index.
    """
    counts = Counter(t for toks in token_lists for t in toks)
    words = [w for w, c in counts.most_common() if c >= min_count and w not in RESERVED]
    if max_words is not None:
        words = words[:max_words]
    return with_reserved(words)


def encode(token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str], max_len: int | None = None) -> np.ndarray:
    """``(N, L)`` int32 ids, right-padded with 0; words not in ``vocabulary`` → 1; longer texts cut at ``max_len``."""
    index = {w: i for i, w in enumerate(vocabulary)}
    width = max((len(t) for t in token_lists), default=0)
    if max_len is not None:
        width = min(width, max_len)
    ids = np.zeros((len(token_lists), max(width, 1)), dtype=np.int32)
    for r, toks in enumerate(token_lists):
        row = [index.get(t, UNK_ID) for t in toks[:width]]
        ids[r, : len(row)] = row
    return ids


# --- model -------------------------------------------------------------------------------------------------


class TextClassifier:
    """``Embedding`` → masked mean pooling → ``Linear`` → softmax.

    Parameters
    ----------
    vocab_size : int
        Rows of the table (padding and unknown included).
    n_classes : int
        Number of classes.
    dim : int
        Vector length (ignored when ``weights`` is given).
    weights : numpy.ndarray, optional
        Initial table, e.g. from :func:`w2v.export.align`.
    freeze : bool
        Keep the table fixed (only the linear layer learns).
    seed : int, optional
        Seed of the random initializations.
    dtype : numpy dtype
        float32 (default, fast) or float64 (for gradient checks).
    """

    def __init__(
        self,
        vocab_size: int,
        n_classes: int,
        dim: int = 100,
        weights: np.ndarray | None = None,
        freeze: bool = False,
        seed: int | None = None,
        dtype: type = np.float32,
    ):
        rng = np.random.default_rng(seed)
        seeds = rng.integers(2**31, size=2)
        if weights is not None:
            dim = weights.shape[1]
        self.embedding = Embedding(vocab_size, dim, weights=weights, trainable=not freeze, padding_idx=PAD_ID,
                                   seed=int(seeds[0]), dtype=dtype)
        self.pool = MeanPool()
        self.linear = Linear(dim, n_classes, seed=int(seeds[1]), dtype=dtype)
        self.criterion = SoftmaxCrossEntropy()

    def parameters(self) -> list[Parameter]:
        """Every parameter (a frozen table is included but marked not trainable)."""
        return self.embedding.parameters() + self.linear.parameters()

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Logits ``(batch, n_classes)`` for padded ids ``(batch, len)``."""
        return self.linear.forward(self.pool.forward(self.embedding.forward(ids), ids != PAD_ID))

    def loss(self, ids: np.ndarray, labels: np.ndarray) -> float:
        """Mean cross-entropy of a batch (runs the forward pass)."""
        return self.criterion.forward(self.forward(ids), labels)

    def backward(self) -> None:
        """Gradients of the last :meth:`loss` into every parameter."""
        grad = self.linear.backward(self.criterion.backward())
        if self.embedding.trainable:
            self.embedding.backward(self.pool.backward(grad))

    def predict_proba(self, ids: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Class probabilities, in batches."""
        out = [softmax(self.forward(ids[i: i + batch_size])) for i in range(0, len(ids), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.linear.weight.value.shape[1]))

    def predict(self, ids: np.ndarray) -> np.ndarray:
        """Most probable class of each row."""
        return self.predict_proba(ids).argmax(axis=1)

    def accuracy(self, ids: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of rows classified correctly."""
        return float(np.mean(self.predict(ids) == labels)) if len(labels) else float("nan")


@dataclass
class History:
    """Per-epoch training record; ``best_epoch`` is 1-based (0: no validation)."""

    train_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


def fit(
    clf: TextClassifier,
    ids: np.ndarray,
    labels: np.ndarray,
    val_ids: np.ndarray | None = None,
    val_labels: np.ndarray | None = None,
    epochs: int = 20,
    batch_size: int = 32,
    optimizer: str = "adam",
    lr: float | None = None,
    patience: int = 3,
    seed: int | None = SEED,
    progress: bool = True,
) -> History:
    """Mini-batch training with early stopping on validation accuracy.

    After each epoch the validation accuracy is measured; training stops after ``patience`` epochs
    without improvement and the parameters of the best epoch are restored. Without validation data
    all ``epochs`` run.
    """
    if optimizer not in OPTIMIZERS:
        raise W2VError(f"unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    if epochs < 1 or batch_size < 1:
        raise W2VError("epochs and batch size must be at least 1")
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    opt = Adam(lr=lr) if optimizer == "adam" else SGD(lr=lr)
    rng = np.random.default_rng(seed)
    lengths = (ids != PAD_ID).sum(axis=1)
    params = clf.parameters()
    history = History()
    best_acc, best_state, waited = -1.0, None, 0
    n_batches = (len(ids) + batch_size - 1) // batch_size
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(ids))
        total = 0.0
        bar = tqdm(total=n_batches, desc=f"epoch {epoch}", leave=False, disable=None if progress else True,
                   unit="batch")  # None: off when stderr is not a terminal
        for b in range(n_batches):
            idx = order[b * batch_size: (b + 1) * batch_size]
            width = max(int(lengths[idx].max()), 1)
            total += clf.loss(ids[idx, :width], labels[idx]) * len(idx)
            clf.backward()
            opt.step(params)
            bar.update()
            if b % 50 == 0:
                bar.set_postfix(loss=f"{total / ((b + 1) * batch_size):.4f}")
        bar.close()
        history.train_loss.append(total / len(ids))
        if val_ids is None or val_labels is None or len(val_labels) == 0:
            continue
        acc = clf.accuracy(val_ids, val_labels)
        history.val_accuracy.append(acc)
        if acc > best_acc:
            best_acc, waited, history.best_epoch = acc, 0, epoch
            best_state = [p.value.copy() for p in params]
        else:
            waited += 1
            if waited >= patience:
                history.stopped_early = True
                break
    if best_state is not None:
        for p, value in zip(params, best_state):
            p.value[...] = value
    return history


# --- one experiment --------------------------------------------------------------------------------------


@dataclass
class ClassifyResult:
    """Outcome of :func:`train_and_evaluate`."""

    test_accuracy: float
    val_accuracy: float
    history: History
    classifier: TextClassifier
    vocabulary: list[str]
    train_counts: np.ndarray
    report: AlignReport | None
    n_train: int
    n_val: int
    n_test: int


@dataclass
class ClassifyConfig(Options):
    """Every option of the classifier experiment, defined once (``python -m w2v.classify`` is generated from it)."""

    freeze: bool = option(False, "keep the Embedding table fixed (train only the linear layer)")
    unknown: str = option("random", "with --model: initial row of training words the model lacks",
                          choices=POLICIES)
    lowercase_fallback: bool = option(False, "with --model: look missing words up lowercased",
                                      deprecated=("--lowercase",))
    extend_vocab: bool = option(False, "with --model: append the model's other words to the word index, so words "
                                "first seen at test time keep their pre-trained vector instead of [UNK]")
    dim: int = option(100, "vector length without --model", lo=1, hi=100_000)
    min_count: int = option(1, "words seen fewer times in training map to [UNK]", lo=1)
    max_len: int | None = option(None, "cut texts to this many tokens", lo=1, all_zero=True)
    optimizer: str = option("adam", "optimizer", choices=OPTIMIZERS)
    lr: float | None = option(None, f"learning rate (default: {DEFAULT_LR['adam']} for adam, "
                              f"{DEFAULT_LR['sgd']} for sgd)", above=0, hi=100)
    batch_size: int = option(32, "examples per step", lo=1)
    epochs: int = option(20, "maximum epochs", lo=1, hi=100_000)
    patience: int = option(3, "stop after this many epochs without a better validation accuracy (the best "
                           "epoch's parameters are kept)", lo=1)
    test_size: float = option(0.1, "fraction held out for testing (stratified)", above=0, below=1)
    val_size: float = option(0.1, "fraction of the rest for early stopping", lo=0, below=1)
    seed: int = option(SEED, "seed for splits, initialization and shuffling", lo=0, below=2**63)


def stratified_split(labels: np.ndarray, fraction: float, seed: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(rest, held_out)`` with about ``fraction`` of each class held out, shuffled."""
    if not 0 < fraction < 1:
        raise W2VError(f"split fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    held = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        held.append(members[: int(round(fraction * len(members)))])
    held_out = np.sort(np.concatenate(held))
    rest = np.setdiff1d(np.arange(len(labels)), held_out)
    return rest, held_out


def train_and_evaluate(
    token_lists: Sequence[Sequence[str]],
    labels: np.ndarray,
    train_idx: np.ndarray,
    test_idx: np.ndarray,
    init=None,
    freeze: bool = False,
    unknown: str = "random",
    lowercase: bool = False,
    extend_vocabulary: bool = False,
    dim: int = 100,
    val_size: float = 0.1,
    min_count: int = 1,
    max_len: int | None = None,
    epochs: int = 20,
    batch_size: int = 32,
    optimizer: str = "adam",
    lr: float | None = None,
    patience: int = 3,
    seed: int | None = SEED,
    progress: bool = False,
) -> ClassifyResult:
    """Train on ``train_idx`` (minus a stratified validation part for early stopping), test on ``test_idx``.

    The word index comes from the training part only. ``init`` (anything :func:`w2v.vectors.load`
    takes) gives the initial table through :func:`w2v.export.align`:
    training words the model lacks get the ``unknown`` policy; the ``[UNK]`` row starts at zero.
    ``extend_vocabulary=True`` appends the model's other words to the index, so words first seen at
    test time still get their pre-trained vector (their rows are never updated in training).
    """
    labels = np.asarray(labels)
    fit_rel, val_rel = stratified_split(labels[train_idx], val_size, seed) if val_size > 0 else (
        np.arange(len(train_idx)), np.array([], dtype=np.int64))
    fit_idx, val_idx = np.asarray(train_idx)[fit_rel], np.asarray(train_idx)[val_rel]
    fit_tokens = [token_lists[i] for i in fit_idx]
    vocabulary = build_vocabulary(fit_tokens, min_count=min_count)
    counts = Counter(t for toks in fit_tokens for t in toks)
    train_counts = np.array([counts.get(w, 0) for w in vocabulary], dtype=np.int64)
    weights, report = None, None
    if init is not None:
        if extend_vocabulary:
            init = load(init, mmap=True)
            known = set(vocabulary)
            vocabulary = vocabulary + [w for w in init.words if w not in known]
            train_counts = np.concatenate([train_counts, np.zeros(len(vocabulary) - len(train_counts), np.int64)])
        weights, report = align(init, vocabulary, unknown=unknown, seed=seed, lowercase=lowercase)
        weights[UNK_ID] = 0.0
    clf = TextClassifier(len(vocabulary), int(labels.max()) + 1, dim=dim, weights=weights, freeze=freeze, seed=seed)

    def ids_of(idx):
        return encode([token_lists[i] for i in idx], vocabulary, max_len)

    hist = fit(clf, ids_of(fit_idx), labels[fit_idx], ids_of(val_idx), labels[val_idx], epochs=epochs,
               batch_size=batch_size, optimizer=optimizer, lr=lr, patience=patience, seed=seed, progress=progress)
    val_acc = max(hist.val_accuracy) if hist.val_accuracy else float("nan")
    test_acc = clf.accuracy(ids_of(test_idx), labels[test_idx])
    return ClassifyResult(test_acc, val_acc, hist, clf, vocabulary, train_counts, report,
                          len(fit_idx), len(val_idx), len(test_idx))
