"""Rows of a pool: immutable mappings of lower-cased column names to lower-cased strings.

A row keeps its position in the pool (``index``) so that the orphan table can tell
which exposures no association took, and the pool's metadata (file name, comments)
so that associations can name their pool.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, Union

__all__ = ("Row", "PoolMeta", "IN_MEMORY", "make_row", "with_cell", "as_row", "cell_text", "RowLike")


class PoolMeta:
    """What a row knows of the pool it came from: the file name and the comments.

    >>> PoolMeta("pool.csv").name
    'pool.csv'
    """

    __slots__ = ("file", "comments")

    def __init__(self, file: str, comments: tuple[str, ...] = ()) -> None:
        self.file = file
        self.comments = comments

    @property
    def name(self) -> str:
        """The pool file's base name, as ``asn_pool`` shows it.

        >>> PoolMeta("/data/pools/jw01234_pool.csv").name
        'jw01234_pool.csv'
        """
        return self.file.replace("\\", "/").rsplit("/", 1)[-1]

    def __repr__(self) -> str:
        return f"PoolMeta({self.file!r})"


IN_MEMORY: Final = PoolMeta("in-memory")


class Row(Mapping[str, str]):
    """One exposure of a pool: ``column -> value``, both lower-cased, immutable.

    ``index`` is the row's position in the pool it was read from (re-written copies keep
    it), ``meta`` the pool it came from.

    >>> r = make_row(3, {"exp_type": "nrc_image"})
    >>> r["exp_type"], r.index, dict(r)
    ('nrc_image', 3, {'exp_type': 'nrc_image'})
    """

    __slots__ = ("cells", "index", "meta", "_hash")

    def __init__(self, index: int, cells: dict[str, str], meta: PoolMeta = IN_MEMORY) -> None:
        self.cells = cells
        self.index = index
        self.meta = meta
        self._hash: int | None = None

    def __getitem__(self, column: str) -> str:
        return self.cells[column]

    def get(self, column: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """Return the cell of ``column``, or ``default`` when the column is absent.

        >>> make_row(0, {"a": "x"}).get("b") is None
        True
        """
        return self.cells.get(column, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def __contains__(self, column: object) -> bool:
        return column in self.cells

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return self.index == other.index and self.cells == other.cells
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.index, tuple(self.cells.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"Row({self.index}, {self.cells!r})"


def make_row(index: int, cells: Mapping[str, str], meta: PoolMeta = IN_MEMORY) -> Row:
    """Build a row from a mapping; the mapping is copied, never shared.

    >>> make_row(0, {"filename": "a_uncal.fits"})["filename"]
    'a_uncal.fits'
    """
    return Row(index, dict(cells), meta)


def with_cell(row: Row, column: str, value: str) -> Row:
    """Return a copy of ``row`` with one cell replaced; ``row`` is left as it was.

    >>> r = make_row(1, {"a": "x"})
    >>> with_cell(r, "a", "y")["a"], r["a"], with_cell(r, "a", "y").index
    ('y', 'x', 1)
    """
    return Row(row.index, {**row.cells, column: value}, row.meta)


def cell_text(value: object) -> str:
    """Return a cell as a pool holds it: lower-cased text, ``null`` for ``None``.

    >>> cell_text("NRC_IMAGE"), cell_text(None), cell_text(3)
    ('nrc_image', 'null', '3')
    """
    return "null" if value is None else str(value).lower()


RowLike = Union[Row, Mapping[str, object]]  # noqa: UP007  (a run-time alias, a typing.Union object as written: hot module, left as is)


def as_row(row: RowLike, index: int = 0, meta: PoolMeta = IN_MEMORY) -> Row:
    """Return ``row`` as a :class:`Row`: a row as it is, any other mapping with its
    column names and cells lower-cased as reading a pool does (``None`` becomes ``null``).

    >>> as_row({"EXP_TYPE": "NRC_IMAGE", "pupil": None})
    Row(0, {'exp_type': 'nrc_image', 'pupil': 'null'})
    >>> r = make_row(4, {"a": "x"})
    >>> as_row(r) is r
    True
    """
    if isinstance(row, Row):
        return row
    return Row(index, {str(k).lower(): cell_text(v) for k, v in row.items()}, meta)
