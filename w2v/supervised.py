"""A small text classifier built on the numpy :class:`~w2v.layers.Embedding`: where a word2vec table
meets a supervised task.

Pipeline: tokenize (:mod:`w2v.tokenize`, ``words`` by default) → word index from the training split
(index 0 padding, 1 unknown, then words by descending count) → ``Embedding`` → pooling over the tokens
(masked mean, max, or both concatenated: :class:`w2v.pooling.EmbeddingBag`) → ``Linear`` → softmax
cross-entropy, trained with mini-batch Adam or SGD and early stopping on a validation split. The
table starts random (Keras' uniform ±0.05) or from a trained w2v model aligned to the word index by
:func:`w2v.export.align` (optionally rescaled to the random table's scale), and is then frozen or
fine-tuned (optionally with its own learning rate).

Datasets (plain, ``.gz``, ``.bz2`` or ``.xz``): one file per class (the class is the file name minus
the prefix and suffix all names share, so ``rt-polarity.pos``/``rt-polarity.neg`` give ``pos``/``neg``),
or one file with one example a line and a label column (TSV/CSV).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import tokenize as tokenizers
from .cli import SEED, Options, option
from .errors import W2VError
from .export import PAD_ID, POLICIES, RESERVED, UNK_ID, AlignReport, align, with_reserved
from .formats import load
from .layers import INIT_SCALE, SGD, Adam, Embedding, Linear, Parameter, SoftmaxCrossEntropy, softmax
from .pooling import POOLINGS, EmbeddingBag

OPTIMIZERS = ("adam", "sgd")
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.5}
MONITORS = ("loss", "accuracy")
SCALES = ("none", "random")
#: Standard deviation of the random table, uniform(-INIT_SCALE, INIT_SCALE).
RANDOM_STD = INIT_SCALE / np.sqrt(3.0)
#: The classifier's tokenizer (lowercased words with inner apostrophes, punctuation marks).
TOKENIZER = "words"


def tokenize(text: str, name: str = TOKENIZER) -> list[str]:
    """Split ``text`` with the named tokenizer (:mod:`w2v.tokenize`; default ``words``)."""
    return tokenizers.tokenize(text, name)


# --- data ----------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """Texts with integer labels; ``classes[label]`` is the class name."""

    texts: list[str]
    labels: np.ndarray
    classes: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def load_dataset(paths: Sequence[str | os.PathLike], encoding: str = "utf-8", **columns) -> Dataset:
    """One path: a labeled file (one example a line; ``columns`` are :func:`load_labeled_file`'s
    ``delimiter``, ``label_column``, ``text_column``, ``header``); several: one file per class."""
    if not paths:
        raise W2VError("no data files given")
    if len(paths) == 1:
        return load_labeled_file(paths[0], encoding, **columns)
    return load_class_files(paths, encoding)


def _read_text(path: str | os.PathLike, encoding: str) -> str:
    path = Path(path)
    if not path.is_file():
        raise W2VError(f"data file not found: {path}")
    opener = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix.lower())
    try:
        if opener is None:
            raw = path.read_bytes()
        else:
            with opener(path, "rb") as fh:
                raw = fh.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise W2VError(f"cannot read {path}: {exc}") from None
    try:
        return raw.decode(encoding)
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
    """``Embedding`` → pooling (mean, max or mean‖max) → ``Linear`` → softmax.

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
    pooling : {"mean", "max", "mean-max"}
        How a text's token vectors are combined (:class:`w2v.pooling.EmbeddingBag`).
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
        pooling: str = "mean",
        seed: int | None = None,
        dtype: type = np.float32,
    ):
        rng = np.random.default_rng(seed)
        seeds = rng.integers(2**31, size=2)
        if weights is not None:
            dim = weights.shape[1]
        self.embedding = Embedding(vocab_size, dim, weights=weights, trainable=not freeze, padding_idx=PAD_ID,
                                   seed=int(seeds[0]), dtype=dtype)
        self.bag = EmbeddingBag(self.embedding, pooling)
        self.linear = Linear(self.bag.output_dim, n_classes, seed=int(seeds[1]), dtype=dtype)
        self.criterion = SoftmaxCrossEntropy()

    def parameters(self) -> list[Parameter]:
        """Every parameter (a frozen table is included but marked not trainable)."""
        return self.embedding.parameters() + self.linear.parameters()

    def features(self, ids: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Pooled vectors of padded ids ``(n, len)``, in batches (what the linear layer sees)."""
        data = self.bag.prepare(ids)
        out = [self.bag.forward(_trim(data[i: i + batch_size])) for i in range(0, data.shape[0], batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.bag.output_dim), self.embedding.table.dtype)

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Logits ``(batch, n_classes)`` for padded ids ``(batch, len)``."""
        return self.linear.forward(self.bag.forward(ids))

    def loss(self, ids: np.ndarray, labels: np.ndarray) -> float:
        """Mean cross-entropy of a batch (runs the forward pass)."""
        return self.criterion.forward(self.forward(ids), labels)

    def backward(self) -> None:
        """Gradients of the last :meth:`loss` into every parameter."""
        grad = self.linear.backward(self.criterion.backward())
        if self.embedding.trainable:
            self.bag.backward(grad)

    def predict_proba(self, ids: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Class probabilities, in batches."""
        data = self.bag.prepare(ids)
        out = [softmax(self.forward(_trim(data[i: i + batch_size]))) for i in range(0, data.shape[0], batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.linear.weight.value.shape[1]))

    def predict(self, ids: np.ndarray) -> np.ndarray:
        """Most probable class of each row."""
        return self.predict_proba(ids).argmax(axis=1)

    def accuracy(self, ids: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of rows classified correctly."""
        return float(np.mean(self.predict(ids) == labels)) if len(labels) else float("nan")


def _trim(ids: np.ndarray) -> np.ndarray:
    """Drop the all-padding columns at the right of a batch (a sparse frequency matrix is returned as is)."""
    if not isinstance(ids, np.ndarray) or ids.size == 0:
        return ids
    used = np.flatnonzero((ids != PAD_ID).any(axis=0))
    return ids[:, : (used[-1] + 1 if used.size else 1)]


@dataclass
class History:
    """Per-epoch training record; ``best_epoch`` is 1-based (0: no validation)."""

    train_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled mini-batches of similar length: shuffle, sort chunks of 50 batches by length, cut into
    batches, shuffle the batch order (less padding for texts of very different lengths)."""
    order = rng.permutation(len(lengths))
    chunk = 50 * batch_size
    out = []
    for c in range(0, len(order), chunk):
        part = order[c: c + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        out += [part[b: b + batch_size] for b in range(0, len(part), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def _make_optimizer(name: str, lr: float):
    return Adam(lr=lr) if name == "adam" else SGD(lr=lr)


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
    table_lr: float | None = None,
    patience: int = 3,
    min_epochs: int = 1,
    monitor: str = "accuracy",
    seed: int | None = SEED,
    progress: bool = True,
) -> History:
    """Mini-batch training with early stopping on the validation set.

    After each epoch the validation ``monitor`` is measured: accuracy (ties broken by the lower
    cross-entropy, which still moves when a handful of validation examples leaves the accuracy flat),
    or the cross-entropy ``loss`` (ties broken by accuracy); after ``min_epochs``,
    training stops once ``patience`` epochs passed without improvement, and the parameters of the best
    epoch are restored. Without validation data all ``epochs`` run. ``table_lr`` gives the table its
    own learning rate (default: ``lr``). A frozen table is pooled once: the epochs then train the
    linear layer on fixed features (the same computation, without repeating the lookups).
    """
    if optimizer not in OPTIMIZERS:
        raise W2VError(f"unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    if monitor not in MONITORS:
        raise W2VError(f"unknown monitor {monitor!r}: choose one of {', '.join(MONITORS)}")
    if epochs < 1 or batch_size < 1 or min_epochs < 1 or patience < 1:
        raise W2VError("epochs, batch size, min epochs and patience must be at least 1")
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    table_lr = lr if table_lr is None else table_lr
    opt_linear, opt_table = _make_optimizer(optimizer, lr), _make_optimizer(optimizer, table_lr)
    rng = np.random.default_rng(seed)
    frozen = not clf.embedding.trainable
    has_val = val_ids is not None and val_labels is not None and len(val_labels) > 0
    if frozen:  # pool once
        x_all = clf.features(ids)
        x_val = clf.features(val_ids) if has_val else None
    lengths = (ids != PAD_ID).sum(axis=1)
    data = None if frozen else clf.bag.prepare(ids)
    params = clf.parameters()
    history = History()
    best_score, best_state, waited = (-np.inf, -np.inf), None, 0
    n_batches = (len(ids) + batch_size - 1) // batch_size
    for epoch in range(1, epochs + 1):
        batches = _batches(lengths, batch_size, rng) if not frozen else np.array_split(
            rng.permutation(len(ids)), n_batches)
        total = 0.0
        bar = tqdm(total=n_batches, desc=f"epoch {epoch}", leave=False, disable=None if progress else True,
                   unit="batch")  # None: off when stderr is not a terminal
        for b, idx in enumerate(batches):
            if frozen:
                total += clf.criterion.forward(clf.linear.forward(x_all[idx]), labels[idx]) * len(idx)
                clf.linear.backward(clf.criterion.backward())
            else:
                batch = data[idx] if data is not ids else ids[idx, : max(int(lengths[idx].max()), 1)]
                total += clf.loss(batch, labels[idx]) * len(idx)
                clf.backward()
                opt_table.step(clf.embedding.parameters())
            opt_linear.step(clf.linear.parameters())
            bar.update()
            if b % 50 == 0:
                bar.set_postfix(loss=f"{total / ((b + 1) * batch_size):.4f}")
        bar.close()
        history.train_loss.append(total / len(ids))
        if not has_val:
            continue
        logits = clf.linear.forward(x_val) if frozen else None
        probs = softmax(logits) if frozen else clf.predict_proba(val_ids)
        acc = float(np.mean(probs.argmax(axis=1) == val_labels))
        loss = float(-np.mean(np.log(np.maximum(probs[np.arange(len(val_labels)), val_labels], 1e-12))))
        history.val_accuracy.append(acc)
        history.val_loss.append(loss)
        score = (acc, -loss) if monitor == "accuracy" else (-loss, acc)
        if score > best_score:
            best_score, waited, history.best_epoch = score, 0, epoch
            best_state = [p.value.copy() for p in params if p.trainable]
        else:
            waited += 1
            if waited >= patience and epoch >= min_epochs:
                history.stopped_early = True
                break
    if best_state is not None:
        for p, value in zip([p for p in params if p.trainable], best_state):
            p.value[...] = value
    return history


# --- one experiment --------------------------------------------------------------------------------------


@dataclass
class ClassifyResult:
    """Outcome of :func:`train_and_evaluate`; ``predictions`` are the test examples' predicted classes."""

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
    predictions: np.ndarray | None = None
    scale_factor: float = 1.0
    test_words_from_ngrams: int = 0


@dataclass
class ClassifyConfig(Options):
    """Every option of the classifier experiment, defined once (``python -m w2v.classify`` is generated from it)."""

    freeze: bool = option(False, "keep the Embedding table fixed (train only the linear layer)")
    unknown: str = option("auto", "with --model: initial row of training words the model lacks (auto: built from "
                          "their character n-grams when the model has them, else random); with n-grams, words first "
                          "seen at test time get theirs too instead of [UNK]", choices=(*POLICIES, "auto"))
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
    min_epochs: int = option(1, "never stop before this many epochs", lo=1)
    monitor: str = option("accuracy", "validation score for early stopping (accuracy: ties broken by the loss; "
                          "the loss still moves when few examples are held out)", choices=MONITORS)
    test_size: float = option(0.1, "fraction held out for testing (stratified), without --test", above=0, below=1)
    val_size: float = option(0.1, "fraction of the training part for early stopping", lo=0, below=1)
    train_fraction: float = option(1.0, "train on this stratified fraction of the training labels (nested: a "
                                   "smaller fraction's examples are part of every larger one's; validation taken "
                                   "from it)", above=0, hi=1)
    tokenize: str = option(TOKENIZER, "tokenizer (w2v.tokenize); a --model whose config.json records another one "
                           "is warned about", choices=tuple(tokenizers.TOKENIZERS))
    pooling: str = option("mean", "combine a text's vectors by their mean, max, or both concatenated (SWEM)",
                          choices=POOLINGS)
    scale: str = option("none", "with --model: 'random' rescales the pre-trained table to the random table's "
                        "standard deviation (0.0289)", choices=SCALES)
    table_lr: float | None = option(None, "learning rate of the Embedding table (default: --lr)", above=0, hi=100)
    seed: int = option(SEED, "seed for splits, initialization and shuffling", lo=0, below=2**63)


def stratified_split(labels: np.ndarray, fraction: float, seed: int | None, what: str = "the held-out split",
                     hint: str = "", require: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(rest, held_out)`` with about ``fraction`` of each class held out, shuffled.

    With ``require``, a split that would hold out no example, or keep none, is a :class:`W2VError` that
    says how many examples ``fraction`` needs (an empty test or validation set would score as NaN).
    """
    if not 0 < fraction < 1:
        raise W2VError(f"split fraction must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    held = []
    labels = np.asarray(labels)
    classes, sizes = np.unique(labels, return_counts=True)
    for c in classes:
        members = rng.permutation(np.flatnonzero(labels == c))
        held.append(members[: int(round(fraction * len(members)))])
    held_out = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
    rest = np.setdiff1d(np.arange(len(labels)), held_out)
    if require and (len(held_out) == 0 or len(rest) == 0):
        need = next(n for n in range(1, 10**6) if 1 <= round(fraction * n) < n)
        largest = int(sizes.max()) if len(sizes) else 0
        raise W2VError(f"{what} ({fraction:g} of {len(labels)} examples, at most {largest} a class) would "
                       f"{'hold out no example' if len(held_out) == 0 else 'keep no example'}; it needs at least "
                       f"{need} examples of one class{hint}")
    return rest, held_out


def nested_subsets(labels: np.ndarray, fractions: Sequence[float], seed: int | None,
                   min_per_class: int = 2) -> dict[float, np.ndarray]:
    """Stratified subsets of ``range(len(labels))`` for each fraction, nested (a smaller fraction's subset is
    part of every larger one's) and fixed by ``seed`` alone.

    Each class is shuffled once; the subset for fraction *f* takes the first ``round(f * n_c)`` members
    of class *c* (at least ``min_per_class``), so every table trained on "10 % of the labels" sees the
    same examples. Returns ``{fraction: sorted indices}``.
    """
    for f in fractions:
        if not 0 < f <= 1:
            raise W2VError(f"label fractions must be in (0, 1], got {f}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    orders = {c: rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)}
    out = {}
    for f in fractions:
        take = [o[: min(len(o), max(min_per_class, int(round(f * len(o)))))] for o in orders.values()]
        out[f] = np.sort(np.concatenate(take))
    return out


def scale_to_random(weights: np.ndarray, rows: np.ndarray) -> float:
    """Scale ``weights`` in place so that the standard deviation of ``rows`` equals the random table's
    (uniform ±0.05: 0.0289); returns the factor. Direction and relative lengths are kept."""
    std = float(np.asarray(weights[rows], dtype=np.float64).std()) if len(rows) else 0.0
    factor = RANDOM_STD / std if std > 0 else 1.0
    weights *= factor
    return factor


def train_and_evaluate(
    token_lists: Sequence[Sequence[str]],
    labels: np.ndarray,
    train_idx: np.ndarray,
    test_idx: np.ndarray,
    init=None,
    freeze: bool = False,
    unknown: str = "auto",
    lowercase: bool = False,
    extend_vocabulary: bool = False,
    dim: int = 100,
    pooling: str = "mean",
    scale: str = "none",
    val_size: float = 0.1,
    min_count: int = 1,
    max_len: int | None = None,
    seed: int | None = SEED,
    tokenize: str | None = None,
    progress: bool = False,
    **fit_options,
) -> ClassifyResult:
    """Train on ``train_idx`` (minus a stratified validation part for early stopping), test on ``test_idx``.

    The word index comes from the training part only. ``init`` (anything :func:`w2v.vectors.load`
    takes) gives the initial table through :func:`w2v.export.align`:
    training words the model lacks get the ``unknown`` policy (``auto``: built from their character
    n-grams when the model has them, else random); the ``[UNK]`` row starts at zero.
    ``scale="random"`` then rescales the whole table so its rows have the random table's standard
    deviation (a pre-trained table is often 10x larger, which changes both the linear layer's inputs
    and how far a learning rate moves the rows). ``extend_vocabulary=True`` appends the model's other
    words to the index, so words first seen at test time still get their pre-trained vector (their
    rows are never updated in training). With a table that has character n-grams and the ``subword``
    policy (``auto`` picks it), words first seen in the test texts get their vector built from their
    n-grams rather than ``[UNK]`` (:func:`extend_from_ngrams`). ``tokenize`` names the tokenizer that
    made ``token_lists``: a model recording another one gets a warning in ``report.tokenize_warning``. ``fit_options``
    (``epochs``, ``batch_size``, ``optimizer``, ``lr``, ``table_lr``, ``patience``, ``min_epochs``,
    ``monitor``) go to :func:`fit` as they are.
    """
    if scale not in SCALES:
        raise W2VError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    labels = np.asarray(labels)
    # An empty validation split (a few labels) trains without early stopping, as before; the CLI refuses it.
    fit_rel, val_rel = stratified_split(labels[train_idx], val_size, seed, require=False) if val_size > 0 else (
        np.arange(len(train_idx)), np.array([], dtype=np.int64))
    fit_idx, val_idx = np.asarray(train_idx)[fit_rel], np.asarray(train_idx)[val_rel]
    fit_tokens = [token_lists[i] for i in fit_idx]
    vocabulary = build_vocabulary(fit_tokens, min_count=min_count)
    counts = Counter(t for toks in fit_tokens for t in toks)
    train_counts = np.array([counts.get(w, 0) for w in vocabulary], dtype=np.int64)
    weights, report, factor, ngram_source = None, None, 1.0, None
    if init is not None:
        source = init
        if extend_vocabulary:
            source = load(init, mmap=True)
            known = set(vocabulary)
            vocabulary = vocabulary + [w for w in source.words if w not in known]
            train_counts = np.concatenate([train_counts, np.zeros(len(vocabulary) - len(train_counts), np.int64)])
        if unknown == "auto":
            source = load(source, mmap=True)
            unknown = "subword" if source.has_subwords else "random"
        weights, report = align(source, vocabulary, unknown=unknown, seed=seed, lowercase=lowercase,
                                counts=train_counts, tokenize=tokenize, fallback="random")
        if unknown == "subword":
            ngram_source = load(source, mmap=True)
        weights[UNK_ID] = 0.0
        if scale == "random":
            factor = scale_to_random(weights, np.arange(len(RESERVED), len(vocabulary)))
    clf = TextClassifier(len(vocabulary), int(labels.max()) + 1, dim=dim, weights=weights, freeze=freeze,
                         pooling=pooling, seed=seed)

    def ids_of(idx):
        return encode([token_lists[i] for i in idx], vocabulary, max_len)

    hist = fit(clf, ids_of(fit_idx), labels[fit_idx], ids_of(val_idx), labels[val_idx], seed=seed,
               progress=progress, **fit_options)
    val_acc = hist.val_accuracy[hist.best_epoch - 1] if hist.best_epoch else float("nan")
    test_vocabulary, built = vocabulary, 0
    if ngram_source is not None and len(test_idx):
        test_vocabulary, built = extend_from_ngrams(clf, vocabulary, ngram_source, [token_lists[i] for i in test_idx],
                                                    factor)
    pred = clf.predict(encode([token_lists[i] for i in test_idx], test_vocabulary, max_len)) if len(test_idx) else (
        np.zeros(0, dtype=np.int64))
    test_acc = float(np.mean(pred == labels[test_idx])) if len(test_idx) else float("nan")
    return ClassifyResult(test_acc, val_acc, hist, clf, vocabulary, train_counts, report,
                          len(fit_idx), len(val_idx), len(test_idx), pred, factor, built)


def extend_from_ngrams(clf: TextClassifier, vocabulary: list[str], source, token_lists: Sequence[Sequence[str]],
                       factor: float = 1.0) -> tuple[list[str], int]:
    """Give the words of ``token_lists`` that the word index lacks their vector from ``source`` (a table
    with character n-grams: its row, or the mean of the word's n-gram rows), as rows appended to the
    classifier's table (times ``factor``, the table's rescaling), instead of ``[UNK]``. Returns the
    extended word list (for :func:`encode`) and how many words were added."""
    known = set(vocabulary)
    new = list(dict.fromkeys(t for toks in token_lists for t in toks if t not in known))
    if not new:
        return vocabulary, 0
    vectors, found = source.vectors_for(new)
    keep = np.flatnonzero(found > 0)
    clf.embedding.append_rows(vectors[keep] * factor)
    return vocabulary + [new[i] for i in keep], len(keep)
