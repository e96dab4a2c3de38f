"""What every command line shares: options defined once, one parser, one error convention.

An option is a dataclass field made with :func:`option`: its default, its bounds and its help live
in one place, and both the argparse parser (:meth:`Options.add_arguments`) and the validation
(:meth:`Options.validate`) are generated from it. A config class is a dataclass that inherits
:class:`Options`; the Python API and the CLI build the same object and validate it once, at the
boundary, so inner functions trust their inputs.

Conventions shared by every tool (the README has the table): ``--out`` is where a tool writes its
product, ``--json FILE`` writes the full result as JSON (``-`` or a bare ``--json``: print it),
``--topn`` is a neighbour count, ``--seed`` defaults to 1, a count option where 0 means "all" says so,
``--lowercase`` lowercases text before tokenizing, ``--quiet`` silences progress, and a bad input
ends with one line ``w2v.TOOL: error: ... (see --help)`` and exit status 2 (:func:`run_cli`).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import Interrupted, W2VError
from .safety import check_output_file

SEED = 1  #: the default seed of every tool


def option(default: Any, help: str, *, lo: float | None = None, hi: float | None = None, above: float | None = None,
           below: float | None = None, choices: Sequence[str] | None = None, all_zero: bool = False,
           flag: str | None = None, metavar: str | None = None, cli: bool = True, const: Any = None,
           deprecated: Sequence[str] = ()) -> Any:
    """A config field: ``default``, ``help``, inclusive bounds ``lo``/``hi``, exclusive ``above``/``below``,
    ``choices``; ``all_zero``: 0 (or None) means "all"/"no limit" and is stored as None; ``flag``: the
    CLI spelling of a boolean that turns the default off (e.g. ``--per-pair-negatives``); ``cli=False``
    keeps it out of the parser; ``const``: the value of the bare option (``--sample`` alone);
    ``deprecated``: old option strings accepted with a warning."""
    meta = dict(help=help, lo=lo, hi=hi, above=above, below=below, choices=tuple(choices) if choices else None,
                all_zero=all_zero, flag=flag, metavar=metavar, cli=cli, const=const,
                deprecated=tuple(deprecated))
    return dataclasses.field(default=default, metadata=meta)


def _kind(f: dataclasses.Field) -> type:
    """int, float, str or bool from the field's annotation (``"int | None"`` → int)."""
    annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("str", str)):
        if annotation.split("|")[0].strip() == name:
            return kind
    raise TypeError(f"option {f.name}: unsupported type {annotation}")


def flag_name(name: str) -> str:
    """``min_count`` → ``--min-count``."""
    return "--" + name.replace("_", "-")


class Options:
    """Mixin for option dataclasses: parser, validation and keyword checking from the fields."""

    @classmethod
    def options(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if "help" in f.metadata]

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser, skip: Sequence[str] = ()) -> None:
        """Add one ``--option`` per field (defaults shown by ``--help``)."""
        for f in cls.options():
            m = f.metadata
            if not m["cli"] or f.name in skip:
                continue
            names = [m["flag"] or flag_name(f.name)]
            kind = _kind(f)
            help_text = m["help"] + (" (0 = all)" if m["all_zero"] else "")
            if kind is bool:
                action = "store_false" if m["flag"] else "store_true"
                kwargs: dict = dict(action=action, dest=f.name, help=help_text)
            else:
                kwargs = dict(type=kind, default=f.default, dest=f.name, help=help_text, metavar=m["metavar"])
                if m["choices"]:
                    kwargs["choices"] = m["choices"]
                if m["all_zero"] and f.default is None:
                    kwargs["default"] = 0
                if m["const"] is not None:
                    kwargs.update(nargs="?", const=m["const"])
                    kwargs["help"] += f" (bare {names[0]}: {m['const']:g})"
            parser.add_argument(*names, **kwargs)
            for old in m["deprecated"]:
                deprecated_alias(parser, old, names[0], **kwargs)

    @classmethod
    def from_args(cls, args: argparse.Namespace, **extra):
        """The config from parsed arguments (fields not on the command line keep their default)."""
        values = {f.name: getattr(args, f.name) for f in cls.options() if hasattr(args, f.name)}
        return cls(**{**values, **extra}).validate()

    @classmethod
    def from_kwargs(cls, **kwargs):
        """The config from keyword arguments; unknown names are an error that lists the valid ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise W2VError(f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        return cls(**kwargs).validate()

    def validate(self):
        """Check every field against its bounds; raise :class:`W2VError` naming the option."""
        for f in self.options():
            m = f.metadata
            value = getattr(self, f.name)
            kind = _kind(f)
            if m["all_zero"] and value == 0:
                value = None
                setattr(self, f.name, None)
            if value is None and (f.default is None or m["all_zero"]):
                continue
            if kind is bool:
                if not isinstance(value, (bool, int)):
                    self._fail(f, value, "must be true or false")
                continue
            if kind in (int, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    self._fail(f, value, f"must be a number ({kind.__name__})")
                if kind is int and not float(value).is_integer():
                    self._fail(f, value, "must be a whole number")
                if not math.isfinite(value):
                    self._fail(f, value, "must be a finite number")
                for bound, ok, word in ((m["lo"], lambda v, b: v >= b, ">="), (m["hi"], lambda v, b: v <= b, "<="),
                                        (m["above"], lambda v, b: v > b, ">"), (m["below"], lambda v, b: v < b, "<")):
                    if bound is not None and not ok(value, bound):
                        self._fail(f, value, f"must be {word} {bound:g}")
            if m["choices"] and value not in m["choices"]:
                self._fail(f, value, f"choose one of {', '.join(m['choices'])}")
        self.check()
        return self

    def check(self) -> None:
        """Rules that involve several fields (override; raise with :meth:`fail`)."""

    def fail(self, name: str, rule: str) -> None:
        """Raise the one-line error for option ``name``."""
        raise W2VError(f"invalid {flag_name(name)} {getattr(self, name)!r}: {rule}")

    @staticmethod
    def _fail(f: dataclasses.Field, value, rule: str) -> None:
        raise W2VError(f"invalid {f.metadata['flag'] or flag_name(f.name)} {value!r}: {rule}")


# -- the parser and the one-line error convention -------------------------------------------------------


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` only where there is a default to show (not for None or a flag)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.nargs == 0 or action.help == argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: a bad option raises :class:`W2VError` (exit 2 via
    :func:`run_cli`) instead of printing the usage block. Help lists defaults."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["formatter_class"] = HelpFormatter
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        raise W2VError(f"{message} (see --help)")


def parser(prog: str, description: str) -> ArgumentParser:
    """A tool's parser: ``python -m PROG`` with the shared help formatter and one-line errors."""
    return ArgumentParser(prog=f"python -m {prog}" if prog.startswith("w2v.") else prog, description=description)


def add_corpus(p: argparse.ArgumentParser, out_help: str | None = "output directory", optional: bool = False) -> None:
    """The corpus argument of every tool that reads text (and ``--out``, ``--cache-dir``)."""
    p.add_argument("corpus", nargs="?" if optional else None,
                   help="text file (.gz/.bz2/.xz ok), directory of files, - for stdin, or an encoded "
                   "corpus (python -m w2v.encode)")
    if out_help:
        p.add_argument("--out", required="default" not in out_help, help=out_help)
    p.add_argument("--cache-dir", help="keep the encoded corpus here and reuse it in later runs on the same files "
                   "(default: encode into a temporary directory)")


def add_quiet(p: argparse.ArgumentParser, what: str = "no progress bar and no summary") -> None:
    p.add_argument("--quiet", action="store_true", help=what)


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"invalid seed {text}: must be between 0 and 2**63 - 1")
    return value


def add_seed(p: argparse.ArgumentParser, what: str = "random seed") -> None:
    p.add_argument("--seed", type=_seed, default=SEED, help=what)


def add_json(p: argparse.ArgumentParser, what: str = "the full result") -> None:
    """``--json FILE`` writes ``what`` as JSON; ``--json`` alone or ``--json -`` prints it instead of the table.
    ``--output FILE`` is the deprecated spelling."""
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help=f"write {what} as JSON to FILE (bare --json or '-': print it instead of the table)")
    deprecated_alias(p, "--output", "--json FILE", dest="json_file", metavar="FILE")


def add_topn(p: argparse.ArgumentParser, default: int = 10, what: str = "neighbours per word") -> None:
    p.add_argument("-n", "--topn", type=int, default=default, help=what)


def deprecated_alias(p: argparse.ArgumentParser, old: str, new: str, **kwargs) -> None:
    """Accept ``old`` as a hidden spelling of ``new`` for one release, with a warning on stderr."""
    action = kwargs.pop("action", "store")
    base = {"store": argparse._StoreAction, "store_true": argparse._StoreTrueAction,
            "store_false": argparse._StoreFalseAction}[action]

    class Deprecated(base):  # type: ignore[valid-type, misc]
        def __call__(self, parser, namespace, values, option_string=None):
            print(f"{_prog_name()}: warning: {old} is deprecated, use {new}", file=sys.stderr)
            super().__call__(parser, namespace, values, option_string)

    if action != "store":
        kwargs.pop("metavar", None)
    kwargs["help"] = argparse.SUPPRESS
    kwargs.pop("default", None)
    p.add_argument(old, action=Deprecated, default=argparse.SUPPRESS, **kwargs)


def check_json_target(args: argparse.Namespace, inputs: dict) -> None:
    """Refuse, before the work, a ``--json FILE`` that is one of ``inputs`` or cannot be written."""
    for target in {getattr(args, "json", None), getattr(args, "json_file", None)} - {None, "-"}:
        check_output_file(target, "--json", inputs)


def write_json(args: argparse.Namespace, text: str) -> bool:
    """Write JSON ``text`` where ``--json FILE`` (and the deprecated ``--output FILE``) say, atomically;
    returns True if it should be printed instead of the table (``--json`` alone or ``--json -``)."""
    from .outdir import save_text

    targets = {getattr(args, "json", None), getattr(args, "json_file", None)} - {None}
    for target in targets - {"-"}:
        save_text(target, text + "\n")
    return "-" in targets


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
    if len(parts) >= 2 and parts[-2] in ("scripts", "benchmarks") and parts[-1].endswith(".py"):
        return f"{parts[-2]}/{parts[-1]}"
    return parts[-1]
