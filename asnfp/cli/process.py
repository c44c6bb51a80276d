"""What a run of the ``asnfp`` command needs of its process: one line for every error
(:func:`one_line`, :func:`internal_error`), standard output whose failures are errors
(a closed pipe stops quietly), SIGTERM raised as Ctrl-C is, and the cycle collector off
while a run builds its state. ``generate`` and ``batch`` both use these.

>>> internal_error(ValueError("bad\\nmore"))
'internal error: ValueError: bad'
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import sys
from collections.abc import Iterator
from typing import Final, NoReturn, TextIO

from asnfp.errors import (
    AsnfpError,
    first_line,
)

__all__ = (
    "TERMINATING_SIGNALS",
    "GuardedStdout",
    "StdoutClosed",
    "StdoutFailed",
    "Terminated",
    "cycle_collector_off",
    "internal_error",
    "one_line",
    "say",
    "silence_stdout",
    "terminate",
)


#: Signals that end a run as Ctrl-C does (every ``finally`` runs: staging is removed).
TERMINATING_SIGNALS: Final = (signal.SIGTERM, signal.SIGHUP)


def say(line: str) -> None:
    """Print a line on stderr; if stderr itself is gone, there is no one to tell."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr)


class StdoutFailed(AsnfpError):
    """Standard output cannot be written (a full disk, ``> /dev/full``)."""


class StdoutClosed(Exception):
    """Whoever read standard output stopped reading (a broken pipe)."""


class GuardedStdout:
    """Standard output whose failures are asnfp's errors: a broken pipe
    (:class:`StdoutClosed`) or any other (:class:`StdoutFailed`, one line)."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream  # (None: started with stdout closed)

    def write(self, text: str) -> int:
        if self._stream is None:
            raise StdoutClosed
        try:
            return self._stream.write(text)
        except OSError as err:
            raise _stdout_error(err) from None

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except OSError as err:
            raise _stdout_error(err) from None

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _stdout_error(err: OSError) -> Exception:
    if isinstance(err, BrokenPipeError) or err.errno == errno.EPIPE:
        return StdoutClosed()
    return StdoutFailed(f"cannot write to standard output ({err.strerror or err})")


@contextlib.contextmanager
def cycle_collector_off() -> Iterator[None]:
    """Run a block with Python's cycle collector off, as it was before afterwards.

    A run makes no reference cycles (a full collection after a 10,000-row run finds
    none), so the collector would only walk the growing state again and again: 22% of a
    run's time (measured).

    >>> with cycle_collector_off():
    ...     gc.isenabled()
    False
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def silence_stdout() -> None:
    """Point stdout at the null device, so that nothing more fails on the closed pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # (stdout None: closed at start)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every ``finally`` (the staging folder) runs."""


def terminate(signum: int, frame: object) -> NoReturn:
    raise Terminated


def one_line(err: BaseException) -> str:
    """The message's first line: whatever a library put in it, the user gets one line.

    >>> one_line(AsnfpError("pool.csv: bad\\nmore detail"))
    'pool.csv: bad'
    """
    return first_line(err)


def internal_error(err: BaseException) -> str:
    """The one line for an error that is a bug in asnfp: its type and first line.

    >>> internal_error(KeyError("x"))
    "internal error: KeyError: 'x'"
    """
    return f"internal error: {type(err).__name__}: {one_line(err)}"

