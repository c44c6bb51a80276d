"""Associations from a list of files: ``asnfp from-list``, the equivalent of ``asn_from_list``.

No pool and no rules are involved: every file given becomes a science member. Level 3
(``DMS_Level3_Base``, the default) puts them all in one product named by the caller;
Level 2b (``DMSLevel2bBase``) makes one product per file, named after the file without its
extension and pipeline suffix. The top-level values are the reference's placeholders
(``asn_id`` ``a3001``, ``asn_type`` ``"None"``, ``program`` ``noprogram``, ...), and the
bytes are the reference's except for ``code_version`` and ``constraints``.

>>> f = from_list(["jw1_cal.fits", "jw2_cal.fits"], product_name="mosaic")
>>> f.asn_rule, f.products[0].name, [m.expname for m in f.products[0].members]
('DMS_Level3_Base', 'mosaic', ['jw1_cal.fits', 'jw2_cal.fits'])
>>> [p.name for p in from_list(["d/jw1_rate.fits"], rule=LEVEL2B).products]
['d/jw1']
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import msgspec

from asnfp.errors import UsageError
from asnfp.io import FileMember, FileProduct, Level2File, Level3File, dumps_json, dumps_yaml
from asnfp.naming import remove_suffix
from asnfp.transaction import write_file

__all__ = ("LEVEL3", "LEVEL2B", "DEFAULT_ACID", "from_list", "encode", "product_name_of",
           "add_parser", "run")

LEVEL3: Final = "DMS_Level3_Base"
LEVEL2B: Final = "DMSLevel2bBase"
DEFAULT_ACID: Final = "o999"
_ASN_TYPE: Final = "None"  # the reference's base classes write the string "None"
_BASES: Final = f"{LEVEL3} or {LEVEL2B}"


def product_name_of(expname: str) -> str:
    """Name a Level-2b product after its file: folder and stem, without a pipeline suffix.

    >>> product_name_of("jw1_uncal.fits"), product_name_of("d/jw2_rate.fits"), product_name_of("x.fits")
    ('jw1', 'd/jw2', 'x')
    """
    path = Path(expname)
    return remove_suffix(str(path.parent / path.stem))[0]


def _science(expname: str) -> FileMember:
    return FileMember(expname, "science", msgspec.UNSET)  # only expname and exptype are written


def _check_rule(rule: str) -> None:
    if rule in (LEVEL3, LEVEL2B):
        return
    from asnfp.jwst import RULES  # the catalogue, only to explain a pool rule's name

    if rule in {r.name for r in RULES}:
        raise UsageError(f"rule {rule!r} is a pool rule, not supported by from-list "
                         f"(asn_from_list writes it as its base class); use {_BASES}")
    raise UsageError(f"unknown rule {rule!r} (use {_BASES})")


def _check_acid(acid: str) -> None:
    if acid.startswith("o"):
        return
    if acid.startswith("c"):
        raise UsageError(f"-i {acid}: a background ('c') candidate makes a Level-2b association "
                         "invalid (asn_from_list writes an empty file); use an observation id oNNN")
    raise UsageError(f"-i {acid}: invalid association id (must be an observation id oNNN)")


def from_list(files: Sequence[str], *, rule: str = LEVEL3, product_name: str | None = None,
              acid: str = DEFAULT_ACID) -> Level2File | Level3File:
    """Build the association file that ``asn_from_list`` writes for these files.

    ``rule`` is ``DMS_Level3_Base`` (one product, ``product_name`` required; ``acid``
    ignored, as the reference ignores it) or ``DMSLevel2bBase`` (one product per file;
    ``acid`` must be an observation id ``o...``, and is not written: ``asn_id`` stays
    ``a3001``). Bad input raises :class:`~asnfp.errors.UsageError`.

    >>> f = from_list(["a_uncal.fits", "b.fits"], rule=LEVEL2B, acid="o123")
    >>> f.asn_id, [p.name for p in f.products], f.target
    ('a3001', ['a', 'b'], UNSET)
    >>> from_list(["a.fits"])
    Traceback (most recent call last):
      ...
    asnfp.errors.UsageError: DMS_Level3_Base needs a product name (--product-name)
    """
    if not files:
        raise UsageError("no files given")
    _check_rule(rule)
    if rule == LEVEL3:
        if product_name is None:
            raise UsageError(f"{LEVEL3} needs a product name (--product-name)")
        return Level3File(asn_type=_ASN_TYPE, asn_rule=rule,
                          products=[FileProduct(product_name, [_science(f) for f in files])])
    _check_acid(acid)
    return Level2File(asn_type=_ASN_TYPE, asn_rule=rule, target=msgspec.UNSET,
                      products=[FileProduct(product_name_of(f), [_science(f)]) for f in files])


def encode(asn_file: Level2File | Level3File, fmt: str = "json") -> bytes:
    """Encode an association file in ``json`` (the reference's bytes) or ``yaml``.

    >>> encode(from_list(["a.fits"], product_name="p"), "yaml").splitlines()[0]
    b'asn_id: a3001'
    >>> encode(from_list(["a.fits"], product_name="p"), "xml")
    Traceback (most recent call last):
      ...
    asnfp.errors.UsageError: unknown format 'xml' (use json or yaml)
    """
    if fmt == "json":
        return dumps_json(asn_file)
    if fmt == "yaml":
        return dumps_yaml(asn_file)
    raise UsageError(f"unknown format {fmt!r} (use json or yaml)")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register the ``from-list`` sub-command (the flags of ``asn_from_list``); returns it.

    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> args = add_parser(sub).parse_args(["-o", "out.json", "a.fits", "b.fits"])
    >>> args.output_file, args.format, args.rule, args.acid, args.filelist, args.command is run
    ('out.json', 'json', 'DMS_Level3_Base', 'o999', ['a.fits', 'b.fits'], True)
    """
    p = subparsers.add_parser(
        "from-list", help="an association from a list of files (as asn_from_list)",
        description="Create an association from a list of files, as asn_from_list does.")
    p.add_argument("-o", "--output-file", required=True, help="file to write the association to")
    p.add_argument("-f", "--format", default="json", help="json (default) or yaml")
    p.add_argument("--product-name", help="the product name (required for Level 3)")
    p.add_argument("-r", "--rule", default=LEVEL3, help=f"{LEVEL3} (default) or {LEVEL2B}")
    p.add_argument("--ruledefs", action="append", help="not supported (asnfp has no rule files)")
    p.add_argument("-i", "--id", default=DEFAULT_ACID, dest="acid",
                   help=f"candidate id for Level 2b, oNNN (default: {DEFAULT_ACID})")
    p.add_argument("filelist", nargs="+", help="the files to include")
    p.set_defaults(command=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Write the association of ``args`` (from :func:`add_parser`) to ``-o``; returns 0.

    Everything is checked before the file is opened, so bad input writes nothing.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "l2.json"
    >>> ns = argparse.Namespace(output_file=str(out), format="json", product_name=None,
    ...                         rule=LEVEL2B, ruledefs=None, acid="o1", filelist=["x_rate.fits"])
    >>> run(ns), out.read_bytes().count(b'"name": "x"')
    (0, 1)
    """
    if args.ruledefs:
        raise UsageError("--ruledefs is not supported (from-list knows only the base rules "
                         f"{_BASES})")
    asn_file = from_list(args.filelist, rule=args.rule, product_name=args.product_name,
                         acid=args.acid)
    data = encode(asn_file, args.format)
    write_file(args.output_file, data, inputs=args.filelist)  # all of it or none, never over a member
    return 0

