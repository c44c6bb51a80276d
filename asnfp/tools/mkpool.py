"""``asnfp make-pool``: build an association pool from FITS primary headers (as ``asn_make_pool``).

:func:`pool_table` is pure: given ``(file name, header)`` pairs, a header being its
cards in order (:class:`HeaderCard`, or a plain mapping), it returns the pool's columns
and rows, all strings. The columns are every header keyword (less the blank,
``COMMENT`` and ``HISTORY`` ones) and the seven columns no header supplies
(:data:`EXTRA_COLUMNS`), lower-cased and sorted; a row holds ``str(value)`` of each
keyword as astropy reads it (not lower-cased: ``True``, ``1.5``, ``(1+2j)``; a string
less its trailing spaces, long strings joined across ``CONTINUE`` cards; ``None`` for a
card with no value), and ``null`` where its header has no such keyword. The extra
columns override any header keyword of the same name:

- ``filename``: the path as given, less its trailing whitespace (see below);
- ``asn_candidate``: the observation candidate ``('o{OBSERVTN}', 'observation')``
  followed by the extra candidates;
- ``dms_note``, ``is_imprt``, ``pntgtype``: the values asked for (default ``""``, ``f``,
  ``science``); ``mostilno`` and ``dithptin``: always ``1``;
- ``targetid``: the number of distinct TARGNAMEs seen up to and including this row.
  As in the reference, a name seen before gets the running count, not the number it
  got first (``A, B, A`` -> ``1, 2, 2``).

A keyword may appear on several cards, in several cases (a ``HIERARCH`` keyword keeps
its case: ``HIERARCH ObsId`` is column ``obsid``); the reference reads them two ways,
and so does asnfp:

- a column holds the value of the keyword's **last** card (in any case);
- the observation in ``asn_candidate`` is the value of the **first** ``OBSERVTN`` card
  in any case (astropy's ``header["observtn"]``), or, with none, of the first
  record-valued card kept under ``OBSERVTN`` (``OBSERVTN= 'A.B: 1'``);
- the file name goes into the first ``FILENAME`` card in any case (appended when there
  is none), so it is the ``filename`` cell unless a later card is also ``filename``.

The file is opened by its name exactly as given; the ``filename`` cell is that name
less its trailing whitespace (astropy's header cards drop it): ``"a.fits "`` opens
``a.fits `` and the pool says ``a.fits``; leading spaces are kept. A name that is not
printable ASCII (``café.fits``, a tab) stops the reference with a traceback (a FITS
card holds only printable ASCII); asnfp writes it into the pool, UTF-8 encoded. A name
that is not UTF-8 at all (bytes the file system gave undecoded) cannot be written in a
UTF-8 pool and is refused in one line.

Only the primary header is read: keywords of extensions (``SCI``) are not columns.

:func:`pool_bytes` writes the table as the reference does (astropy ``ascii``, ``|``
delimited, one header line, no comments); :func:`run` reads the headers, builds the
pool and writes it, replacing an existing file. A missing or unreadable file, a card
astropy cannot parse, or a header without OBSERVTN or TARGNAME, is a one-line error
and no pool is written (the reference stops with a traceback, having written nothing
either).

>>> cols, rows = pool_table([("a_uncal.fits", {"OBSERVTN": "001", "TARGNAME": "NGC 1", "FILTER": "F200W"}),
...                          ("b_uncal.fits", {"OBSERVTN": "002", "TARGNAME": "M 31"})])
>>> cols  # doctest: +NORMALIZE_WHITESPACE
('asn_candidate', 'dithptin', 'dms_note', 'filename', 'filter', 'is_imprt', 'mostilno', 'observtn', 'pntgtype',
 'targetid', 'targname')
>>> rows[1]
("[('o002', 'observation')]", '1', '', 'b_uncal.fits', 'null', 'f', '1', '002', 'science', '2', 'M 31')
>>> cols, rows = pool_table([("c.fits ", [("OBSERVTN", "001"), ("TARGNAME", "T"), ("OBSERVTN", "002")])])
>>> row = dict(zip(cols, rows[0])); row["asn_candidate"], row["observtn"], row["filename"]
("[('o001', 'observation')]", '002', 'c.fits')
"""

from __future__ import annotations

import argparse
import io
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from asnfp.errors import AsnfpError, InputError, first_line, shown_path
from asnfp.reading import FITS_HEADER_BYTES, bound_bytes, open_regular
from asnfp.transaction import write_file

if TYPE_CHECKING:
    from astropy.io import fits

__all__ = (
    "EXTRA_COLUMNS",
    "IGNORED_KEYWORDS",
    "HeaderCard",
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


class HeaderCard(NamedTuple):
    """One card of a header as astropy reads it: its keyword (``HIERARCH`` dropped, case
    kept), its value (``None`` when the card has none) and, for a record-valued keyword
    card (``DP1 = 'AXIS.1: 1'`` reads as keyword ``DP1.AXIS.1``, value ``1.0``), the
    keyword it is kept under (``DP1``); ``""`` for any other card.

    >>> HeaderCard("DP1.AXIS.1", 1.0, "DP1"), HeaderCard("OBSERVTN", "001").record
    (HeaderCard(keyword='DP1.AXIS.1', value=1.0, record='DP1'), '')
    """

    keyword: str
    value: object
    record: str = ""


Candidates = str | Sequence[tuple[str, str]]
#: A header: its cards in order (a keyword may repeat), or a mapping of keyword to value.
Header = Mapping[str, object] | Sequence[HeaderCard | tuple[str, object]]
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


def _cards(header: Header) -> list[HeaderCard]:
    """The header's cards in order, each a :class:`HeaderCard`."""
    pairs = header.items() if isinstance(header, Mapping) else header
    return [card if isinstance(card, HeaderCard) else HeaderCard(*card) for card in pairs]


def _normalized(keyword: str) -> str:
    """The keyword as astropy's header looks it up: upper case, ``HIERARCH`` dropped (a
    record-valued keyword keeps its field in its case)."""
    from astropy.io.fits import Card

    return str(Card.normalize_keyword(keyword))


def _observation(name: str, cards: Sequence[HeaderCard]) -> object:
    """What the reference's ``header["observtn"]`` gives: the value of the first card whose
    keyword is OBSERVTN in any case, else of the first record-valued card kept under it."""
    for card in cards:
        if _normalized(card.keyword) == "OBSERVTN":
            return card.value
    for card in cards:
        if card.record == "OBSERVTN":
            return card.value
    raise InputError(name, "no OBSERVTN keyword in the primary header")


def _filename_value(name: str) -> str:
    """The name as the reference's ``FILENAME`` card gives it back: less its trailing
    whitespace. A name that is not UTF-8 is refused: the pool could not hold it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(name, "the name is not UTF-8 text, which a pool file must be") from None
    return name.rstrip()


def _with_filename(cards: list[HeaderCard], name: str) -> list[HeaderCard]:
    """The cards after the reference's ``header["FILENAME"] = name``: the first card whose
    keyword is FILENAME in any case takes the name; with none, a card is appended."""
    value = _filename_value(name)
    for index, card in enumerate(cards):
        if _normalized(card.keyword) == "FILENAME":
            return [*cards[:index], card._replace(value=value), *cards[index + 1:]]
    return [*cards, HeaderCard("FILENAME", value)]


def _row_values(name: str, header: Header) -> tuple[object, dict[str, str]]:
    """The header's observation, and its cells: each keyword lower-cased with ``str`` of
    its last card's value, the file name put in as the reference puts it."""
    cards = _cards(header)
    observation = _observation(name, cards)
    values = {card.keyword.lower(): str(card.value) for card in _with_filename(cards, name)
              if card.keyword not in IGNORED_KEYWORDS}
    if "targname" not in values:
        raise InputError(name, "no TARGNAME keyword in the primary header")
    return observation, values


def pool_table(
    headers: Sequence[tuple[str, Header]],
    *,
    asn_candidate: Candidates = (),
    dms_note: str = "",
    is_imprt: str = "f",
    pntgtype: str = "science",
) -> tuple[Columns, Rows]:
    """The pool the reference makes from these ``(file name, primary header)`` pairs:
    its sorted column names and one tuple of strings per header, in the order given.
    A missing OBSERVTN or TARGNAME, or a name that is not UTF-8, is an :class:`AsnfpError`.

    >>> cols, rows = pool_table([(n, {"OBSERVTN": "001", "TARGNAME": t}) for n, t in
    ...                          (("a", "A"), ("b", "B"), ("c", "A"))])
    >>> [r[cols.index("targetid")] for r in rows]
    ['1', '2', '2']
    """
    fixed = {**EXTRA_COLUMNS, "dms_note": dms_note, "is_imprt": is_imprt, "pntgtype": pntgtype}
    cells: list[dict[str, str]] = []
    targets: set[str] = set()
    for name, header in headers:
        observation, values = _row_values(name, header)
        values.update(fixed)
        values["asn_candidate"] = candidates_text(observation, asn_candidate)
        targets.add(values["targname"])
        values["targetid"] = str(len(targets))
        cells.append(values)
    columns = tuple(sorted({key for values in cells for key in values} | set(EXTRA_COLUMNS)))
    return columns, tuple(tuple(values.get(c, "null") for c in columns) for values in cells)


def read_header(path: str) -> tuple[str, tuple[HeaderCard, ...]]:
    """The path as given and the cards of the primary header of the FITS file it names
    (opened by that exact name), as astropy reads them; a one-line :class:`AsnfpError`
    if it cannot be read or a card cannot be parsed.

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
            return path, _header_cards(fits.getheader(io.BytesIO(data)))
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
        detail = (detail if detail[:2].isupper() else detail[:1].lower() + detail[1:]).rstrip(".")
        raise AsnfpError(f"{where}: not a FITS file ({detail})") from None


def _header_cards(header: fits.Header) -> tuple[HeaderCard, ...]:
    """The header's cards as :class:`HeaderCard` (values parsed: an unparsable card raises
    astropy's ``VerifyError`` here)."""
    return tuple(HeaderCard(keyword, value, card.rawkeyword if card.field_specifier else "")
                 for (keyword, value), card in zip(header.items(), header.cards, strict=True))


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
    p: argparse.ArgumentParser = subparsers.add_parser(
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
    """Make the pool ``args`` ask for; every header is read before anything is written.

    >>> import tempfile; from astropy.io import fits
    >>> d = tempfile.mkdtemp(); h = fits.Header({"OBSERVTN": "001", "TARGNAME": "T"})
    >>> fits.PrimaryHDU(header=h).writeto(f"{d}/a.fits")
    >>> run(argparse.Namespace(pool=f"{d}/pool.csv", data=[f"{d}/a.fits"], asn_candidate=None,
    ...                        dms_note="", is_imprt="f", pntgtype="science"))
    0
    >>> open(f"{d}/pool.csv").read().splitlines()[1].split("|")[:2]
    ["[('o001', 'observation')]", '8']
    """
    headers = [read_header(path) for path in args.data]
    columns, rows = pool_table(
        headers, asn_candidate=args.asn_candidate if args.asn_candidate is not None else (),
        dms_note=args.dms_note, is_imprt=args.is_imprt, pntgtype=args.pntgtype)
    _write_replacing(Path(args.pool), pool_bytes(columns, rows), args.data)
    return 0

