"""``asnfp validate``: check association files against the typed file structure.

A file is valid when it decodes (JSON, or YAML for ``.yaml``/``.yml`` names) into the
typed :class:`asnfp.io.Level3File` (Level-2b files have the same fields) and keeps the
reference's schema rules: ``products`` is present, and every member has a string
``expname`` and ``exptype``. The check is a pure function of the file's bytes
(:func:`check`); :func:`run` reads the files and prints one line per invalid file.

>>> check(b'{"asn_type": "image3", "asn_rule": "R", "products": [{"name": "p", "members": []}]}').products[0].name
'p'
>>> check(b'{"asn_type": "image3", "asn_rule": "R"}')
Invalid(message='Object missing required field `products`')
"""

from __future__ import annotations

import argparse
import sys
import os
from collections.abc import Sequence
from pathlib import Path

import msgspec

from asnfp.errors import AsnfpError, shown_path
from asnfp.io import Level3File
from asnfp.reading import ASN_BYTES, TOO_DEEP, BoundExceeded, load_yaml, read_bounded

__all__ = (
    "unknown_type","Invalid", "add_parser", "check", "read_checked", "run")

_YAML_SUFFIXES = (".yaml", ".yml")


class Invalid(msgspec.Struct, frozen=True):
    """Why a file is not a valid association, in one line (with the field's ``$`` path)."""

    message: str


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def check(data: bytes, *, is_yaml: bool = False) -> Level3File | Invalid:
    """Decode an association file's bytes, or say in one line why it is not valid.

    Equal to decoding with the typed decoder after checking that ``products`` is given
    (the one field the reference's schema requires that the Struct defaults). Nesting
    and YAML aliases are bounded (:mod:`asnfp.reading`).

    >>> check(b'{"asn_type": "i", "asn_rule": "R", "products": [{"name": "p", "members": [{"expname": 1}]}]}')
    Invalid(message='Expected `str`, got `int` - at `$.products[0].members[0].expname`')
    >>> check(b"asn_type: i\\nasn_rule: R\\nproducts: []\\n", is_yaml=True).products
    []
    >>> check(b"{").message.startswith("not JSON"), check(b"[" * 5000).message
    (True, 'nests deeper than 64 levels (an association file nests 5)')
    """
    if is_yaml:
        import yaml  # here: its import takes 10 ms that JSON never needs

        try:
            raw = load_yaml(data)
        except yaml.YAMLError as err:
            return Invalid(f"not YAML ({_one_line(str(err))})")
        except BoundExceeded as err:
            return Invalid(str(err))
    else:
        try:
            raw = msgspec.json.decode(data)
        except msgspec.DecodeError as err:
            return Invalid(f"not JSON ({_one_line(str(err))})")
        except RecursionError:
            return Invalid(TOO_DEEP)
    if isinstance(raw, dict) and "products" not in raw:
        return Invalid("Object missing required field `products`")
    try:
        return msgspec.convert(raw, Level3File)
    except msgspec.ValidationError as err:
        return Invalid(_one_line(str(err)))
    except RecursionError:
        return Invalid(TOO_DEEP)


def _read(path: Path) -> bytes:
    try:
        return read_bounded(path, ASN_BYTES, what="association file")
    except OSError as err:
        raise AsnfpError(f"{shown_path(str(path))}: cannot read ({err.strerror})") from None


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in _YAML_SUFFIXES


def read_checked(path: str | os.PathLike[str]) -> Level3File:
    """Read and check one association file; raise :class:`AsnfpError` (one line) when it
    cannot be read or is not valid.

    >>> read_checked("/no/such/file.json")
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: /no/such/file.json: cannot read (No such file or directory)
    """
    file = Path(path)
    result = check(_read(file), is_yaml=_is_yaml(file))
    if isinstance(result, Invalid):
        raise AsnfpError(f"{shown_path(str(file))}: invalid association: {result.message}")
    return result


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``asnfp validate FILES...``.

    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> _ = add_parser(sub)
    >>> p.parse_args(["validate", "a.json", "b.yaml"]).files
    ['a.json', 'b.yaml']
    """
    p = subparsers.add_parser(
        "validate", help="check association files against the association structure",
        description="Check each association file (JSON, or YAML for .yaml/.yml names): the typed "
                    "file structure and the reference's schema rules (products required; each "
                    "member needs a string expname and exptype; a known asn_type). One line on "
                    "stderr per invalid file; exit status 2 if any is invalid or unreadable.")
    p.add_argument("files", nargs="+", help="association files")
    p.set_defaults(command=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Check every file (all are read first, so an unreadable one stops before any output);
    print ``FILE: MESSAGE`` on stderr for each invalid one; 2 if any is invalid, else 0."""
    paths: Sequence[Path] = [Path(name) for name in args.files]
    contents = [(path, _read(path)) for path in paths]
    results = [(path, check(data, is_yaml=_is_yaml(path))) for path, data in contents]
    invalid = [(path, r if isinstance(r, Invalid) else unknown_type(r)) for path, r in results]
    invalid = [(path, problem) for path, problem in invalid if problem is not None]
    for path, problem in invalid:
        print(f"{shown_path(str(path))}: {problem.message}", file=sys.stderr)
    return 2 if invalid else 0


def unknown_type(asn: Level3File) -> Invalid | None:
    """Say when a file's ``asn_type`` is none that asnfp or the reference writes.

    >>> unknown_type(check(b'{"asn_type": "imag3", "asn_rule": "R", "products": []}'))
    Invalid(message="asn_type 'imag3' is not an association type (e.g. image2, image3, spec3)")
    >>> unknown_type(check(b'{"asn_type": "image3", "asn_rule": "R", "products": []}')) is None
    True
    """
    from asnfp.jwst import RULES

    known = {rule.asn_type for rule in RULES} | {"None", "user_built"}
    if asn.asn_type in known:
        return None
    return Invalid(f"asn_type {asn.asn_type!r} is not an association type (e.g. image2, image3, spec3)")
