"""Query a trained embedding table: neighbours, similarities, analogies.

:class:`Vectors` wraps the ``(V, dim)`` float32 matrix of an output directory and its word list.
Cosine queries run against a cached unit-normalized copy of the matrix, and many queries are
answered with one matrix product (:meth:`Vectors.nearest`, :meth:`Vectors.analogy_batch`), which is
what makes whole benchmark evaluations fast.

The semantics follow gensim's ``KeyedVectors`` (``most_similar``, ``most_similar_cosmul``,
``similarity``, ``doesnt_match``) so results can be compared one to one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .errors import W2VError

#: Added to the 3CosMul denominator to avoid division by zero; gensim's ``most_similar_cosmul`` uses
#: this value (Levy & Goldberg 2014 suggest 0.001; the ranking barely depends on it).
COSMUL_EPS = 1e-6

#: A query term: a word, or a raw vector of length ``dim``.
Query = str | np.ndarray

#: Bytes of one batch of scores; batches of queries are sized to stay under it.
SCORE_BUDGET = 1 << 25


class Vectors:
    """A word-embedding table: the one type every method returns and every consumer takes.

    Trainers (:func:`w2v.train.train_embeddings`, :func:`w2v.svd.build`), loaders (:func:`load`) and
    consumers (evaluate, export, compare, classify) all pass this object around; the array is always
    ``matrix``. It answers cosine-similarity queries.

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(V, dim)`` array; row *i* is the vector of ``words[i]``. Stored as float32.
    words : sequence of str
        The vocabulary, most frequent first (``restrict`` arguments keep the first *N* rows).
    counts : sequence of int, optional
        Corpus counts of the words (zeros when unknown, e.g. after reading a word2vec file).
    info : dict, optional
        How the table was made (``config.json`` of a model directory): method, options, timings.
    context : numpy.ndarray, optional
        The output (context) vectors, same shape, when the method has them and they were kept.
    ngrams : numpy.ndarray, optional
        With subwords (``info`` holds ``subwords``, ``minn``, ``maxn``, ``buckets``): the input table as
        fastText lays it out, each word's own row then the n-gram buckets; :meth:`vector` then gives
        any string a vector (:mod:`w2v.subwords`).

    Raises
    ------
    W2VError
        If the shapes disagree or a word occurs twice.
    """

    def __init__(self, matrix: np.ndarray, words: Sequence[str], counts: Sequence[int] | np.ndarray | None = None,
                 info: dict | None = None, context: np.ndarray | None = None, ngrams: np.ndarray | None = None):
        if not (isinstance(matrix, np.ndarray) and matrix.dtype == np.float32):
            matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise W2VError(f"matrix of shape {matrix.shape} does not match {len(words)} words")
        self.matrix: np.ndarray = matrix
        self.words: list[str] = list(words)
        self.counts: np.ndarray = (
            np.zeros(len(self.words), dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
        )
        if self.counts.shape != (len(self.words),):
            raise W2VError(f"{len(self.counts)} counts for {len(self.words)} words")
        self._index: dict[str, int] = {}
        for i, w in enumerate(self.words):
            if self._index.setdefault(w, i) != i:
                raise W2VError(f"word {w!r} occurs twice (rows {self._index[w]} and {i}); words must be unique")
        self.info: dict = dict(info or {})
        self.context: np.ndarray | None = context
        self.ngrams: np.ndarray | None = ngrams
        self._spec = None
        if ngrams is not None:
            from .subwords import SubwordSpec

            self._spec = SubwordSpec.from_info(self.info)
            if self._spec is None or ngrams.shape != (len(self.words) + self._spec.buckets, matrix.shape[1]):
                raise W2VError(f"an n-gram table of shape {ngrams.shape} needs subword settings in info "
                               f"(subwords, minn, maxn, buckets) matching {len(self.words)} words x {matrix.shape[1]}")
        self._unit: np.ndarray | None = None
        self._norms: np.ndarray | None = None

    # -- construction -------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False, context: bool = False) -> Vectors:
        """Load a w2v output directory (``embeddings.npy``, ``vocab.txt``, ``config.json`` as ``info``;
        ``context.npy`` too with ``context=True``).

        ``mmap=True`` memory-maps the raw matrix (read-only); the normalized copy used by
        queries is still built in memory on the first query.
        """
        from .outdir import read_model, read_ngrams
        from .subwords import SubwordSpec

        matrix, words, counts, info, ctx = read_model(path, mmap=mmap, context=context)
        spec = SubwordSpec.from_info(info)
        ngrams = read_ngrams(path, words, matrix.shape[1], spec.buckets, mmap) if spec is not None else None
        return cls(matrix, words, counts, info, ctx, ngrams)

    @classmethod
    def from_arrays(
        cls, matrix: np.ndarray, words: Sequence[str], counts: Sequence[int] | np.ndarray | None = None
    ) -> Vectors:
        """Wrap an in-memory matrix and its word list (no copy if ``matrix`` is already float32)."""
        return cls(matrix, words, counts)

    def save(self, path: str | os.PathLike, config: dict | None = None, context: bool | None = None,
             force: bool = False) -> Path:
        """Write the table as a w2v output directory (``info`` updated by ``config`` as ``config.json``;
        ``context.npy`` when the table has context vectors, unless ``context=False``); returns the directory.

        The directory is replaced whole or not at all (:func:`w2v.outdir.model_writer`); a non-empty
        directory that is not a w2v model is refused unless ``force``."""
        from .outdir import save_model

        ctx = self.context if context is not False else None
        return save_model(path, self.matrix, self.words, self.counts, {**self.info, **(config or {})}, ctx,
                          force=force, ngrams=self.ngrams)

    # -- the names older code used for the same things (one release of deprecation) ------------------

    @property
    def embeddings(self) -> np.ndarray:
        """Deprecated name of :attr:`matrix`."""
        return self.matrix

    @property
    def config(self) -> dict:
        """Deprecated name of :attr:`info`."""
        return self.info

    @property
    def vocab(self):
        """The words and counts as a :class:`w2v.vocab.Vocabulary` (``vocab.index[word]`` → row)."""
        from .vocab import Vocabulary

        return Vocabulary(self.words, self.counts, self._index)

    @property
    def index(self) -> dict[str, int]:
        """Word → row."""
        return self._index

    # -- lookup ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._index

    def __iter__(self):
        return iter(self.words)

    def __repr__(self) -> str:
        method = f", method={self.info['method']!r}" if "method" in self.info else ""
        return f"Vectors({len(self)} words, dim={self.dim}{method})"

    @property
    def dim(self) -> int:
        """Number of dimensions of each vector."""
        return int(self.matrix.shape[1])

    def index_of(self, word: str) -> int:
        """Row of ``word``; raises ``KeyError`` naming the word if it is not in the vocabulary."""
        try:
            return self._index[word]
        except (KeyError, TypeError):
            raise KeyError(
                f"word {word!r} not in vocabulary ({len(self)} words); test with `{word!r} in vectors` first"
            ) from None

    @property
    def subword_spec(self):
        """How words are cut into n-grams (:class:`~w2v.subwords.SubwordSpec`), or None without n-grams."""
        return self._spec

    @property
    def has_subwords(self) -> bool:
        """Whether the table has character n-grams, so that :meth:`vector` answers any string."""
        return self._spec is not None

    def vectors_for(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of many strings: ``(float32[n, dim], source int8[n])`` with source 1 for a row of the
        table, 2 for a vector built from n-grams (words outside the vocabulary), 0 for none (zeros: no
        n-gram table, or a string without n-grams)."""
        out = np.zeros((len(words), self.dim), dtype=np.float32)
        source = np.zeros(len(words), dtype=np.int8)
        rows = np.array([self._index.get(w, -1) for w in words], dtype=np.int64)
        known = rows >= 0
        out[known] = self.matrix[rows[known]]
        source[known] = 1
        missing = np.flatnonzero(~known)
        if self._spec is not None and len(missing):
            from .subwords import unseen_vectors

            vecs, found = unseen_vectors(self.ngrams, len(self), self._spec, [words[i] for i in missing])
            out[missing] = vecs
            source[missing[found]] = 2
        return out, source

    def vector(self, word: str) -> np.ndarray:
        """The vector of any string: its row, or (for a word outside the vocabulary of a table with
        n-grams) the mean of its n-gram rows, as fastText's ``get_word_vector``. Raises ``KeyError``
        saying why when there is none."""
        if word in self._index:
            return self.matrix[self._index[word]]
        if self._spec is None:
            raise KeyError(f"word {word!r} not in vocabulary ({len(self)} words) and the table has no character "
                           "n-grams to build it from (train with --subwords, or load a fastText .bin)")
        vec, source = self.vectors_for([word])
        if not source[0]:
            raise KeyError(f"word {word!r} not in vocabulary and has no character n-grams of {self._spec.minn} to "
                           f"{self._spec.maxn} characters")
        return vec[0]

    def _unit_of(self, word: str) -> tuple[np.ndarray, int | None]:
        # The unit vector of a query word and its row (None for a word built from n-grams).
        if word in self._index or self._spec is None:
            i = self.index_of(word)
            return self.unit[i], i
        return unit_rows(self.vector(word)[None, :])[0], None

    def __getitem__(self, word: str | Iterable[str]) -> np.ndarray:
        """Vector of one word (1-D), or a ``(n, dim)`` array for a list of words."""
        if isinstance(word, str):
            return self.matrix[self.index_of(word)]
        return self.matrix[[self.index_of(w) for w in word]]

    @property
    def norms(self) -> np.ndarray:
        """Euclidean norm of every row (float32, cached)."""
        if self._norms is None:
            self._norms = np.linalg.norm(self.matrix, axis=1)
        return self._norms

    @property
    def unit(self) -> np.ndarray:
        """The matrix with every row scaled to unit length (float32, cached; zero rows stay zero)."""
        if self._unit is None:
            self._unit = unit_rows(self.matrix)
        return self._unit

    # -- similarity queries ----------------------------------------------------------------------------

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return float(np.dot(self._unit_of(a)[0].astype(np.float64), self._unit_of(b)[0].astype(np.float64)))

    def _terms(self, items: Query | Sequence[Query] | None) -> list:
        if items is None:
            return []
        if isinstance(items, str) or (isinstance(items, np.ndarray) and items.ndim == 1):
            return [items]
        return list(items)

    def _query_vector(self, positive, negative) -> tuple[np.ndarray, list[int]]:
        """Mean of the unit vectors of the query words (``+1`` positive, ``-1`` negative), unit length.

        Raw vectors given as arrays enter as they are, as in gensim. Returns the vector and the
        rows of the query words (to exclude them from the answers).
        """
        pos, neg = self._terms(positive), self._terms(negative)
        if not pos and not neg:
            raise ValueError("most_similar needs at least one positive or negative word or vector")
        mean = np.zeros(self.dim, dtype=np.float64)
        rows: list[int] = []
        for sign, items in ((1.0, pos), (-1.0, neg)):
            for item in items:
                if isinstance(item, str):
                    u, i = self._unit_of(item)
                    if i is not None:
                        rows.append(i)
                    mean += sign * u
                else:
                    vec = np.asarray(item, dtype=np.float64)
                    if vec.shape != (self.dim,):
                        raise ValueError(f"query vector has shape {vec.shape}, expected ({self.dim},)")
                    mean += sign * vec
        norm = np.linalg.norm(mean)
        return (mean / norm if norm > 0 else mean).astype(np.float32), rows

    def most_similar(
        self,
        positive: Query | Sequence[Query] | None = None,
        negative: Query | Sequence[Query] | None = None,
        topn: int | None = 10,
        restrict: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Words nearest by cosine to the mean of ``positive`` minus ``negative`` words or vectors.

        The query words themselves are never returned. ``restrict`` searches only the first *N*
        rows (the most frequent words). ``topn=None`` returns the cosine of every searched row.
        ``most_similar(positive=["king", "woman"], negative=["man"])`` is the 3CosAdd analogy.
        """
        q, rows = self._query_vector(positive, negative)
        unit = self.unit[: self._restrict(restrict)]
        scores = unit @ q
        if topn is None:
            return scores
        return self._top(scores, topn, rows)

    def most_similar_cosmul(
        self,
        positive: Query | Sequence[Query] | None = None,
        negative: Query | Sequence[Query] | None = None,
        topn: int | None = 10,
        restrict: int | None = None,
        eps: float = COSMUL_EPS,
    ) -> list[tuple[str, float]] | np.ndarray:
        """3CosMul ranking (Levy & Goldberg 2014, eq. 4): ``prod(cos'(w, p)) / (prod(cos'(w, n)) + eps)``.

        Cosines are shifted to ``[0, 1]`` (``cos' = (1 + cos) / 2``) as in the paper's footnote and in
        gensim's ``most_similar_cosmul``. Query words are excluded from the answers.
        """
        pos, neg = self._terms(positive), self._terms(negative)
        if not pos:
            raise ValueError("most_similar_cosmul needs at least one positive word or vector")
        unit = self.unit[: self._restrict(restrict)]
        rows = [i for t in pos + neg if isinstance(t, str) for i in [self._unit_of(t)[1]] if i is not None]

        def shifted(term) -> np.ndarray:
            if isinstance(term, str):
                vec = self._unit_of(term)[0]
            else:
                vec = np.asarray(term, dtype=np.float32)
                norm = np.linalg.norm(vec)
                vec = vec / norm if norm > 0 else vec
            return (1 + unit @ vec) / 2

        num = np.prod([shifted(t) for t in pos], axis=0)
        den = np.prod([shifted(t) for t in neg], axis=0) if neg else np.ones(len(unit), dtype=np.float32)
        scores = num / (den + eps)
        if topn is None:
            return scores
        return self._top(scores, topn, rows)

    def analogy(self, a: str, b: str, c: str, method: str = "add", topn: int = 1,
                restrict: int | None = None) -> list[tuple[str, float]]:
        """Answer "``a`` is to ``b`` as ``c`` is to ?" (e.g. ``analogy("man", "king", "woman")`` → queen).

        ``method="add"`` is 3CosAdd (``b - a + c``), ``"mul"`` is 3CosMul; ``a``, ``b`` and ``c`` are
        never returned.
        """
        if method == "add":
            return self.most_similar([b, c], [a], topn=topn, restrict=restrict)
        if method == "mul":
            return self.most_similar_cosmul([b, c], [a], topn=topn, restrict=restrict)
        raise ValueError(f"unknown analogy method {method!r}; use 'add' or 'mul'")

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word farthest (by cosine) from the normalized mean of the given words' unit vectors."""
        words = list(words)
        if not words:
            raise ValueError("doesnt_match needs at least one word")
        unit = self.unit[[self.index_of(w) for w in words]].astype(np.float64)
        mean = unit.mean(axis=0)
        scores = unit @ (mean / (np.linalg.norm(mean) or 1.0))
        return words[int(np.argmin(scores))]

    # -- batched queries -------------------------------------------------------------------------------

    def nearest(
        self,
        queries: np.ndarray | Sequence[str],
        topn: int = 10,
        restrict: int | None = None,
        exclude_self: bool = True,
        batch_size: int = 1024,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest rows for many queries at once, one matrix product per batch.

        Parameters
        ----------
        queries : numpy.ndarray or sequence of str
            ``(n, dim)`` query vectors, or words (then their own row is excluded if ``exclude_self``).
        topn : int
            Neighbours per query.
        restrict : int, optional
            Search only the first *N* rows.

        Returns
        -------
        (indices, scores) : (numpy.ndarray, numpy.ndarray)
            ``(n, topn)`` row indices (best first) and their cosines.
        """
        self_rows = None
        if isinstance(queries, np.ndarray):
            q = np.asarray(queries, dtype=np.float32)
            if q.ndim != 2 or q.shape[1] != self.dim:
                raise ValueError(f"queries must have shape (n, {self.dim}), got {q.shape}")
            norms = np.linalg.norm(q, axis=1, keepdims=True)
            q = q / np.where(norms > 0, norms, 1)
        else:
            self_rows = np.array([self.index_of(w) for w in queries], dtype=np.int64)
            q = self.unit[self_rows]
        unit = self.unit[: self._restrict(restrict)]
        topn = min(topn, len(unit) - (1 if self_rows is not None and exclude_self else 0))
        out_i = np.empty((len(q), max(topn, 0)), dtype=np.int64)
        out_s = np.empty((len(q), max(topn, 0)), dtype=np.float32)
        batch_size = _batch_rows(batch_size, len(unit))
        for start in range(0, len(q), batch_size):
            sl = slice(start, start + batch_size)
            scores = q[sl] @ unit.T
            if self_rows is not None and exclude_self:
                mask_rows(scores, self_rows[sl, None])
            out_i[sl], out_s[sl] = top_k(scores, topn)
        return out_i, out_s

    def analogy_batch(
        self,
        a: np.ndarray,
        b: np.ndarray,
        c: np.ndarray,
        method: str = "add",
        restrict: int | None = None,
        exclude: np.ndarray | None = None,
        batch_size: int = 1024,
        eps: float = COSMUL_EPS,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Solve many analogies "``a`` is to ``b`` as ``c`` is to ?" given as row-index arrays.

        Each batch of questions is scored against the (restricted) unit matrix with one matrix
        product; the rows in ``exclude`` (default: ``a``, ``b``, ``c``) are masked before the argmax.

        Parameters
        ----------
        a, b, c : numpy.ndarray
            ``(n,)`` row indices.
        method : {"add", "mul"}
            3CosAdd or 3CosMul (see :meth:`most_similar_cosmul`).
        restrict : int, optional
            Answer only with the first *N* rows.
        exclude : numpy.ndarray, optional
            ``(n, k)`` rows never to answer for each question, padded with ``-1``.

        Returns
        -------
        (best, margin) : (numpy.ndarray, numpy.ndarray)
            ``(n,)`` best row per question (``-1`` if every row was excluded), and the score gap to the
            runner-up (small margins mean near-ties).
        """
        a, b, c = (np.asarray(x, dtype=np.int64).ravel() for x in (a, b, c))
        if not (len(a) == len(b) == len(c)):
            raise ValueError("a, b and c must have the same length")
        if method not in ("add", "mul"):
            raise ValueError(f"unknown analogy method {method!r}; use 'add' or 'mul'")
        if exclude is None:
            exclude = np.stack([a, b, c], axis=1)
        unit = self.unit[: self._restrict(restrict)]
        best = np.full(len(a), -1, dtype=np.int64)
        margin = np.zeros(len(a), dtype=np.float32)
        batch_size = _batch_rows(batch_size, len(unit))
        for start in range(0, len(a), batch_size):
            sl = slice(start, start + batch_size)
            if method == "add":
                q = self.unit[b[sl]] + self.unit[c[sl]] - self.unit[a[sl]]
                scores = q @ unit.T
            else:
                # Shifted cosines of each distinct query word against all rows, computed once per batch.
                words, inv = np.unique(np.concatenate([a[sl], b[sl], c[sl]]), return_inverse=True)
                shifted = self.unit[words] @ unit.T
                shifted += 1
                shifted /= 2
                ia, ib, ic = np.split(inv, 3)
                scores = shifted[ib]
                scores *= shifted[ic]
                den = shifted[ia]
                den += np.float32(eps)
                scores /= den
                del den, shifted
            mask_rows(scores, exclude[sl])
            idx, top = top_k(scores, 2)
            ok = np.isfinite(top[:, 0])
            best[sl] = np.where(ok, idx[:, 0], -1)
            margin[sl] = np.where(np.isfinite(top[:, 1]), top[:, 0] - top[:, 1], np.inf)
        return best, margin

    # -- helpers -------------------------------------------------------------------------------------

    def _restrict(self, restrict: int | None) -> int:
        if restrict is None:
            return len(self)
        if restrict < 1:
            raise ValueError(f"restrict must be a positive number of rows, got {restrict}")
        return min(int(restrict), len(self))

    def _top(self, scores: np.ndarray, topn: int, exclude: list[int]) -> list[tuple[str, float]]:
        if topn < 1:
            return []
        scores = scores.copy()
        mask_rows(scores[None, :], np.array([exclude], dtype=np.int64).reshape(1, -1))
        k = min(topn, len(scores) - len({i for i in exclude if i < len(scores)}))
        idx, top = top_k(scores[None, :], k)
        return [(self.words[i], float(s)) for i, s in zip(idx[0], top[0])]


def _batch_rows(batch_size: int, n_cols: int) -> int:
    """Queries per batch so that one ``(batch, n_cols)`` float32 score block stays near SCORE_BUDGET."""
    return int(max(16, min(batch_size, SCORE_BUDGET // (4 * max(n_cols, 1)))))


def mask_rows(scores: np.ndarray, rows: np.ndarray) -> None:
    """Set ``scores[i, rows[i, j]] = -inf`` in place, skipping ``-1`` padding and columns out of range."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 0:
        return
    r = np.repeat(np.arange(len(rows)), rows.shape[1])
    col = rows.ravel()
    ok = (col >= 0) & (col < scores.shape[1])
    scores[r[ok], col[ok]] = -np.inf


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, in ``x``'s float type (integers become float64); zero rows stay zero."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``k`` largest entries of each row, best first (ties: lower index)."""
    n, m = scores.shape
    k = min(k, m)
    if k <= 0:
        return np.empty((n, 0), dtype=np.int64), np.empty((n, 0), dtype=scores.dtype)
    if k == 1 or k == 2:
        first = np.argmax(scores, axis=1)
        rows = np.arange(n)
        v1 = scores[rows, first]
        if k == 1:
            return first[:, None], v1[:, None]
        saved = v1.copy()
        scores[rows, first] = -np.inf
        second = np.argmax(scores, axis=1)
        v2 = scores[rows, second]
        scores[rows, first] = saved
        return np.stack([first, second], 1), np.stack([v1, v2], 1)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (n, 1))
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1) if n else np.empty((0, k), dtype=np.int64)
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(vals, order, axis=1)
