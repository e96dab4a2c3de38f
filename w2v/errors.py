"""The one exception type for bad user input. CLIs turn it into one line and exit status 2
(:func:`w2v.cli.run_cli`)."""

from __future__ import annotations


class W2VError(ValueError):
    """Bad input from the user (missing file, empty corpus, invalid parameter).

    The message is one line that says what is wrong and how to fix it; CLIs print it
    to stderr and exit with status 2, without a traceback.
    """


class Interrupted(KeyboardInterrupt):
    """A run stopped by SIGINT or SIGTERM after cleaning up (and saving what it could).

    A :class:`KeyboardInterrupt`, so code that handles Ctrl-C handles it; :func:`w2v.cli.run_cli`
    prints the message on one line and exits with ``128 + signum`` (130 for SIGINT, 143 for SIGTERM).
    ``result`` holds what the run had when it stopped (or None).
    """

    def __init__(self, message: str, signum: int, result=None) -> None:
        super().__init__(message)
        self.signum = signum
        self.result = result


def __getattr__(name: str):
    # The CLI plumbing moved to w2v.cli; old imports keep working for one release.
    if name in ("ArgumentParser", "HelpFormatter", "run_cli"):
        import warnings

        from . import cli

        warnings.warn(f"w2v.errors.{name} moved to w2v.cli.{name}", DeprecationWarning, stacklevel=2)
        return getattr(cli, name)
    raise AttributeError(f"module 'w2v.errors' has no attribute {name!r}")
