"""What a run of the ``asnfp`` command needs of its process: one line for every error
(:func:`one_line`, :func:`internal_error`), standard output whose failures are errors
(a closed pipe stops quietly), SIGTERM raised as Ctrl-C is, the cycle collector off
while a run builds its state, and a progress line on a terminal (:class:`ProgressLine`).
``generate`` and ``batch`` both use these.

>>> internal_error(ValueError("bad\\nmore"))
'internal error: ValueError: bad'
"""

from __future__ import annotations

import contextlib
import errno
import gc
import io  # noqa: F401  (doctests)
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Final, Generic, NoReturn, TextIO, TypeVar

from asnfp.errors import (
    AsnfpError,
    first_line,
)

__all__ = (
    "TERMINATING_SIGNALS",
    "PROGRESS_AFTER",
    "PROGRESS_EVERY",
    "GuardedStdout",
    "ProgressLine",
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


T = TypeVar("T")

#: A run shows its progress line once it has lasted this many seconds (a shorter run
#: shows none), and the line is redrawn this often while it lasts.
PROGRESS_AFTER: Final = 1.0
PROGRESS_EVERY: Final = 0.25


class ProgressLine(Generic[T]):
    """A line of progress on a terminal, rewritten in place and cleared at the end.

    ``tell(value)`` (from any thread) gives the latest value; ``text(value, seconds,
    columns)`` makes the line of it, ``seconds`` after the line was made, to fit in
    ``columns``. Nothing is written to a stream that is not a terminal (``shown`` is
    false: give no callback then, and nothing costs anything), nor before ``after``
    seconds. From the first ``tell`` on, a thread of this process redraws the line every
    ``every`` seconds, so that the time goes on while a long fold runs: tell it first
    when no ``os.fork`` is to come before :meth:`close` (a thread alive at a fork could
    hold a lock that the child then never sees released). Used as a context manager, it
    is closed on the way out, whatever the way.

    >>> class Terminal(io.StringIO):
    ...     def isatty(self): return True
    >>> screen = Terminal()
    >>> with ProgressLine(screen, lambda n, seconds, columns: f"{n} rows", after=0, every=60) as line:
    ...     line.tell(3)
    >>> screen.getvalue()
    '\\r3 rows\\r      \\r'
    >>> ProgressLine(io.StringIO(), lambda n, seconds, columns: f"{n} rows").shown
    False
    """

    def __init__(self, stream: TextIO | None, text: Callable[[T, float, int], str], *,
                 after: float = PROGRESS_AFTER, every: float = PROGRESS_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.shown = _is_terminal(stream)
        self._stream, self._text, self._after, self._every, self._clock = stream, text, after, every, clock
        self._start = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._latest: tuple[T] | None = None  # (the value told last, once one is)
        self._drawn_at = -float("inf")
        self._width = 0  # (the characters on the line now)

    def tell(self, value: T) -> None:
        """Take the latest ``value``; draw it if the line is due.

        >>> ProgressLine(None, lambda n, seconds, columns: f"{n} rows").tell(3)  # (no terminal: nothing)
        """
        if not self.shown:
            return
        with self._lock:
            self._latest = (value,)
            if self._ticker is None and not self._stop.is_set():
                self._ticker = threading.Thread(target=self._tick, name="asnfp-progress", daemon=True)
                self._ticker.start()
            self._draw(self._clock(), every=self._every)

    def _tick(self) -> None:
        while not self._stop.wait(max(self._every, 0.05)):
            with self._lock:
                self._draw(self._clock(), every=0.0)

    def _draw(self, now: float, every: float) -> None:
        """Draw the line (holding the lock), if ``after`` has passed and ``every`` since the last time."""
        if self._stop.is_set() or self._latest is None or now - self._start < self._after or \
                now - self._drawn_at < every:
            return
        columns = _columns(self._stream)
        line = self._text(self._latest[0], now - self._start, columns)[:max(1, columns - 1)]
        self._write("\r" + line + " " * (self._width - len(line)))
        self._width, self._drawn_at = len(line), now

    def _write(self, text: str) -> None:
        stream = self._stream
        if stream is None:  # (never, when shown)
            return
        with contextlib.suppress(OSError, ValueError):  # (stderr gone: there is no one to show)
            stream.write(text)
            stream.flush()

    def close(self) -> None:
        """Stop redrawing, and clear the line if it was drawn.

        >>> ProgressLine(None, lambda n, seconds, columns: f"{n} rows").close()
        """
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2 * self._every + 1)
        with self._lock:
            if self._width:
                self._write("\r" + " " * self._width + "\r")
            self._width = 0

    def __enter__(self) -> ProgressLine[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _is_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a terminal (a closed or odd one is not).

    >>> _is_terminal(None), _is_terminal(io.StringIO())
    (False, False)
    """
    if stream is None:
        return False
    try:
        return bool(stream.isatty())
    except (OSError, ValueError, AttributeError):
        return False


def _columns(stream: TextIO | None, default: int = 80) -> int:
    """The width of the terminal ``stream`` is (``default`` when it tells none).

    >>> _columns(io.StringIO())
    80
    """
    if stream is None:
        return default
    try:
        return os.get_terminal_size(stream.fileno()).columns or default
    except (OSError, ValueError, AttributeError):
        return default
