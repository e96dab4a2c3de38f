"""w2v: word-embedding lookup tables learned the word2vec way, and the tools around them."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "train", "Vectors", "Embedding", "load_model", "save_model"]

from .outdir import load_model, save_model  # noqa: E402


def __getattr__(name: str):
    # Lazy imports keep `import w2v` cheap (numba compiles only when training is used).
    if name == "train":
        from .train import train

        return train
    if name == "Vectors":
        from .vectors import Vectors

        return Vectors
    if name == "Embedding":
        from .layers import Embedding

        return Embedding
    raise AttributeError(f"module 'w2v' has no attribute {name!r}")
