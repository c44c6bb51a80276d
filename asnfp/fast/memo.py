"""Misses (and matches that change nothing) remembered by what they read: a check is a
pure function of the bindings and of the cells it reads, so a row that agrees on those
cells gets the same answer.

A constraint is evaluated on a :class:`TracingRow`, which records, in order, every
column the evaluation reads and the value it found (``None`` when absent). Evaluation
is deterministic: a row that has the same values in every column a check read is
checked the same way, read by read, to the same end. So the memo keeps, per key and per
*read set* (the columns one check read), the answers by the values read. A *pure miss*
(a miss that asks for nothing and changes nothing) is kept as such, and any other
outcome as an :class:`Answer` when the only row it asks to offer again is the row itself
(the bindings it leaves hold only values read); a later row that agrees on a kept read
set gets that answer without a check.

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

from collections.abc import Callable, Hashable, Iterator
from typing import Any, Final, NamedTuple, TypeVar

from asnfp.constraints import Category, Outcome, Request, _new
from asnfp.row import PoolMeta, Row

_T = TypeVar("_T")

__all__ = ("PURE_MISS", "Answer", "HashedOnce", "Memo", "TracingRow", "answer", "tracing")

PURE_MISS: Final = "pure miss"


class Answer(NamedTuple):
    """What a check gave, apart from the row: its outcome without requests, and the
    requests it made, each ``(work_over, rules, only_on_match)`` for the row itself."""

    outcome: Outcome
    requests: tuple[tuple[Category, tuple[str, ...] | None, bool], ...] = ()

    def for_row(self, row: Row) -> Outcome:
        """The outcome the check gives ``row``.

        >>> from asnfp.constraints import Category, Match, NO_BINDINGS
        >>> from asnfp.row import make_row
        >>> Answer(Match(NO_BINDINGS), ((Category.EXISTING, None, False),)).for_row(make_row(4, {})).reprocess[0].rows
        (Row(4, {}),)
        """
        outcome = self.outcome
        if not self.requests:
            return outcome
        requests = tuple([_new(Request, ((row,), *asked)) for asked in self.requests])
        return _new(type(outcome), (*outcome[:-1], requests))  # (reprocess: the last field)


def answer(outcome: Outcome, traced: TracingRow) -> Answer | None:
    """The answer to keep for ``outcome``, checked on ``traced``: ``None`` when it asks
    for other rows than the row itself (rows it made from it), which are not kept.

    >>> from asnfp.constraints import Match, NO_BINDINGS
    >>> from asnfp.row import make_row
    >>> answer(Match(NO_BINDINGS), tracing(make_row(0, {})))
    Answer(outcome=Match(bindings=Bindings(), reprocess=()), requests=())
    """
    requests = []
    for request in outcome.reprocess:
        if request.rows != (traced,):
            return None
        requests.append((request.work_over, request.rules, request.only_on_match))
    return Answer(outcome._replace(reprocess=()) if requests else outcome, tuple(requests))
_ABSENT: Final = object()


class _Reads:
    """A row's cells that note the first read of each column (``trace``: column ->
    value found, ``None`` when absent, in the order of the first reads), and whether
    anything was read that a column-by-column trace cannot describe. It reads the row's
    own dict (never copied) and offers what code reads of a dict."""

    __slots__ = ("_cells", "opaque", "trace")

    def __init__(self, cells: dict[str, str]) -> None:
        self._cells = cells
        self.trace: dict[Any, str | None] = {}
        self.opaque = False

    def get(self, column: Any, default: Any = None) -> Any:
        value = self._cells.get(column)
        trace = self.trace
        if column not in trace:
            trace[column] = value
        return default if value is None else value

    def __getitem__(self, column: Any) -> Any:
        value = self.get(column)
        if value is None:
            raise KeyError(column)
        return value

    def __contains__(self, column: object) -> bool:
        return self.get(column) is not None

    def _everything(self) -> dict[str, str]:
        self.opaque = True
        return self._cells

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())

    def keys(self) -> Any:
        return self._everything().keys()

    def items(self) -> Any:
        return self._everything().items()

    def values(self) -> Any:
        return self._everything().values()

    def copy(self) -> dict[str, str]:
        return dict(self._everything())

    def __eq__(self, other: object) -> bool:
        return self._everything() == (other._everything() if isinstance(other, _Reads) else other)

    __hash__ = None  # type: ignore[assignment]


# Row's slots, which a tracing row fills as Row.__init__ would (its cells are a _Reads).
_CELLS: Any = Row.__dict__["cells"]
_HASH: Any = Row.__dict__["_hash"]


class TracingRow(Row):
    """A copy of a row whose reads are recorded (see the module's docstring). Reading
    its ``index`` or ``meta`` makes the trace opaque.

    >>> from asnfp.row import make_row
    >>> t = tracing(make_row(3, {"a": "x"}))
    >>> t["a"], t.reads.trace, t.reads.opaque, t.index, t.reads.opaque
    ('x', {'a': 'x'}, False, 3, True)
    """

    __slots__ = ("_index", "_meta", "reads")

    def __init__(self, row: Row) -> None:
        reads = _Reads(row.cells)
        _CELLS.__set__(self, reads)
        _HASH.__set__(self, None)
        self.reads = reads
        self._index = row.index
        self._meta = row.meta

    @property
    def index(self) -> int:  # type: ignore[override]
        self.reads.opaque = True
        return self._index

    @property
    def meta(self) -> PoolMeta:  # type: ignore[override]
        self.reads.opaque = True
        return self._meta

    def __hash__(self) -> int:
        self.reads.opaque = True
        return hash((self._index, tuple(self.reads.items())))

    def __eq__(self, other: object) -> bool:
        self.reads.opaque = True
        return Row.__eq__(self, other)


def tracing(row: Row) -> TracingRow:
    """Return a copy of ``row`` that records what is read of it.

    >>> from asnfp.row import make_row
    >>> t = tracing(make_row(0, {"a": "x"}))
    >>> t.get("b"), "a" in t, t.reads.trace
    (None, True, {'b': None, 'a': 'x'})
    """
    return TracingRow(row)


class HashedOnce:
    """A key whose hash is computed once: for a large value used as a key again and again.

    >>> HashedOnce((1, 2)) == HashedOnce((1, 2)), hash(HashedOnce((1, 2))) == hash((1, 2))
    (True, True)
    """

    __slots__ = ("_hash", "value")

    def __init__(self, value: Hashable) -> None:
        self.value: Any = value
        self._hash = hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HashedOnce) and (self.value is other.value or (
            self._hash == other._hash and self.value == other.value))


class Memo:
    """The answers seen so far, for each key (``(constraint, bindings)``): for each list
    of columns a check read (its *read set*), the answers by the values it read there.

    A cache of a pure function: a run gives the same associations with or without it.
    One memo serves one driver call and is never shared between threads.

    >>> from asnfp.row import make_row
    >>> memo = Memo()
    >>> memo.misses("k", make_row(0, {})), memo.size
    (False, 0)
    """

    __slots__ = ("_reads", "_spaces", "_tables", "size")

    def __init__(self) -> None:
        self._reads: dict[Hashable, list[tuple[tuple[str, ...], dict[tuple[Any, ...], Any]]]] = {}
        self._tables: dict[Hashable, dict[Any, Any]] = {}
        self._spaces: dict[Hashable, Memo] = {}
        self.size = 0

    def space(self, key: Hashable) -> Memo:
        """The memo of the keys ``(key, k)``, one per ``key``, kept as long as this one:
        a caller that looks up many keys with one first part finds their memo once.

        >>> from asnfp.row import make_row
        >>> memo = Memo()
        >>> memo.space("rule").remember("b", tracing(make_row(0, {})))
        >>> memo.space("rule").misses("b", make_row(1, {})), memo.space("other").misses("b", make_row(1, {}))
        (True, False)
        """
        found = self._spaces.get(key)
        if found is None:
            found = self._spaces[key] = Memo()
        return found

    def by_cells(self, key: Hashable, columns: tuple[str, ...], row: Row, compute: Callable[[], _T]) -> _T:
        """An answer that depends on the cells of ``columns`` alone: the one kept for
        ``row``'s cells there in the table of ``key``, or ``compute()``, kept.

        >>> from asnfp.row import make_row
        >>> memo = Memo()
        >>> (memo.by_cells("k", ("a",), make_row(0, {"a": "x"}), lambda: 1),
        ...  memo.by_cells("k", ("a",), make_row(1, {"a": "x"}), lambda: 2))
        (1, 1)
        """
        projection = tuple(map(row.cells.get, columns))
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = {}
        found = table.get(projection)
        if found is None:
            found = table[projection] = compute()
        return found

    def misses(self, key: Hashable, row: Row) -> bool:
        """Tell whether ``row`` agrees with a stored pure miss of ``key`` on its read set."""
        return self.lookup(key, row) is PURE_MISS

    def lookup(self, key: Hashable, row: Row) -> str | Answer | None:
        """Return the answer stored for a check of ``key`` whose read set ``row`` agrees
        with (``PURE_MISS`` or an :class:`Answer`), or ``None``. A row that agrees with
        a check on every cell it read is checked the same way, read by read.

        >>> from asnfp.constraints import Match, NO_BINDINGS
        >>> from asnfp.row import make_row
        >>> memo, traced = Memo(), tracing(make_row(0, {"a": "x"}))
        >>> _ = traced.get("a"); memo.remember("k", traced, Answer(Match(NO_BINDINGS)))
        >>> memo.lookup("k", make_row(1, {"a": "x"})).outcome.matched, memo.lookup("k", make_row(1, {"a": "y"}))
        (True, None)
        """
        entries = self._reads.get(key)
        if entries is None:
            return None
        get = row.cells.get
        for columns, answers in entries:
            found = answers.get(tuple(map(get, columns)))
            if found is not None:
                return found  # type: ignore[no-any-return]
        return None

    def remember(self, key: Hashable, traced: TracingRow, what: str | Answer = PURE_MISS) -> None:
        """Store ``what`` (``PURE_MISS`` or an :class:`Answer`) as the answer for the
        values ``traced`` read. Nothing is stored for an opaque trace."""
        reads = traced.reads
        if reads.opaque:
            return
        columns = tuple(reads.trace)
        values = tuple(reads.trace.values())
        entries = self._reads.setdefault(key, [])
        for known, answers in entries:  # noqa: B007  (answers: used after the loop, found by break)
            if known == columns:
                break
        else:
            answers = {}
            entries.append((columns, answers))
        if values not in answers:
            answers[values] = what
            self.size += 1
