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
from asnfp.row import PoolMeta, Row

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


def read_pool(path: str | os.PathLike[str], *, fmt: str = "ascii", delimiter: str = "|") -> Pool:
    """Read a pool file (any format astropy reads; default: ascii with ``|``).

    Fails with a one-line :class:`~asnfp.errors.PoolError` naming the file.

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


def pool_from_rows(rows: Iterable[dict[str, str]], name: str = "in-memory") -> Pool:
    """Build a pool in memory, lower-casing names and values as reading does.

    >>> pool_from_rows([{"Filename": "A_uncal.fits"}]).rows[0]["filename"]
    'a_uncal.fits'
    """
    meta = PoolMeta(name)
    dicts = [{str(k).lower(): str(v).lower() for k, v in r.items()} for r in rows]
    columns = tuple(dict.fromkeys(k for d in dicts for k in d))
    return Pool(columns, tuple(Row(i, d, meta) for i, d in enumerate(dicts)), meta)


def orphan_table(pool: Pool, taken: set[int]) -> str:
    """Return the orphan table: the pool's comments, header and the rows not in
    ``taken``, in the pool's table format (astropy ascii, ``|``).

    >>> print(orphan_table(pool_from_rows([{"a": "x"}, {"a": "y"}]), {0}), end="")
    a
    y
    """
    from astropy.table import Table

    rows = [r for r in pool.rows if r.index not in taken]
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


_ = Path
