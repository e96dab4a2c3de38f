"""w2v: word-embedding lookup tables learned the word2vec way, and the tools around them.

``w2v.train_embeddings(corpus, ...)`` learns a table, ``w2v.load(path)`` reads any table (model
directory, word2vec or GloVe file); both give a :class:`w2v.Vectors`. ``python -m w2v.train`` is the
trainer's command line.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "train_embeddings", "load", "Vectors", "Embedding", "load_model", "save_model"]

from .outdir import save_model  # noqa: E402

_LAZY = {"train_embeddings": ("train", "train_embeddings"), "Vectors": ("vectors", "Vectors"),
         "load": ("formats", "load"), "load_model": ("formats", "load"), "Embedding": ("layers", "Embedding")}


def __getattr__(name: str):
    # Lazy imports keep `import w2v` cheap (numba compiles only when training is used).
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'w2v' has no attribute {name!r}")
