"""The one exception type for bad user input, and the CLI wrapper that turns it into exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable


class W2VError(ValueError):
    """Bad input from the user (missing file, empty corpus, invalid parameter).

    The message is one line that says what is wrong and how to fix it; CLIs print it
    to stderr and exit with status 2, without a traceback.
    """


def run_cli(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> None:
    """Run ``main(argv)``; turn :class:`W2VError` (and Ctrl-C) into a one-line message."""
    prog = sys.argv[0].rsplit("/", 1)[-1] if sys.argv and sys.argv[0] else "w2v"
    try:
        code = main(argv)
    except W2VError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(code or 0)
