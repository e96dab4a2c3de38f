"""The one exception type for bad user input, and the CLI wrapper that turns it into exit status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


class W2VError(ValueError):
    """Bad input from the user (missing file, empty corpus, invalid parameter).

    The message is one line that says what is wrong and how to fix it; CLIs print it
    to stderr and exit with status 2, without a traceback.
    """


class Interrupted(KeyboardInterrupt):
    """A run stopped by SIGINT or SIGTERM after cleaning up (and saving what it could).

    A :class:`KeyboardInterrupt`, so code that handles Ctrl-C handles it; :func:`run_cli` prints
    the message on one line and exits with ``128 + signum`` (130 for SIGINT, 143 for SIGTERM).
    """

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` only where there is a default to show (not for None or a flag)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.nargs == 0:  # nothing to show, or an on/off flag
            return action.help
        return super()._get_help_string(action)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: a bad option raises :class:`W2VError` (exit 2 via
    :func:`run_cli`) instead of printing the usage block. Help lists defaults."""

    def __init__(self, *args, **kwargs) -> None:
        if kwargs.get("formatter_class") in (None, argparse.ArgumentDefaultsHelpFormatter):
            kwargs["formatter_class"] = HelpFormatter
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        raise W2VError(f"{message} (see --help)")


def run_cli(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> None:
    """Run ``main(argv)``; turn :class:`W2VError` (and Ctrl-C) into a one-line message."""
    prog = _prog_name()
    try:
        code = main(argv)
    except W2VError as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message holds
        if not message.endswith("(see --help)"):
            message += " (see --help)"
        print(f"{prog}: error: {message}", file=sys.stderr)
        sys.exit(2)
    except Interrupted as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        sys.exit(128 + exc.signum)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(code or 0)


def _prog_name() -> str:
    # "python -m w2v.train" runs .../w2v/train.py: report it as "w2v.train".
    path = sys.argv[0] if sys.argv and sys.argv[0] else "w2v"
    parts = path.replace("\\", "/").split("/")
    if len(parts) >= 2 and parts[-2] == "w2v" and parts[-1].endswith(".py"):
        return "w2v." + parts[-1][:-3]
    return parts[-1]
