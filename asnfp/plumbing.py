"""toolz, typed: the functional plumbing asnfp uses (grouping, order-keeping unique,
concatenation), each the toolz function itself under a signature that ``mypy --strict``
checks (toolz ships no types). toolz is imported on the first call: its import costs
9 ms, 1.3% of the instructions of a whole mega_pool run (callgrind), so the generation
path itself (the drivers, finalization) groups with plain loops and never imports it.

>>> groupby(len, ["a", "bb", "c"])
{1: ['a', 'c'], 2: ['bb']}
>>> list(unique(concat([[3, 1], [3, 2]])))
[3, 1, 2]
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TypeVar

__all__ = ("concat", "groupby", "unique")

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def groupby(key: Callable[[T], K], items: Iterable[T]) -> dict[K, list[T]]:
    """The items in lists by their key, keys and items in the order first seen (``toolz.groupby``).

    >>> groupby(lambda n: n % 2, [1, 2, 3])
    {1: [1, 3], 0: [2]}
    """
    import toolz  # type: ignore[import-untyped]  # (here: see the module's note)

    grouped: dict[K, list[T]] = toolz.groupby(key, items)
    return grouped


def unique(items: Iterable[T]) -> Iterator[T]:
    """Each item once, in the order first seen (``toolz.unique``).

    >>> list(unique("abracadabra"))
    ['a', 'b', 'r', 'c', 'd']
    """
    import toolz

    seen: Iterator[T] = toolz.unique(items)
    return seen


def concat(seqs: Iterable[Iterable[T]]) -> Iterator[T]:
    """The items of each sequence, one sequence after the other (``toolz.concat``).

    >>> list(concat([(1, 2), [3]]))
    [1, 2, 3]
    """
    import toolz

    chained: Iterator[T] = toolz.concat(seqs)
    return chained
