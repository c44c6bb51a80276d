"""``asnfp validate``: is a file an association the reference's pipelines can read?

Two verdicts, both pure functions of a file's bytes:

- :func:`check`, the default, is the reference's verdict. A pipeline opens the file as
  UTF-8 text (universal newlines) and calls jwst's ``load_asn``, which reads the text
  as JSON (Python's ``json``), and when that fails or does not meet the association
  schema, as YAML (``yaml.safe_load``), whatever the file's name. A reading passes when
  it meets the reference's Level-2b schema (the looser of its two; each of its 44 rules
  has one of them): an object with a ``products`` array; each product an object with a
  ``members`` array; ``asn_type``, ``asn_rule``, ``asn_pool``, ``program`` and product
  ``name`` strings where given; a member that is an object has string ``expname`` and
  ``exptype``. The first reading that passes decides: the file is valid when each of
  its members is an object (the reference fails on any other member). So Python's
  ``json`` quirks are accepted (NaN, Infinity, ``1e400``, lone surrogate escapes,
  repeated keys) and so is YAML's reading of what JSON refuses (a leading BOM, trailing
  commas, ``#`` comments; ``"asn_type": 1e5`` passes as YAML reads ``1e5``, a string).
- :func:`check_strict` (``--strict``) is that and asnfp's own checks: the file is
  standard JSON, or YAML when named ``.yaml``/``.yml``; every field has its type
  (``asn_type``, ``asn_rule`` and product names given, as :class:`asnfp.io.Level3File`
  types them); ``asn_type`` is one asnfp or the reference writes
  (:func:`unknown_type`); no member's ``expname`` names a folder
  (:func:`folder_in_expname`; the reference only warns). A file strict passes is valid.

Where asnfp may differ from the reference: its reading bounds (:mod:`asnfp.reading`). A
file larger than :data:`~asnfp.reading.ASN_BYTES` is not read; a YAML reading nesting
more than :data:`~asnfp.reading.MAX_DEPTH` (64) collections, or holding too many nodes
or aliases, is refused (the reference would take e.g. a 100-deep junk value in YAML).
JSON nests as deep as Python's ``json`` follows (about 1,000 levels, the interpreter's
recursion limit: near it, the exact level depends on the callers' stack).

The text: strict UTF-8, as a pipeline's text-mode read (bytes that are not UTF-8 are
invalid; a BOM is kept, which Python's ``json`` refuses and YAML skips), with universal
newlines (``\\r\\n`` and ``\\r`` read as ``\\n``; only YAML's reading can tell). msgspec
reads the JSON first; Python's ``json`` only what msgspec refuses (the same value where
both read it), and YAML only when the JSON reading fails or its schema failure is a float
YAML may read as a string (otherwise YAML's reading fails alike).

The order of the reference's rules does not change its verdict (all 44 have a schema;
a file meeting the Level-3 one meets the Level-2b one); the order of the readings does:
a JSON reading that meets the schema decides, even when its members fail where YAML's
would not.

>>> check(b'{"asn_type": "foo", "products": [{"members": []}], "x": NaN}') is None
True
>>> check(b'{"products": [{"members": ["a_cal.fits"]}]}')
Invalid(message='Expected `object`, got `str` - at `$.products[0].members[0]`')
>>> check_strict(b'{"asn_type": "foo", "asn_rule": "R", "products": []}')
Invalid(message="strict: asn_type 'foo' is not an association type (e.g. image2, image3, spec3) - at `$.asn_type`")
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Final

import msgspec

from asnfp.errors import AsnfpError, on_one_line, shown_path
from asnfp.io import (
    Level3File,
    _at,
    _expected,
    _Failed,
    _json_reading,
    _missing,
    _schema_problem,
    _text,
    _why_not,
    _yaml_reading,
)
from asnfp.reading import ASN_BYTES, TOO_DEEP, BoundExceeded, load_yaml, read_bounded

__all__ = (
    "Invalid",
    "add_parser",
    "check",
    "check_strict",
    "is_document",
    "folder_in_expname",
    "read_checked",
    "run",
    "typed_file",
    "unknown_type",
)

_YAML_SUFFIXES: Final = (".yaml", ".yml")
#: How a schema failure names a float (a number YAML may read as a string).
_FLOAT_FOUND: Final = "got `float`"


class Invalid(msgspec.Struct, frozen=True):
    """Why a file is not a valid association, in one line (with the field's ``$`` path).

    >>> Invalid("Object missing required field `products`").message
    'Object missing required field `products`'
    """

    message: str


# --- the reference's verdict (its readings and schema: asnfp.io) ---------------------------


def _schema_failure(reading: object) -> _Failed | None:
    if isinstance(reading, _Failed):
        return reading
    problem = _schema_problem(reading)
    return None if problem is None else _Failed(problem, "schema")


def _member_not_an_object(asn: Any) -> Invalid | None:
    """The first member that is not an object, in a reading that meets the schema (the
    reference's path check then fails on it)."""
    for i, product in enumerate(asn["products"]):
        for j, member in enumerate(product["members"]):
            if not isinstance(member, dict):
                return Invalid(_expected("object", member, f"$.products[{i}].members[{j}]"))
    return None


def _yaml_may_pass(json_failed: _Failed) -> bool:
    """Whether the YAML reading may pass where the JSON reading failed. When JSON reads
    the text, YAML reads it alike (the same objects, arrays, keys, strings, integers,
    booleans and nulls) but for number tokens with a fraction or exponent and NaN or
    Infinity, which it may read as strings (``1e5``). So a JSON reading failing the
    schema for any other value fails as YAML too (or YAML cannot read the text): the
    reference's verdict without YAML's thousandfold cost."""
    return json_failed.kind != "schema" or _FLOAT_FOUND in json_failed.message


def _yaml_verdict(text: str, json_failed: _Failed) -> Invalid | None:
    """The verdict when the JSON reading fails: the reference reads the text as YAML."""
    reading = _yaml_reading(text)
    failed = _schema_failure(reading)
    if failed is None:
        return _member_not_an_object(reading)
    return Invalid(_why_not(json_failed, failed))


def check(data: bytes) -> Invalid | None:
    """The reference's verdict on an association file's bytes: ``None`` when its
    ``load_asn`` reads them, else why not, in one line naming the key where it can.

    >>> check(b'{"asn_type": "image3", "products": [{"name": "p", "members": []}]}') is None
    True
    >>> check(b'{"products": [{"members": [{"expname": 1, "exptype": "science"}]}]}')
    Invalid(message='Expected `str`, got `int` - at `$.products[0].members[0].expname`')
    >>> check(b'{"products": [],}\\n# YAML reads this\\n') is None
    True
    >>> check(b"products: 3\\n")  # doctest: +NORMALIZE_WHITESPACE
    Invalid(message='Expected `array`, got `int` - at `$.products`
            (read as YAML; not JSON: Expecting value: line 1 column 1 (char 0))')
    >>> check(b'{"products": []').message[:64]
    "not JSON (Expecting ',' delimiter: line 1 column 16 (char 15)) n"
    >>> check(b'\\xff{"products": []}')
    Invalid(message='not UTF-8 text (invalid start byte at byte 0)')
    """
    text = _text(data)
    if isinstance(text, _Failed):
        return Invalid(text.message)
    reading = _json_reading(data, text, bounded=False)  # (as deep as Python's json follows)
    failed = _schema_failure(reading)
    if failed is None:
        return _member_not_an_object(reading)
    if not _yaml_may_pass(failed):
        return Invalid(failed.message)
    return _yaml_verdict(text, failed)


def is_document(data: bytes) -> bool:
    """Whether the bytes are a document an association could be at all: UTF-8 text that
    reads (as JSON, else as YAML) to an object. :func:`check` gives the verdict on such a
    document; what is not one (empty, not text, neither JSON nor YAML, a list, a string)
    is no association file at all.

    >>> is_document(b'{"products": 3}'), is_document(b"products: 3\\n"), is_document(b"[1]"), is_document(b"{")
    (True, True, False, False)
    """
    text = _text(data)
    if isinstance(text, _Failed):
        return False
    reading = _json_reading(data, text, bounded=False)
    if not isinstance(reading, _Failed):
        return isinstance(reading, dict)
    return isinstance(_yaml_reading(text), dict)


# --- asnfp's own checks (--strict) ---------------------------------------------------------


def typed_file(data: bytes, *, is_yaml: bool = False) -> Level3File | Invalid:
    """Decode an association file's bytes into the typed :class:`~asnfp.io.Level3File`
    (standard JSON, or YAML), or say in one line why they do not decode.

    ``products`` must be given (the Struct defaults it). Nesting and YAML aliases are
    bounded (:mod:`asnfp.reading`); a typed JSON decode skips an unknown field unbuilt.

    >>> typed_file(b'{"asn_type": "i", "asn_rule": "R", "products": [{"name": "p", "members": [{"expname": 1}]}]}')
    Invalid(message='Expected `str`, got `int` - at `$.products[0].members[0].expname`')
    >>> typed_file(b"asn_type: i\\nasn_rule: R\\nproducts: []\\n", is_yaml=True).products
    []
    >>> typed_file(b"{").message.startswith("not JSON"), typed_file(b"[" * 5000).message
    (True, 'nests deeper than 64 levels (an association file nests 5)')
    >>> typed_file(b'asn_type: i\\nasn_rule: R\\nproducts: []\\n"\\\\ud800": 1\\n', is_yaml=True)
    Invalid(message="key '\\\\ud800' is not UTF-8 text (a lone surrogate)")
    """
    raw = _typed_yaml_reading(data) if is_yaml else _typed_json_reading(data)
    if isinstance(raw, Invalid):
        return raw
    if isinstance(raw, dict) and "products" not in raw:
        return Invalid(_missing("products", "$"))
    try:
        return msgspec.convert(raw, Level3File)
    except msgspec.ValidationError as err:
        return Invalid(on_one_line(err))
    except UnicodeEncodeError as err:  # a YAML key of lone surrogates: msgspec matches keys as UTF-8
        return Invalid(f"key {err.object!r} is not UTF-8 text (a lone surrogate)")
    except RecursionError:
        return Invalid(TOO_DEEP)


def _typed_json_reading(data: bytes) -> object:
    try:
        value: object = msgspec.json.decode(data)
        return value
    except msgspec.DecodeError as err:
        return Invalid(f"not JSON ({on_one_line(err)})")
    except RecursionError:
        return Invalid(TOO_DEEP)


def _typed_yaml_reading(data: bytes) -> object:
    import yaml  # type: ignore[import-untyped,unused-ignore]  # here: 10 ms that JSON never needs

    try:
        return load_yaml(data)
    except yaml.YAMLError as err:
        return Invalid(f"not YAML ({on_one_line(err)})")
    except BoundExceeded as err:
        return Invalid(str(err))


@functools.cache
def _known_types() -> frozenset[str]:
    from asnfp.jwst import RULES

    return frozenset({rule.asn_type for rule in RULES} | {"None", "user_built"})


def unknown_type(asn: Level3File) -> Invalid | None:
    """Say when a file's ``asn_type`` is none that asnfp or the reference writes (the
    reference's schema takes any string).

    >>> unknown_type(Level3File(asn_type="imag3", asn_rule="R"))
    Invalid(message="asn_type 'imag3' is not an association type (e.g. image2, image3, spec3) - at `$.asn_type`")
    >>> unknown_type(Level3File(asn_type="image3", asn_rule="R")) is None
    True
    """
    if asn.asn_type in _known_types():
        return None
    return Invalid(f"asn_type {asn.asn_type!r} is not an association type (e.g. image2, image3, spec3)"
                   f"{_at('$.asn_type')}")


def _has_folder(name: str) -> bool:
    """The reference's test, ``Path(name).parent != Path()`` ("./a" and "a/" have none)."""
    return PurePosixPath(name).parent != PurePosixPath()


def folder_in_expname(asn: Level3File) -> Invalid | None:
    """Say when a member's ``expname`` names a folder, which the reference reads with a
    warning ("contains path information"): a pipeline looks for members beside the file.

    >>> from asnfp.io import FileMember, FileProduct
    >>> asn = Level3File(asn_type="image3", asn_rule="R", products=[
    ...     FileProduct("p", [FileMember("a_cal.fits", "science"), FileMember("raw/b_cal.fits", "science")])])
    >>> folder_in_expname(asn)  # doctest: +NORMALIZE_WHITESPACE
    Invalid(message="expname 'raw/b_cal.fits' names a folder (the reference warns: path information)
            - at `$.products[0].members[1].expname`")
    """
    for i, product in enumerate(asn.products):
        for j, member in enumerate(product.members):
            if "/" in member.expname and _has_folder(member.expname):
                return Invalid(f"expname {member.expname!r} names a folder (the reference warns: path "
                               f"information){_at(f'$.products[{i}].members[{j}].expname')}")
    return None


def _strict(problem: Invalid) -> Invalid:
    """A strict finding: "standard JSON" where the reference's reading was Python's or YAML's."""
    message = problem.message
    if message.startswith("not JSON ("):
        message = f"not standard JSON ({message.removeprefix('not JSON (')}"
    return Invalid(f"strict: {message}")


def check_strict(data: bytes, *, is_yaml: bool = False) -> Level3File | Invalid:
    """The reference's verdict (:func:`check`) and asnfp's own: the typed file
    (:func:`typed_file`; YAML when ``is_yaml``, else standard JSON), a known
    ``asn_type`` (:func:`unknown_type`), no folder in an ``expname``
    (:func:`folder_in_expname`). Its own findings start ``strict:``.

    >>> check_strict(b'{"asn_type": "image3", "asn_rule": "R", "products": []}').asn_type
    'image3'
    >>> check_strict(b'{"asn_type": "image3", "asn_rule": "R", "products": [], "target": NaN}')
    Invalid(message='strict: not standard JSON (JSON is malformed: invalid character (byte 66))')
    >>> check_strict(b'{"asn_type": "image3", "products": []}')
    Invalid(message='strict: Object missing required field `asn_rule`')
    >>> check_strict(b'{"asn_type": "image3", "asn_rule": "R"}')
    Invalid(message='Object missing required field `products`')
    """
    problem = check(data)
    if problem is not None:
        return problem
    asn = typed_file(data, is_yaml=is_yaml)
    if isinstance(asn, Invalid):
        return _strict(asn)
    problem = unknown_type(asn) or folder_in_expname(asn)
    return asn if problem is None else _strict(problem)


# --- files and the command line ------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        return read_bounded(path, ASN_BYTES, what="association file")
    except OSError as err:
        raise AsnfpError(f"{shown_path(str(path))}: cannot read ({err.strerror})") from None


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in _YAML_SUFFIXES


def read_checked(path: str | os.PathLike[str]) -> Level3File:
    """Read one association file and decode it typed (:func:`typed_file`, YAML for
    ``.yaml``/``.yml`` names); raise :class:`AsnfpError` (one line) when it cannot be
    read or does not decode.

    >>> read_checked("/no/such/file.json")
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: /no/such/file.json: cannot read (No such file or directory)
    """
    file = Path(path)
    result = typed_file(_read(file), is_yaml=_is_yaml(file))
    if isinstance(result, Invalid):
        raise AsnfpError(f"{shown_path(str(file))}: invalid association: {result.message}")
    return result


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``asnfp validate [--strict] FILES...``.

    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> _ = add_parser(sub)
    >>> args = p.parse_args(["validate", "--strict", "a.json", "b.yaml"])
    >>> args.files, args.strict
    (['a.json', 'b.yaml'], True)
    """
    p = subparsers.add_parser(
        "validate", help="check association files as the reference's pipelines read them",
        description="Check each association file as the reference's pipelines read it (jwst's "
                    "load_asn): its UTF-8 text is read as JSON, else as YAML, whatever its name, and "
                    "must meet the reference's association schema: an object with a products array; "
                    "each product an object with a members array; each member an object with string "
                    "expname and exptype; asn_type, asn_rule, asn_pool, program and product names "
                    "strings where given. One line on stderr per invalid file; exit status 2 if any "
                    "is invalid or unreadable.")
    p.add_argument("--strict", action="store_true",
                   help="also asnfp's own checks: standard JSON (YAML for .yaml/.yml names); every "
                        "field of its type, with asn_type, asn_rule and product names given; an asn_type "
                        "asnfp or the reference writes; no folder in a member's expname")
    p.add_argument("files", nargs="+", help="association files")
    p.set_defaults(command=run)
    return p


def _problem(path: Path, data: bytes, strict: bool) -> Invalid | None:
    if not strict:
        return check(data)
    result = check_strict(data, is_yaml=_is_yaml(path))
    return result if isinstance(result, Invalid) else None


def run(args: argparse.Namespace) -> int:
    """Check every file (all are read first, so an unreadable one stops before any output);
    print ``FILE: MESSAGE`` on stderr for each invalid one; 2 if any is invalid, else 0.

    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "a.json"
    >>> _ = bad.write_bytes(b'{"products": {}}')
    >>> run(argparse.Namespace(files=[str(bad)], strict=False))  # and on stderr: ".../a.json: Expected `array`..."
    2
    """
    paths = [Path(name) for name in args.files]
    contents = [(path, _read(path)) for path in paths]
    strict = bool(getattr(args, "strict", False))
    invalid = [(path, problem) for path, data in contents
               if (problem := _problem(path, data, strict)) is not None]
    for path, problem in invalid:
        print(f"{shown_path(str(path))}: {problem.message}", file=sys.stderr)
    return 2 if invalid else 0
