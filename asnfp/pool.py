"""Pools: read any table astropy reads into lower-cased :class:`~asnfp.row.Row` values,
and write the orphan table in the same format.

Reading follows the reference: every value is a string, lower-cased; column names are
lower-cased; empty cells become ``null`` (truncated to the column's width, as the
reference's fill is); comment lines are kept for the orphan table.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "pool.csv"
>>> _ = p.write_text("# a comment\\nFILENAME|Exp_Type|bkgdtarg\\njw_1_uncal.fits|NRC_IMAGE|\\n")
>>> pool = read_pool(p)
>>> pool.columns, dict(pool.rows[0]), pool.meta.comments
(('filename', 'exp_type', 'bkgdtarg'), {'filename': 'jw_1_uncal.fits', 'exp_type': 'nrc_image', 'bkgdtarg': 'n'}, ('a comment',))
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

from asnfp.errors import PoolError
from asnfp.row import PoolMeta, Row, RowLike, as_row

__all__ = ("Pool", "read_pool", "orphan_table", "pool_from_rows")


class Pool(msgspec.Struct, frozen=True):
    """A pool: its column names (in order), its rows, and where it came from."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    meta: PoolMeta


def _lower_strings(values: Sequence[str]) -> list[str]:
    return [str(v).lower() for v in values]


def _converters() -> dict[str, list[tuple[object, object]]]:
    from astropy.io.ascii import convert_numpy

    func, kind = convert_numpy(str)

    def lowered(values: Sequence[str]) -> object:
        return func(_lower_strings(values))

    return {"*": [(lowered, kind)]}


def _read_table(path: str, fmt: str, delimiter: str) -> object:
    from astropy.io.ascii.core import InconsistentTableError
    from astropy.io.registry import IORegistryError
    from astropy.table import Table

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Table.read(path, format=fmt, delimiter=delimiter, converters=_converters())
    except FileNotFoundError:
        raise PoolError(path, "no such file") from None
    except IsADirectoryError:
        raise PoolError(path, "is a folder, not a pool file") from None
    except PermissionError:
        raise PoolError(path, "cannot be read (permission denied)") from None
    except UnicodeDecodeError as err:
        raise PoolError(path, f"is not a text table (undecodable byte at offset {err.start})") from None
    except IORegistryError:
        raise PoolError(path, f"no reader for the pool format {fmt!r}") from None
    except (InconsistentTableError, IndexError):
        raise _explain(path, fmt, delimiter) from None
    except (ValueError, TypeError, OSError) as err:
        raise PoolError(path, f"cannot be read as a {fmt!r} table: {_first_line(err)}") from None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _explain(path: str, fmt: str, delimiter: str) -> PoolError:
    """Say why a guessed read failed: re-read without guessing (error path only) to find
    the first row whose field count differs from the header's, or the missing header."""
    from astropy.io.ascii.core import InconsistentTableError
    from astropy.table import Table

    general = PoolError(path, f"cannot be read as a {fmt!r} table with delimiter {delimiter!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = Table.read(path, format=fmt, delimiter=delimiter, guess=False)
    except InconsistentTableError as err:
        found = re.search(r"header columns \((\d+)\).* data line (\d+)", str(err))
        if found is None:
            return general
        return PoolError(path, f"has a different number of fields from the header "
                               f"({found[1]}, split on {delimiter!r})", row=int(found[2]) + 1)
    except (ValueError, TypeError, OSError, IndexError):
        return general
    if not table.colnames:
        return PoolError(path, "has no header line (only blank or comment lines)")
    return general


_SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RULE_LINE = re.compile(r"[-=+ |]+")


def _simple_table(text: str, delimiter: str) -> tuple[list[str], list[list[str]], list[str]] | None:
    """Split a plain delimited table the way astropy's guessing reads it, or ``None``
    when the text is anything but plain (quotes, tabs, non-ASCII, odd headers, ragged
    rows, rule lines): those go to astropy itself."""
    if not text.isascii() or any(c in text for c in "\"\t\r") or len(delimiter) != 1:
        return None
    comments: list[str] = []
    lines: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            comments.append(stripped[1:].strip())
        else:
            lines.append(line)
    if not lines:
        return None
    header = [h.strip() for h in lines[0].split(delimiter)]
    if len(header) < 2 or not all(_SIMPLE_NAME.fullmatch(h) for h in header):
        return None
    # strip every cell of a line where some cell may have white space at an end
    odd = any(c in text for c in "\x0b\x0c\x1c\x1d\x1e\x1f")
    padded = (" " + delimiter, delimiter + " ")
    rows = [[c.strip() for c in line.split(delimiter)]
            if odd or line[:1].isspace() or line[-1:].isspace() or padded[0] in line or padded[1] in line
            else line.split(delimiter) for line in lines[1:]]
    if any(len(r) != len(header) or _RULE_LINE.fullmatch(line.strip())
           for r, line in zip(rows, lines[1:])):
        return None
    return header, rows, comments


def _filled(columns: list[list[str]]) -> list[list[str]]:
    """Lower-case every value; an empty cell becomes ``null`` cut to the column's width
    (the widest value in it, 1 when all are empty), as astropy's fill does."""
    out = []
    shared: dict[str, str] = {}  # one string object per distinct value: pools repeat values
    for values in columns:
        distinct = set(values)
        fill = "null"[:max(map(len, distinct), default=0) or 1] if "" in distinct else ""
        read = {v: shared.setdefault(low, low) for v in distinct for low in (v.lower() if v else fill,)}
        out.append(list(map(read.__getitem__, values)))
    return out


def _read_fast(path: str, delimiter: str) -> Pool | None:
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    table = _simple_table(text, delimiter)
    if table is None:
        return None
    header, rows, comments = table
    columns = [h.lower() for h in header]
    if len(set(columns)) != len(columns):
        return None
    data = _filled([list(column) for column in zip(*rows)] if rows else [[] for _ in columns])
    meta = PoolMeta(path, tuple(comments))
    cells = zip(*data) if rows else ()
    return Pool(tuple(columns), tuple(Row(i, dict(zip(columns, c)), meta) for i, c in enumerate(cells)), meta)


def read_pool(path: str | os.PathLike[str], *, fmt: str = "ascii", delimiter: str = "|",
              fast: bool = True) -> Pool:
    """Read a pool file (any format astropy reads; default: ascii with ``|``).

    Plain ``|`` tables are split directly (what astropy's guessing makes of them, without
    its import cost; ``fast=False`` always asks astropy); anything else goes through
    astropy. Fails with a one-line
    :class:`~asnfp.errors.PoolError` naming the file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "pool.csv"
    >>> _ = p.write_text("Filename,EXP_TYPE\\nA_uncal.fits,NRC_IMAGE\\n")
    >>> pool = read_pool(p, delimiter=",")
    >>> pool.columns, [dict(r) for r in pool.rows], pool.meta.name
    (('filename', 'exp_type'), [{'filename': 'a_uncal.fits', 'exp_type': 'nrc_image'}], 'pool.csv')
    >>> read_pool("no/such/pool.csv")
    Traceback (most recent call last):
      ...
    asnfp.errors.PoolError: no/such/pool.csv: no such file
    """
    name = os.fspath(path)
    if os.path.isfile(name) and os.path.getsize(name) == 0:
        raise PoolError(name, "is empty")
    direct = _read_fast(name, delimiter) if fast and fmt == "ascii" and os.path.isfile(name) else None
    if direct is not None:
        return direct
    table = _read_table(name, fmt, delimiter)
    table = table.filled("null")  # type: ignore[attr-defined]
    columns = tuple(str(c).lower() for c in table.colnames)  # type: ignore[attr-defined]
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise PoolError(name, "two columns have the same name", column=column)
        seen.add(column)
    comments = tuple(str(c) for c in table.meta.get("comments", ()))  # type: ignore[attr-defined]
    meta = PoolMeta(name, comments)
    data = [[str(v) for v in table[c]] for c in table.colnames]  # type: ignore[index]
    rows = tuple(Row(i, dict(zip(columns, cells)), meta) for i, cells in enumerate(zip(*data)))
    return Pool(columns, rows, meta)


def pool_from_rows(rows: Iterable[RowLike], name: str = "in-memory") -> Pool:
    """Build a pool in memory, lower-casing names and values as reading does.

    >>> pool_from_rows([{"Filename": "A_uncal.fits"}]).rows[0]["filename"]
    'a_uncal.fits'
    """
    meta = PoolMeta(name)
    made = tuple(as_row(r.cells if isinstance(r, Row) else r, i, meta) for i, r in enumerate(rows))
    columns = tuple(dict.fromkeys(k for r in made for k in r.cells))
    return Pool(columns, made, meta)


def _plain(value: str) -> bool:
    return bool(value) and value == value.strip() and not any(c in value for c in "|\"\n\r\t")


def orphan_table(pool: Pool, taken: set[int], *, fast: bool = True) -> str:
    """Return the orphan table: the pool's comments, header and the rows not in
    ``taken``, in the pool's table format (astropy ascii, ``|``). Plain values are
    joined directly; anything that would need quoting goes through astropy's writer
    (``fast=False``: always).

    >>> print(orphan_table(pool_from_rows([{"a": "x"}, {"a": "y"}]), {0}), end="")
    a
    y
    """
    rows = [r for r in pool.rows if r.index not in taken]
    lines = [[r.cells.get(c, "") for c in pool.columns] for r in rows]
    if fast and all(_plain(v) for v in (*pool.columns, *(v for line in lines for v in line))):
        text = [f"# {c}" for c in pool.meta.comments]
        text += ["|".join(pool.columns), *("|".join(line) for line in lines)]
        return "".join(t + "\n" for t in text)
    return _astropy_table(pool, rows)


def _astropy_table(pool: Pool, rows: list[Row]) -> str:
    from astropy.table import Table

    table = Table(
        names=list(pool.columns),
        dtype=[str] * len(pool.columns),
        rows=[[r.cells.get(c, "") for c in pool.columns] for r in rows] or None,
    )
    if pool.meta.comments:
        table.meta["comments"] = list(pool.meta.comments)
    out = io.StringIO()
    table.write(out, format="ascii", delimiter="|")
    return out.getvalue()


