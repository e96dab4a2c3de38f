"""Nothing lost: temporary files owned by a process, checks before work, signals handled in order.

* **Owned temporary names.** Every temporary file or directory w2v makes carries the PID of the
  process that made it (``w2v-ids-<pid>-XXXX`` for the encoded corpus, ``.NAME.w2v-tmp-<pid>-XXXX``
  beside an output). A run killed with SIGKILL cannot clean up; the next run that uses the same place
  removes the leftovers whose owner is no longer alive (:func:`remove_stale`).
* **Checks before work.** :func:`probe_writable`, :func:`check_disk` and :func:`check_memory` refuse
  in one line, with the numbers, before hours of work are spent on a result that cannot be kept.
* **Signals.** :class:`SignalGuard` turns SIGINT, SIGTERM and SIGHUP (unless ignored, as under
  ``nohup``) into either an immediate, clean
  :class:`~w2v.errors.Interrupted` (while the work can simply be abandoned) or a request the work
  polls (while it can stop at a safe point and save what it has); :func:`deferred_signals` holds
  them back during a critical section such as swapping a directory in.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import Interrupted, W2VError

SIGNALS = (signal.SIGINT, signal.SIGTERM, *((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ()))
_OWNED = re.compile(r"^(?:w2v-ids|\.(?:.*\.)?w2v-(?:tmp|old))-(\d+)-")


# -- owned temporary names -------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """True if a process with this PID exists (or may exist: we cannot tell, so we keep its files)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, owned by someone else
        return True
    return True


def owner_pid(name: str) -> int | None:
    """The PID recorded in a w2v temporary name, or None if ``name`` is not one."""
    m = _OWNED.match(name)
    return int(m.group(1)) if m else None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except OSError:
            pass


def remove_stale(directory: str | os.PathLike) -> list[Path]:
    """Remove the w2v temporary files and directories in ``directory`` whose owner process is dead.

    A ``.NAME.w2v-old-<pid>-*`` directory is the previous model a killed run had moved aside: if
    ``NAME`` is missing it is moved back (the kill fell between the two renames of the swap),
    otherwise it is removed. Returns the paths removed or restored.
    """
    directory = Path(directory)
    done: list[Path] = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return done
    for entry in entries:
        pid = owner_pid(entry.name)
        if pid is None or pid_alive(pid):
            continue
        if ".w2v-old-" in entry.name and entry.name.startswith("."):
            target = directory / entry.name[1:].split(".w2v-old-")[0]
            inner = entry / "x"  # the swap moves the old directory to .NAME.w2v-old-PID-XXXX/x
            if not os.path.lexists(target) and inner.exists():
                try:
                    os.rename(inner, target)
                    done.append(entry)
                    continue
                except OSError:
                    pass
        _remove(entry)
        done.append(entry)
    return done


def owned_prefix(kind: str) -> str:
    """``<kind>-<pid>-``: the start of a temporary name owned by this process."""
    return f"{kind}-{os.getpid()}-"


@contextmanager
def work_dir(parent: str | os.PathLike | None = None, kind: str = "w2v-ids") -> Iterator[Path]:
    """A temporary working directory ``<kind>-<pid>-XXXX`` under ``parent`` (default: the system
    temp directory), removed on exit; leftovers of dead runs there are removed first."""
    parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    remove_stale(parent)
    path: Path | None = None
    try:
        try:
            with deferred_signals():  # a signal never falls between creating the directory and owning it
                path = Path(tempfile.mkdtemp(prefix=owned_prefix(kind), dir=parent))
        except OSError as exc:
            raise W2VError(f"cannot create a working directory in {parent}: {exc.strerror or exc}") from None
        yield path
    finally:
        if path is not None:
            with deferred_signals():
                shutil.rmtree(path, ignore_errors=True)


# -- checks before work ----------------------------------------------------------------------------


def nearest_existing(path: str | os.PathLike) -> Path:
    """``path`` or its closest ancestor that exists; refuses a path under a regular file."""
    p = Path(os.path.abspath(path))
    for candidate in (p, *p.parents):
        if os.path.lexists(candidate):
            if candidate != p and not candidate.is_dir():
                raise W2VError(f"{path} cannot be created: {candidate} is a file, not a directory")
            return candidate
    return Path(p.anchor)


def probe_writable(directory: str | os.PathLike, what: str) -> None:
    """Create and remove a probe file in ``directory`` (or its closest existing ancestor)."""
    where = nearest_existing(directory)
    if not where.is_dir():
        raise W2VError(f"{what} {directory} is not a directory")
    try:
        with deferred_signals():  # the probe is never left behind by a signal
            fd, probe = tempfile.mkstemp(prefix=owned_prefix(".w2v-tmp"), suffix=".probe", dir=where)
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise W2VError(f"{what} {directory} is not writable ({where}: {exc.strerror or exc})") from None


def human(nbytes: float) -> str:
    """``1234567`` → ``'1.2 MB'``."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(nbytes) < 1000 or unit == "PB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    return f"{nbytes:.1f} PB"


def free_space(directory: str | os.PathLike) -> int:
    """Free bytes on the file system that holds ``directory`` (or its closest existing ancestor)."""
    return shutil.disk_usage(nearest_existing(directory)).free


def check_disk(directory: str | os.PathLike, need: int, what: str, hint: str = "") -> None:
    """Refuse if the file system of ``directory`` has less than ``need`` bytes free."""
    free = free_space(directory)
    if need > free:
        raise W2VError(f"not enough free space for {what} in {directory}: need about {human(need)}, "
                       f"{human(free)} free{'; ' + hint if hint else ''}")


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(need: int, what: str, hint: str = "") -> None:
    """Refuse if ``need`` bytes exceed the memory available now."""
    avail = available_memory()
    if avail is not None and need > avail:
        raise W2VError(f"not enough memory for {what}: need about {human(need)}, {human(avail)} available"
                       f"{'; ' + hint if hint else ''}")


def _real(path: str | os.PathLike) -> Path:
    return Path(os.path.realpath(path))


def check_regular(path: str | os.PathLike, what: str) -> None:
    """Refuse, before opening it, a ``path`` that exists but is not a regular file (after symlinks): a FIFO
    would block the reader forever, a device (``/dev/zero``) feed it without end."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # missing: the reader says so
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a directory" if stat.S_ISDIR(mode) else "not a file")
        raise W2VError(f"{path} is {kind}, not a regular file; expected {what}")


def check_not_input(outputs: dict[str, str | os.PathLike | None], inputs: dict[str, str | os.PathLike | None]) -> None:
    """Refuse an output that is one of the inputs, contains one, or lies inside an input directory,
    and two outputs that are the same path. Keys are the option names shown in the message."""
    outs = {k: _real(v) for k, v in outputs.items() if v is not None and str(v) != "-"}
    ins = {k: _real(v) for k, v in inputs.items() if v is not None and str(v) != "-"}
    for oname, o in outs.items():
        for iname, i in ins.items():
            if o == i:
                raise W2VError(f"{oname} {outputs[oname]} is also the input {iname}; it would be overwritten")
            if o in i.parents:
                raise W2VError(f"{oname} {outputs[oname]} contains the input {iname} {inputs[iname]}; "
                               "writing it would replace the input")
            if i in o.parents and i.is_dir():
                raise W2VError(f"{oname} {outputs[oname]} lies inside the input {iname} {inputs[iname]}; "
                               "choose a path outside it")
    names = list(outs)
    for a in range(len(names)):
        for b in range(a + 1, len(names)):
            if outs[names[a]] == outs[names[b]]:
                raise W2VError(f"{names[a]} and {names[b]} are the same file {outputs[names[a]]}")


def check_finite_rows(matrix, words: Iterable[str] | None, where: str, chunk: int = 1 << 16) -> None:
    """Refuse a table with a NaN or infinite value, naming the first such row and its word."""
    import numpy as np

    with np.errstate(all="ignore"):
        if np.isfinite(np.sum(matrix, dtype=np.float64)):  # the common case: one pass, no temporary
            return
    for r0 in range(0, matrix.shape[0], chunk):
        block = np.asarray(matrix[r0:r0 + chunk])
        bad = ~np.isfinite(block).all(axis=1)
        if bad.any():
            row = r0 + int(np.flatnonzero(bad)[0])
            n_bad = int(bad.sum())
            word = None
            if words is not None:
                try:
                    word = words[row]  # type: ignore[index]
                except (TypeError, IndexError):
                    word = None
            what = f"row {row}" + (f" ({word!r})" if word is not None else "")
            raise W2VError(f"{where}: {what} holds a non-finite value (NaN or infinity)"
                           f"{f', and {n_bad - 1} more row(s) in the same block' if n_bad > 1 else ''}; "
                           "a damaged or diverged table")


# -- signals ---------------------------------------------------------------------------------------


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back during a critical section; deliver them right after it.

    Outside the main thread (where Python cannot install handlers) this does nothing.
    """
    if not _in_main_thread():
        yield
        return
    received: list[int] = []
    previous = {}
    try:
        for s in SIGNALS:
            if signal.getsignal(s) is not signal.SIG_IGN:  # an ignored signal stays ignored (nohup, cmd &)
                previous[s] = signal.signal(s, lambda signum, frame: received.append(signum))
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        for s in dict.fromkeys(received):
            signal.raise_signal(s)


class SignalGuard:
    """Handle SIGINT, SIGTERM and SIGHUP (those not ignored) for a long run.

    In ``"abort"`` mode (the default) a signal raises :class:`~w2v.errors.Interrupted` at once, so
    ``with`` blocks and ``finally`` clauses clean up (a process killed by SIGTERM's default action
    would leave its temporary files). In ``"stop"`` mode (:meth:`stopping`) it only records the
    request: :meth:`requested` turns true and the work stops at its next safe point. Use as a
    context manager; outside the main thread it installs nothing and never fires.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.mode = "abort"
        self._previous: dict[int, object] = {}

    def _handler(self, signum, frame) -> None:
        if self.signum is None:
            self.signum = signum
        if self.mode == "abort":
            raise Interrupted(f"interrupted by {signal.Signals(signum).name}; nothing was saved", signum)

    def __enter__(self) -> SignalGuard:
        if _in_main_thread():
            try:
                for s in SIGNALS:
                    if signal.getsignal(s) is not signal.SIG_IGN:  # an ignored signal stays ignored (nohup)
                        self._previous[s] = signal.signal(s, self._handler)
            except ValueError:
                self._previous.clear()
        return self

    def __exit__(self, *exc) -> None:
        for s, h in self._previous.items():
            signal.signal(s, h)
        self._previous.clear()

    def requested(self) -> bool:
        """True once a signal arrived."""
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    @contextmanager
    def stopping(self) -> Iterator[SignalGuard]:
        """Within this block a signal is only recorded (``requested()``)."""
        mode, self.mode = self.mode, "stop"
        try:
            yield self
        finally:
            self.mode = mode


def enospc(exc: OSError) -> bool:
    """True for 'no space left' and 'quota exceeded' errors."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


# -- numeric options -------------------------------------------------------------------------------


def check_range(option: str, value, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> None:
    """Refuse an option value that is not a finite number in ``[low, high]`` (``(`` / ``)`` where open)."""
    import math

    if value is None:
        return
    try:
        finite = math.isfinite(value)
    except (TypeError, OverflowError):
        finite = False
    ok = finite and not (
        (low is not None and (value < low or (low_open and value == low)))
        or (high is not None and (value > high or (high_open and value == high)))
    )
    if not ok:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        interval = f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
        raise W2VError(f"invalid {option} {value}: must be a finite number in {interval}")


def check_output_file(path: str | os.PathLike | None, option: str,
                      inputs: dict[str, str | os.PathLike | None] | None = None) -> None:
    """Refuse, before any work, an output file that is a directory, lies under a file, cannot be
    written, or is one of ``inputs``."""
    if path is None or str(path) == "-":
        return
    if Path(path).is_dir():
        raise W2VError(f"{option} {path} is a directory; give a file name")
    check_not_input({option: path}, inputs or {})
    probe_writable(Path(os.path.abspath(path)).parent, option)
