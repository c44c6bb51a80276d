"""Pools: read any table astropy reads into lower-cased :class:`~asnfp.row.Row` values,
and write the orphan table in the same format.

Reading follows the reference: every value is a string, lower-cased; column names are
lower-cased; empty cells become ``null`` (truncated to the column's width, as the
reference's fill is); comment lines are kept for the orphan table.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "pool.csv"
>>> _ = p.write_text("# a comment\\nFILENAME|Exp_Type|bkgdtarg\\njw_1_uncal.fits|NRC_IMAGE|\\n")
>>> pool = read_pool(p)
>>> pool.columns, pool.meta.comments
(('filename', 'exp_type', 'bkgdtarg'), ('a comment',))
>>> dict(pool.rows[0])
{'filename': 'jw_1_uncal.fits', 'exp_type': 'nrc_image', 'bkgdtarg': 'n'}
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import msgspec

from asnfp.errors import PoolError, first_line
from asnfp.plumbing import concat, unique
from asnfp.reading import (
    POOL_BYTES,
    BoundExceeded,
    bound_bytes,
    check_regular,
    decompressed,
    read_bounded,
)
from asnfp.row import PoolMeta, Row, RowLike, as_row

__all__ = ("Pool", "read_pool", "parse_pool", "orphan_table", "pool_from_rows", "require_columns")


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


def _is_text_format(fmt: str) -> bool:
    """Formats that astropy's ASCII readers read: asnfp reads the bytes (bounded) and
    hands astropy the text."""
    return fmt == "ascii" or fmt.startswith("ascii.")


def _is_delimited(fmt: str) -> bool:
    """Text formats that take ``delimiter`` and string ``converters``; ECSV names its own
    delimiter and column types."""
    return _is_text_format(fmt) and fmt != "ascii.ecsv"


def _table_errors(path: str, fmt: str, read: Callable[[], Any],
                  inconsistent: Callable[[], PoolError] | None = None) -> Any:
    """``read()`` (an astropy ``Table.read``), its errors made one-line :class:`PoolError`;
    ``inconsistent()`` explains a table astropy found inconsistent."""
    from astropy.io.ascii.core import InconsistentTableError
    from astropy.io.ascii.cparser import CParserError
    from astropy.io.registry import IORegistryError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read()
    except (FileNotFoundError, IsADirectoryError, PermissionError) as err:
        raise _os_error(path, err) from None
    except UnicodeDecodeError as err:
        raise PoolError(path, f"is not a text table (undecodable byte at offset {err.start})") from None
    except IORegistryError:
        raise PoolError(path, f"no reader for the pool format {fmt!r}") from None
    except ImportError as err:  # astropy's reader of this format needs an optional package
        raise PoolError(path, f"cannot be read as {fmt!r}: a Python package its reader needs is not "
                              f"installed ({first_line(err)})") from None
    except (InconsistentTableError, IndexError) as err:
        if inconsistent is None:
            raise PoolError(path, f"cannot be read as a {fmt!r} table: {first_line(err)}") from None
        raise inconsistent() from None
    except (ValueError, TypeError, KeyError, OSError, RecursionError, RuntimeError, CParserError) as err:
        raise PoolError(path, f"cannot be read as a {fmt!r} table: {first_line(err)}") from None


def _os_error(path: str, err: OSError) -> PoolError:
    if isinstance(err, (FileNotFoundError, NotADirectoryError)):
        return PoolError(path, "no such file")
    if isinstance(err, IsADirectoryError):
        return PoolError(path, "is a folder, not a pool file")
    if isinstance(err, PermissionError):
        return PoolError(path, "cannot be read (permission denied)")
    return PoolError(path, f"cannot be read ({err.strerror or first_line(err)})")


def _pool_text(path: str) -> str:
    """The pool file's text: a regular file within :data:`~asnfp.reading.POOL_BYTES`,
    decompressed (within the same bound) if it is gzip, bzip2 or xz, decoded as UTF-8, a
    leading byte-order mark dropped."""
    try:
        data = read_bounded(path, POOL_BYTES, what="pool file", error=PoolError)
    except OSError as err:
        raise _os_error(path, err) from None
    return _text_of(path, data)


def _text_of(path: str, data: bytes) -> str:
    """A pool's bytes as text, as :func:`_pool_text` makes them (``path`` names it in errors)."""
    if not data:
        raise PoolError(path, "is empty")
    try:
        data = decompressed(data, bound_bytes(POOL_BYTES)) or data
    except BoundExceeded as err:
        raise PoolError(path, f"{err} (set {POOL_BYTES.variable} to change it)") from None
    except ValueError as err:
        raise PoolError(path, str(err)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PoolError(path, f"is not a text table (undecodable byte at offset {err.start})") from None
    return text.removeprefix("\ufeff")


def _pure_python(fmt: str) -> str:
    """The pure-Python reader of a text format: ``ascii.fast_csv`` is read as ``ascii.csv``
    (the same tables; astropy's C readers take no string converters).

    >>> _pure_python("ascii.fast_commented_header"), _pure_python("ascii.csv")
    ('ascii.commented_header', 'ascii.csv')
    """
    return "ascii." + fmt.removeprefix("ascii.fast_") if fmt.startswith("ascii.fast_") else fmt


def _read_text_table(path: str, text: str, fmt: str, delimiter: str) -> Any:
    """astropy's reading of the text, given as a file of UTF-8 bytes (as astropy reads a
    file; never as a string, which it could take for a file name or a URL)."""
    from astropy.table import Table

    source = text.encode("utf-8")
    reader = _pure_python(fmt)
    if not _is_delimited(reader):
        return _table_errors(path, fmt, lambda: Table.read(io.BytesIO(source), format=reader, encoding="utf-8"))
    return _table_errors(
        path, fmt,
        lambda: Table.read(io.BytesIO(source), format=reader, encoding="utf-8", delimiter=delimiter,
                           converters=_converters()),
        lambda: _explain(path, text, reader, delimiter, fmt))


def _explain(path: str, text: str, fmt: str, delimiter: str, named: str) -> PoolError:
    """Say why a guessed read failed: re-read without guessing (error path only) to find
    the first row whose field count differs from the header's, or the missing header
    (``named``: the format as the user named it)."""
    from astropy.io.ascii.core import InconsistentTableError
    from astropy.table import Table

    general = PoolError(path, f"cannot be read as a {named!r} table with delimiter {delimiter!r}")
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = Table.read(lines if "\n" in lines else lines + "\n", format=fmt, delimiter=delimiter,
                               guess=False)
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
           for r, line in zip(rows, lines[1:], strict=True)):
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


def _duplicated(path: str, names: Sequence[str]) -> PoolError | None:
    """Two columns whose names are equal once lower-cased, named (the first such pair),
    or ``None``. ``names`` are the names as the file spells them."""
    first: dict[str, int] = {}
    for j, name in enumerate(names):
        i = first.setdefault(name.lower(), j)
        if i != j:
            return PoolError(path, f"two columns have the same name (columns {i + 1} and {j + 1}: "
                                   f"{names[i]!r} and {name!r})", column=name.lower())
    return None


_RENAMED = re.compile(r"(.+)_\d+")


def _as_written(names: Sequence[str], text: str) -> list[str]:
    """The column names as the file spells them: astropy renames the second of two equal
    names ``x`` to ``x_1`` (``x_2``...); such a name that the text never holds is ``x``."""
    out = []
    for j, name in enumerate(names):
        renamed = _RENAMED.fullmatch(name)
        out.append(renamed[1] if renamed and renamed[1] in names[:j] and name not in text else name)
    return out


def _first_data_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line
    return None


def _unnamed(path: str, names: Sequence[str], text: str, delimiter: str) -> PoolError | None:
    """When astropy found no header (it named the columns ``col1``, ``col2``...) because
    a name in the first line is blank: that column, named; else ``None``."""
    if not names or list(names) != [f"col{i}" for i in range(1, len(names) + 1)]:
        return None
    header = _first_data_line(text)
    if header is None or "col1" in header or len(delimiter) != 1 or delimiter.isspace():
        return None
    fields = [f.strip() for f in header.split(delimiter)]
    blank = next((i for i, f in enumerate(fields) if not f), None) if len(fields) > 1 else None
    return None if blank is None else PoolError(path, f"column {blank + 1} has no name")


def _checked_names(path: str, names: Sequence[str], text: str | None, delimiter: str) -> tuple[str, ...]:
    """The lower-cased column names, after refusing a blank name and two equal names
    (also those that astropy renamed, found from the text)."""
    problem = _unnamed(path, names, text, delimiter) if text is not None else None
    problem = problem or _duplicated(path, _as_written(names, text) if text is not None else names)
    if problem is not None:
        raise problem
    return tuple(str(n).lower() for n in names)


def _read_fast(path: str, text: str, delimiter: str) -> Pool | None:
    table = _simple_table(text, delimiter)
    if table is None:
        return None
    header, rows, comments = table
    columns = _checked_names(path, header, None, delimiter)
    data = _filled([list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in columns])
    meta = PoolMeta(path, tuple(comments))
    cells = zip(*data, strict=True) if rows else ()
    # (per row, unchecked: every row has a cell per column, checked above; strict= would cost here)
    return Pool(columns, tuple(Row(i, dict(zip(columns, c)), meta) for i, c in enumerate(cells)), meta)  # noqa: B905


def _cell(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _strings(column: Any) -> list[str]:
    """A typed column's values, each ``str(value)`` (bytes decoded); masked ones ``""``."""
    import numpy

    mask = numpy.ma.getmaskarray(column)
    hidden: list[bool] = numpy.asarray(mask.any(axis=tuple(range(1, mask.ndim)))).tolist()  # any cell of a row
    return ["" if h else _cell(v) for v, h in zip(numpy.asarray(column), hidden, strict=True)]


def _pool_of(path: str, table: Any, text: str | None, delimiter: str, typed: bool) -> Pool:
    columns = _checked_names(path, [str(c) for c in table.colnames], text, delimiter)
    meta = PoolMeta(path, tuple(str(c) for c in table.meta.get("comments", ())))
    if typed:
        data = _filled([_strings(table[c]) for c in table.colnames])
    else:
        table = table.filled("null")
        data = [[str(v) for v in table[c]] for c in table.colnames]
    rows = tuple(Row(i, dict(zip(columns, cells)), meta)  # noqa: B905  (per row: a cell per column; as above)
                 for i, cells in enumerate(zip(*data, strict=True)))
    return Pool(columns, rows, meta)


def read_pool(path: str | os.PathLike[str], *, fmt: str = "ascii", delimiter: str = "|",
              fast: bool = True) -> Pool:
    """Read a pool file (any format astropy reads; default: ascii with ``|``).

    The file must be a regular file within :data:`~asnfp.reading.POOL_BYTES`. Text
    formats (``ascii``, ``ascii.*``) are read here, as UTF-8 (a byte-order mark
    dropped); plain ``|`` tables are split directly (what astropy's guessing makes of
    them, without its import cost; ``fast=False`` always asks astropy), anything else
    goes to astropy as text. Other formats (``fits``, ``votable``, ``hdf5``...) are read
    by astropy from the path, with no ``delimiter``; every value becomes ``str(value)``
    lower-cased, a masked or empty one the ``null`` fill the text formats give. Two
    columns of one name (in any case) or a blank name are refused. Fails with a one-line
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
    >>> _ = p.write_text("filename|program|Program\\na|1|2\\n")
    >>> read_pool(p)  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    asnfp.errors.PoolError: ...pool.csv, column 'program': two columns have the same name
        (columns 2 and 3: 'program' and 'Program')
    """
    name = os.fspath(path)
    if not _is_text_format(fmt):
        return _pool_of(name, _read_file_table(name, fmt), None, delimiter, typed=True)
    return _pool_of_text(name, _pool_text(name), fmt, delimiter, fast)


def parse_pool(data: bytes | str, *, name: str = "pool.csv", fmt: str = "ascii", delimiter: str = "|") -> Pool:
    """Read a pool from its contents in memory, as :func:`read_pool` reads a file of
    these bytes named ``name`` (``name`` is what ``asn_pool`` and errors show): text
    formats only (``ascii``, ``ascii.*``); gzip, bzip2 or xz bytes are decompressed
    within :data:`~asnfp.reading.POOL_BYTES`. Nothing is read from or written to disk.

    >>> pool = parse_pool("Filename|EXP_TYPE\\nA_uncal.fits|NRC_IMAGE\\n", name="jw01234_pool.csv")
    >>> pool.columns, pool.rows[0]["exp_type"], pool.meta.name
    (('filename', 'exp_type'), 'nrc_image', 'jw01234_pool.csv')
    >>> parse_pool(b"", name="request")
    Traceback (most recent call last):
      ...
    asnfp.errors.PoolError: request: is empty
    """
    if not _is_text_format(fmt):
        raise PoolError(name, f"the pool format {fmt!r} is read from a file only (in memory: ascii or ascii.*)")
    data = data.encode("utf-8") if isinstance(data, str) else data
    if len(data) > (most := bound_bytes(POOL_BYTES)):
        raise PoolError(name, f"is larger than {most:,} bytes (set {POOL_BYTES.variable} "
                              "to change it)")
    return _pool_of_text(name, _text_of(name, data), fmt, delimiter, True)


def _pool_of_text(name: str, text: str, fmt: str, delimiter: str, fast: bool) -> Pool:
    direct = _read_fast(name, text, delimiter) if fast and fmt == "ascii" else None
    if direct is not None:
        return direct
    table = _read_text_table(name, text, fmt, delimiter)
    return _pool_of(name, table, text, delimiter, typed=not _is_delimited(fmt))


def _read_file_table(path: str, fmt: str) -> Any:
    """astropy's reading of a pool in a binary format (it opens the path itself, once
    the path is checked to be a regular file within the bound)."""
    from astropy.table import Table

    try:
        size = check_regular(path, POOL_BYTES, what="pool file", error=PoolError)
    except OSError as err:
        raise _os_error(path, err) from None
    if size == 0:
        raise PoolError(path, "is empty")
    return _table_errors(path, fmt, lambda: Table.read(path, format=fmt))


def pool_from_rows(rows: Iterable[RowLike], name: str = "in-memory") -> Pool:
    """Build a pool in memory, lower-casing names and values as reading does.

    >>> pool_from_rows([{"Filename": "A_uncal.fits"}]).rows[0]["filename"]
    'a_uncal.fits'
    """
    meta = PoolMeta(name)
    made = tuple(as_row(r.cells if isinstance(r, Row) else r, i, meta) for i, r in enumerate(rows))
    columns = tuple(unique(concat(r.cells for r in made)))
    return Pool(columns, made, meta)


_NEEDS_QUOTES: Final = re.compile(r'[|"\n\r\t]')


def _all_plain(values: list[str]) -> bool:
    """Whether every value can be written as it is: not empty, no white space at either
    end, none of ``|``, ``"``, a line break or a tab (each test one pass in C).

    >>> _all_plain(["a", "b c"]), _all_plain(["a", " b"]), _all_plain(["a|b"]), _all_plain([""])
    (True, False, False, False)
    """
    return all(values) and list(map(str.strip, values)) == values and not _NEEDS_QUOTES.search("\x00".join(values))


def require_columns(pool: Pool, needed: Sequence[str]) -> None:
    """Refuse a pool that lacks a column the rules read (an empty pool needs none), naming
    the file and the column.

    >>> require_columns(pool_from_rows([{"filename": "a"}]), ["filename"])
    >>> require_columns(pool_from_rows([{"filename": "a"}]), ["exp_type"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    asnfp.errors.PoolError: in-memory, column 'exp_type': the pool has no such column (the rules need it) ...
    """
    if not pool.rows:
        return
    for column in needed:
        if column not in pool.columns:
            hint = " (only one column was read: is -d right?)" if len(pool.columns) == 1 else ""
            raise PoolError(pool.meta.file, f"the pool has no such column (the rules need it){hint}",
                            column=column)


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
    if fast and _all_plain([*pool.columns, *(v for line in lines for v in line)]):
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


