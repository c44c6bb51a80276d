"""Misses (and matches that change nothing) remembered by what they read: a check is a
pure function of the bindings and of the cells it reads, so a row that agrees on those
cells gets the same answer.

A constraint is evaluated on a :class:`TracingRow`, which records, in order, every
column the evaluation reads and the value it found (``None`` when absent). Evaluation
is deterministic, so the column read next depends only on the values read before: the
traces of one ``(constraint, bindings)`` form a decision tree (a *trie*). A *pure miss*
(a miss that asks for nothing and changes nothing) is stored at the end of its path, and
so is a *stable match* (a match that leaves the bindings equal and asks, at most, for the
row itself to be offered again); a
later row that walks the same path to that end gets the same answer, so it need not be
checked at all.

A trace that reads anything but cells (the row's position or pool, every column at
once) is *opaque* and never stored.

>>> from asnfp.row import make_row
>>> memo = Memo()
>>> key = ("rule", None)
>>> row = make_row(0, {"exp_type": "nrc_image", "filter": "f150w", "filename": "a"})
>>> traced = tracing(row)
>>> traced.get("exp_type"), traced.get("detector")
('nrc_image', None)
>>> memo.remember(key, traced)
>>> memo.misses(key, make_row(1, {"exp_type": "nrc_image", "filename": "b"}))
True
>>> memo.misses(key, make_row(2, {"exp_type": "nrc_image", "detector": "nrca1"}))
False
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any, Final, NamedTuple

from asnfp.row import PoolMeta, Row

__all__ = ("PURE_MISS", "STABLE_MATCH", "Memo", "StableMatch", "TracingRow", "tracing")

PURE_MISS: Final = "pure miss"


class StableMatch(NamedTuple):
    """A match that left the bindings equal and asked only to offer the row itself
    again: each request as ``(work_over, rules, only_on_match)``."""

    requests: tuple[tuple[Any, Any, bool], ...] = ()


STABLE_MATCH: Final = StableMatch()
_ABSENT: Final = object()


class _Reads(dict):  # type: ignore[type-arg]
    """A row's cells that note the first read of each column, and whether anything was
    read that a column-by-column trace cannot describe."""

    __slots__ = ("opaque", "seen", "trace")

    def __init__(self, cells: dict[str, str]) -> None:
        super().__init__(cells)
        self.trace: list[tuple[str, str | None]] = []
        self.seen: set[str] = set()
        self.opaque = False

    def _note(self, column: Any) -> None:
        if column not in self.seen:
            self.seen.add(column)
            self.trace.append((column, dict.get(self, column)))

    def get(self, column: Any, default: Any = None) -> Any:
        self._note(column)
        return dict.get(self, column, default)

    def __getitem__(self, column: Any) -> Any:
        self._note(column)
        return dict.__getitem__(self, column)

    def __contains__(self, column: object) -> bool:
        self._note(column)
        return dict.__contains__(self, column)

    def _everything(self) -> None:
        self.opaque = True

    def __iter__(self) -> Iterator[str]:
        self._everything()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._everything()
        return dict.__len__(self)

    def keys(self) -> Any:
        self._everything()
        return dict.keys(self)

    def items(self) -> Any:
        self._everything()
        return dict.items(self)

    def values(self) -> Any:
        self._everything()
        return dict.values(self)

    def copy(self) -> dict[str, str]:
        self._everything()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self._everything()
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


class TracingRow(Row):
    """A copy of a row whose reads are recorded (see the module's docstring). Reading
    its ``index`` or ``meta`` makes the trace opaque.

    >>> from asnfp.row import make_row
    >>> t = tracing(make_row(3, {"a": "x"}))
    >>> t["a"], t.reads.trace, t.reads.opaque, t.index, t.reads.opaque
    ('x', [('a', 'x')], False, 3, True)
    """

    __slots__ = ("_index", "_meta", "reads")

    def __init__(self, row: Row) -> None:
        reads = _Reads(row.cells)
        Row.cells.__set__(self, reads)  # type: ignore[attr-defined]
        Row._hash.__set__(self, None)  # type: ignore[attr-defined]
        self.reads = reads
        self._index = row.index
        self._meta = row.meta

    @property  # type: ignore[override]
    def index(self) -> int:
        self.reads.opaque = True
        return self._index

    @property  # type: ignore[override]
    def meta(self) -> PoolMeta:
        self.reads.opaque = True
        return self._meta

    def __hash__(self) -> int:
        self.reads.opaque = True
        return hash((self._index, tuple(dict.items(self.reads))))

    def __eq__(self, other: object) -> bool:
        self.reads.opaque = True
        return Row.__eq__(self, other)


def tracing(row: Row) -> TracingRow:
    """Return a copy of ``row`` that records what is read of it.

    >>> from asnfp.row import make_row
    >>> t = tracing(make_row(0, {"a": "x"}))
    >>> t.get("b"), "a" in t, t.reads.trace
    (None, True, [('b', None), ('a', 'x')])
    """
    return TracingRow(row)


class Memo:
    """The pure misses seen so far, one decision tree per key (``(constraint, bindings)``).

    A cache of a pure function: a run gives the same associations with or without it.
    One memo serves one driver call and is never shared between threads.

    >>> from asnfp.row import make_row
    >>> memo = Memo()
    >>> memo.misses("k", make_row(0, {})), memo.size
    (False, 0)
    """

    __slots__ = ("_tables", "_trees", "size")

    def __init__(self) -> None:
        self._trees: dict[Hashable, Any] = {}
        self._tables: dict[Hashable, dict[Any, Any]] = {}
        self.size = 0

    def table(self, key: Hashable) -> dict[Any, Any]:
        """A plain cache table of the caller's own, one per ``key``, kept as long as the
        memo (for answers that depend on known cells only).

        >>> memo = Memo()
        >>> memo.table("gates") is memo.table("gates"), memo.table("gates") is memo.table("other")
        (True, False)
        """
        found = self._tables.get(key)
        if found is None:
            found = self._tables[key] = {}
        return found

    def misses(self, key: Hashable, row: Row) -> bool:
        """Tell whether ``row`` walks a stored path of ``key`` to a pure miss."""
        return self.lookup(key, row) is PURE_MISS

    def lookup(self, key: Hashable, row: Row) -> str | StableMatch | None:
        """Return what is stored at the end of the path ``row`` walks (``PURE_MISS`` or
        a :class:`StableMatch`), or ``None`` when its path is not stored.

        >>> from asnfp.row import make_row
        >>> memo, traced = Memo(), tracing(make_row(0, {"a": "x"}))
        >>> _ = traced.get("a"); memo.remember("k", traced, STABLE_MATCH)
        >>> memo.lookup("k", make_row(1, {"a": "x"})), memo.lookup("k", make_row(1, {"a": "y"}))
        (StableMatch(requests=()), None)
        """
        node = self._trees.get(key, _ABSENT)
        cells = row.cells
        while type(node) is list:
            node = node[1].get(cells.get(node[0]), _ABSENT)
        return node if node is PURE_MISS or type(node) is StableMatch else None

    def remember(self, key: Hashable, traced: TracingRow, what: str | StableMatch = PURE_MISS) -> None:
        """Store the path that ``traced`` walked as ending in ``what``: ``PURE_MISS`` or
        a :class:`StableMatch`. Nothing is stored for an opaque trace."""
        reads = traced.reads
        if reads.opaque:
            return
        trees = self._trees
        path = reads.trace
        if not path:
            trees[key] = what
            self.size += 1
            return
        node = trees.get(key, _ABSENT)
        if node is _ABSENT:
            node = trees[key] = [path[0][0], {}]
        elif type(node) is not list or node[0] != path[0][0]:
            return  # not the tree a deterministic check would make: store nothing
        for i, (column, value) in enumerate(path):
            children = node[1]
            last = i == len(path) - 1
            nxt = children.get(value, _ABSENT)
            if last:
                if nxt is _ABSENT:
                    children[value] = what
                    self.size += 1
                return
            if nxt is _ABSENT:
                nxt = children[value] = [path[i + 1][0], {}]
            elif type(nxt) is not list or nxt[0] != path[i + 1][0]:
                return
            node = nxt
