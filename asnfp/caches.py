"""The caches of pure functions of constraints, kept in one list so that they can be
emptied together.

A run makes constraints of its own (each candidate's leaf, and every rule with it
appended), and the functions that read a constraint's tree (its description, its gates,
its routes, its names) cache their answers by the constraint. Within a run that saves
the same work being done again; across runs, in a process that lives on (a service, a
loop over pools, a batch worker), the answers about the runs' own constraints would only
pile up, each keeping its constraint alive. :func:`trim` (called as each driver call
ends) empties every listed cache once they hold more than :data:`MOST_ENTRIES` answers:
a cache is only ever a shortcut, and an answer dropped is worked out again if asked.

>>> from functools import lru_cache
>>> @lru_cache(maxsize=16)
... def square(x: int) -> int:
...     return x * x
>>> forgettable(square); square(3); held() >= 1
9
True
>>> forget(); square.cache_info().currsize
0
"""

from __future__ import annotations

from typing import Final, Protocol

__all__ = ("MOST_ENTRIES", "Cached", "forgettable", "held", "forget", "trim")

#: The answers all listed caches may hold together before :func:`trim` empties them (the
#: catalogue's own constraints take about 3,800).
MOST_ENTRIES = 8_192


class _Info(Protocol):
    @property
    def currsize(self) -> int: ...


class Cached(Protocol):
    """What :func:`forgettable` takes: a ``functools.lru_cache`` wrapper."""

    def cache_info(self) -> _Info: ...

    def cache_clear(self) -> None: ...


_LISTED: Final[list[Cached]] = []


def forgettable(*cached: Cached) -> None:
    """List ``cached`` (``lru_cache`` wrappers) among the caches :func:`forget` empties."""
    _LISTED.extend(c for c in cached if c not in _LISTED)


def held() -> int:
    """How many answers the listed caches hold."""
    return sum(c.cache_info().currsize for c in _LISTED)


def forget() -> None:
    """Empty every listed cache."""
    for cached in _LISTED:
        cached.cache_clear()


def trim(most: int | None = None) -> None:
    """Empty the listed caches if they hold more than ``most`` answers (by default
    :data:`MOST_ENTRIES`).

    >>> trim(most=0); held()
    0
    """
    if held() > (MOST_ENTRIES if most is None else most):
        forget()
