"""``asnfp make-pool``: build an association pool from FITS primary headers (as ``asn_make_pool``).

:func:`pool_table` is pure: given ``(file name, header)`` pairs it returns the pool's
columns and rows, all strings. The columns are every header keyword (less the blank,
``COMMENT`` and ``HISTORY`` ones) and the seven columns no header supplies
(:data:`EXTRA_COLUMNS`), lower-cased and sorted; a row holds ``str(value)`` of each
keyword, as written in the header (not lower-cased), and ``null`` where its header has
no such keyword. The extra columns override any header keyword of the same name:

- ``filename``: the path exactly as given;
- ``asn_candidate``: the observation candidate ``('o{OBSERVTN}', 'observation')``
  followed by the extra candidates;
- ``dms_note``, ``is_imprt``, ``pntgtype``: the values asked for (default ``""``, ``f``,
  ``science``); ``mostilno`` and ``dithptin``: always ``1``;
- ``targetid``: the number of distinct TARGNAMEs seen up to and including this row.
  As in the reference, a name seen before gets the running count, not the number it
  got first (``A, B, A`` -> ``1, 2, 2``).

:func:`pool_bytes` writes the table as the reference does (astropy ``ascii``, ``|``
delimited, one header line, no comments); :func:`run` reads the headers, builds the
pool and writes it, replacing an existing file. A missing or unreadable file, or a
header without OBSERVTN or TARGNAME, is a one-line error and no pool is written (the
reference stops with a traceback, having written nothing either).

>>> cols, rows = pool_table([("a_uncal.fits", {"OBSERVTN": "001", "TARGNAME": "NGC 1", "FILTER": "F200W"}),
...                          ("b_uncal.fits", {"OBSERVTN": "002", "TARGNAME": "M 31"})])
>>> cols
('asn_candidate', 'dithptin', 'dms_note', 'filename', 'filter', 'is_imprt', 'mostilno', 'observtn', 'pntgtype', 'targetid', 'targname')
>>> rows[1]
("[('o002', 'observation')]", '1', '', 'b_uncal.fits', 'null', 'f', '1', '002', 'science', '2', 'M 31')
"""

from __future__ import annotations

import argparse
import io
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from asnfp.errors import AsnfpError, first_line, shown_path
from asnfp.reading import FITS_HEADER_BYTES, bound_bytes, open_regular
from asnfp.transaction import write_file

__all__ = (
    "EXTRA_COLUMNS",
    "IGNORED_KEYWORDS",
    "add_parser",
    "candidates_text",
    "pool_bytes",
    "pool_table",
    "read_header",
    "run",
)

#: Header keywords that never become columns.
IGNORED_KEYWORDS = frozenset({"", "COMMENT", "HISTORY"})

#: The columns no header supplies, with the value each row gets unless asked otherwise
#: (``asn_candidate`` and ``targetid`` are computed per row).
EXTRA_COLUMNS: Mapping[str, str] = {
    "asn_candidate": "", "dithptin": "1", "dms_note": "", "is_imprt": "f",
    "mostilno": "1", "pntgtype": "science", "targetid": "1",
}

Candidates = str | Sequence[tuple[str, str]]
Columns = tuple[str, ...]
Rows = tuple[tuple[str, ...], ...]


def candidates_text(observation: object, extra: Candidates = ()) -> str:
    """The ``asn_candidate`` cell: the observation candidate, then ``extra``.

    ``extra`` is a sequence of ``(id, type)`` pairs, or the text of such a list (as
    ``--asn-candidate`` gives it), which is spliced in after its first character, as the
    reference does, so ``"[]"`` leaves a dangling ``", "``.

    >>> candidates_text("001", [("c1000", "background")])
    "[('o001', 'observation'), ('c1000', 'background')]"
    >>> candidates_text("001", "[('c1000', 'background')]"), candidates_text("001", "[]")
    ("[('o001', 'observation'), ('c1000', 'background')]", "[('o001', 'observation'), ]")
    """
    first = (f"o{observation}", "observation")
    if isinstance(extra, str):
        return f"[{first}, {extra[1:]}"
    return str([first, *extra])


def _required(name: str, header: Mapping[str, object], keyword: str) -> object:
    for key, value in header.items():
        if key.lower() == keyword:
            return value
    raise AsnfpError(f"{name}: no {keyword.upper()} keyword in the primary header")


def pool_table(
    headers: Sequence[tuple[str, Mapping[str, object]]],
    *,
    asn_candidate: Candidates = (),
    dms_note: str = "",
    is_imprt: str = "f",
    pntgtype: str = "science",
) -> tuple[Columns, Rows]:
    """The pool the reference makes from these ``(file name, primary header)`` pairs:
    its sorted column names and one tuple of strings per header, in the order given.

    >>> cols, rows = pool_table([(n, {"OBSERVTN": "001", "TARGNAME": t}) for n, t in
    ...                          (("a", "A"), ("b", "B"), ("c", "A"))])
    >>> [r[cols.index("targetid")] for r in rows]
    ['1', '2', '2']
    """
    fixed = {**EXTRA_COLUMNS, "dms_note": dms_note, "is_imprt": is_imprt, "pntgtype": pntgtype}
    cells: list[dict[str, str]] = []
    targets: set[str] = set()
    for name, header in headers:
        observation = _required(name, header, "observtn")
        values = {key.lower(): str(value) for key, value in header.items()
                  if key not in IGNORED_KEYWORDS}
        values["filename"] = str(name)
        values.update(fixed)
        values["asn_candidate"] = candidates_text(observation, asn_candidate)
        targets.add(str(_required(name, header, "targname")))
        values["targetid"] = str(len(targets))
        cells.append(values)
    columns = tuple(sorted({key for values in cells for key in values} | set(EXTRA_COLUMNS)))
    return columns, tuple(tuple(values.get(c, "null") for c in columns) for values in cells)


def read_header(path: str) -> tuple[str, dict[str, object]]:
    """The primary header of the FITS file at ``path``, keyed as the file has it, with the
    path as given; a one-line :class:`AsnfpError` if it cannot be read.

    The file must be a regular file (a FIFO or a device is refused, never waited on);
    only its primary header is read (gzip, bzip2 or zip decompressed as astropy would),
    at most :data:`~asnfp.reading.FITS_HEADER_BYTES` of it, and astropy parses those
    bytes.

    >>> read_header("/dev/null")
    Traceback (most recent call last):
      ...
    asnfp.errors.InputError: /dev/null: is a character device, not a FITS file
    """
    from astropy.io import fits
    from astropy.io.fits.verify import VerifyError

    where = shown_path(path)
    try:
        with open_regular(path, what="FITS file") as handle:
            data = _primary_header(handle, bound_bytes(FITS_HEADER_BYTES))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            header = fits.getheader(io.BytesIO(data))
            return path, {key: value for key, value in header.items()}
    except _HeaderTooLarge as err:
        raise AsnfpError(f"{where}: its primary header is larger than the {err.args[0]:,}-byte bound "
                         f"(set {FITS_HEADER_BYTES.variable} to change it)") from None
    except (FileNotFoundError, NotADirectoryError):
        raise AsnfpError(f"{where}: no such file") from None
    except IsADirectoryError:  # where a folder cannot be opened at all
        raise AsnfpError(f"{where}: is a folder, not a FITS file") from None
    except PermissionError:
        raise AsnfpError(f"{where}: cannot be read (permission denied)") from None
    except (OSError, EOFError, ValueError, TypeError, IndexError, KeyError, VerifyError) as err:
        detail = first_line(err).split(". ")[0]
        detail = detail[:1].lower() + detail[1:].rstrip(".")
        raise AsnfpError(f"{where}: not a FITS file ({detail})") from None


_BLOCK = 2880  # a FITS block: 36 cards of 80 bytes


def _primary_header(handle: io.FileIO, limit: int) -> bytes:
    """The blocks of the file up to the one holding the primary header's ``END`` card
    (the first block only when it does not start with ``SIMPLE``), at most ``limit``
    bytes: all that astropy's ``getheader`` reads."""
    read = _uncompressed(handle)
    blocks: list[bytes] = []
    total = 0
    while total + _BLOCK <= limit:
        block = read(_BLOCK)
        blocks.append(block)
        total += len(block)
        ended = any(block[i:i + 8] == b"END     " for i in range(0, len(block), 80))
        if len(block) < _BLOCK or ended or not blocks[0].startswith(b"SIMPLE"):
            return b"".join(blocks)
    raise _HeaderTooLarge(limit)


class _HeaderTooLarge(Exception):
    """A primary header with no ``END`` card within the bound."""


def _uncompressed(handle: io.FileIO) -> Callable[[int], bytes]:
    """How to read ``handle``: itself, or its decompressed bytes when it starts as a gzip,
    bzip2 or zip file does (astropy reads those FITS files too)."""
    magic = handle.read(4)
    handle.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        import gzip

        return gzip.GzipFile(fileobj=handle).read
    if magic.startswith(b"BZh"):
        import bz2

        return bz2.BZ2File(handle).read
    if magic.startswith(b"PK\x03\x04"):
        import zipfile

        archive = zipfile.ZipFile(handle)
        names = archive.namelist()
        if len(names) != 1:
            raise OSError("zip files with multiple members are not supported")
        return archive.open(names[0]).read
    return handle.read


def pool_bytes(columns: Columns, rows: Rows) -> bytes:
    """The pool file's bytes, as the reference's ``AssociationPool.write`` makes them.

    >>> pool_bytes(("a", "b"), (("x y", ""), ("1", "null"))).decode()
    'a|b\\nx y|\\n1|null\\n'
    """
    from astropy.table import Table

    table = Table(names=columns, dtype=[object] * len(columns))
    for row in rows:
        table.add_row(row)
    out = io.StringIO()
    table.write(out, format="ascii", delimiter="|")
    return out.getvalue().encode("utf-8")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``asnfp make-pool`` (the arguments of ``asn_make_pool``).

    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> _ = add_parser(sub)
    >>> a = p.parse_args(["make-pool", "pool.csv", "a.fits", "b.fits", "--is-imprt", "t"])
    >>> a.pool, a.data, a.asn_candidate, a.dms_note, a.is_imprt, a.pntgtype
    ('pool.csv', ['a.fits', 'b.fits'], None, '', 't', 'science')
    """
    p = subparsers.add_parser(
        "make-pool", help="make a pool from FITS files (as asn_make_pool)",
        description="Write an association pool built from the primary headers of FITS "
                    "exposures, as asn_make_pool does. The pool file is replaced if it exists.")
    p.add_argument("pool", help="the pool file to write")
    p.add_argument("data", nargs="+", help="the FITS exposures, one row each, in this order")
    p.add_argument("--asn-candidate", default=None,
                   help="extra candidates for every row, as the text of a list of (id, type) "
                        "pairs, e.g. \"[('c1000', 'background')]\"")
    p.add_argument("--dms-note", default=EXTRA_COLUMNS["dms_note"],
                   help="the dms_note of every row (default: empty)")
    p.add_argument("--is-imprt", default=EXTRA_COLUMNS["is_imprt"],
                   help="the is_imprt of every row: 't' for imprint exposures (default: f)")
    p.add_argument("--pntgtype", default=EXTRA_COLUMNS["pntgtype"],
                   help="the pntgtype of every row (default: science)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="accepted for compatibility; asnfp logs nothing more")
    p.set_defaults(command=run)
    return p


def _write_replacing(target: Path, data: bytes, inputs: Sequence[str]) -> None:
    if target.is_dir():
        raise AsnfpError(f"{target}: is a folder, not a pool file")
    write_file(target, data, inputs=inputs)


def run(args: argparse.Namespace) -> int:
    """Make the pool ``args`` ask for; every header is read before anything is written."""
    headers = [read_header(path) for path in args.data]
    columns, rows = pool_table(
        headers, asn_candidate=args.asn_candidate if args.asn_candidate is not None else (),
        dms_note=args.dms_note, is_imprt=args.is_imprt, pntgtype=args.pntgtype)
    _write_replacing(Path(args.pool), pool_bytes(columns, rows), args.data)
    return 0

