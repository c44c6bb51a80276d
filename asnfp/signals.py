"""Signal handlers for a block of code, put back as they were after it.

>>> import signal
>>> with handled([signal.SIGUSR1], signal.SIG_IGN):
...     signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN
True
>>> signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN
False
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator, Sequence
from types import FrameType

__all__ = ("Handler", "handled")

#: What ``signal.signal`` takes: a function of the signal and the frame, or a
#: disposition (``SIG_IGN``, ``SIG_DFL``).
Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers


@contextlib.contextmanager
def handled(signals: Sequence[int], handler: Handler) -> Iterator[None]:
    """Run a block with ``handler`` for each of ``signals``, the previous handlers put back
    after it. Outside the main thread, where Python cannot set handlers, the block just
    runs with the handlers as they are.

    >>> with handled([signal.SIGUSR1], lambda signum, frame: print("caught", signum == signal.SIGUSR1)):
    ...     signal.raise_signal(signal.SIGUSR1)
    caught True
    """
    previous: dict[int, object] = {}
    try:
        for number in signals:
            previous[number] = signal.signal(number, handler)
    except ValueError:  # not the main thread: signals are the main thread's to handle
        pass
    try:
        yield
    finally:
        for number, before in previous.items():
            signal.signal(number, signal.SIG_DFL if before is None else before)  # type: ignore[arg-type]
