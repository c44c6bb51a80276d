"""``asnfp edit``: add members to, or remove them from, an association file (as ``asn_edit``).

Reading: the file must have a ``.json`` name (after links are resolved) and hold UTF-8
JSON, which is decoded by Python's own JSON reader, as ``asn_edit`` decodes it: no YAML,
even for a file that is not valid JSON (``asn_edit`` forces the JSON reader; only
``load_asn``, which it does not use, falls back on YAML), and no schema check.
Writing: Python's ``json.dumps`` with a 4-space indent and the separators ``","`` and
``": "``, the reference's writer, so the bytes are the reference's: ASCII escapes (``\\u00e9``,
``\\u007f``, a lone surrogate as ``\\ud800``), ``"\\/"`` written ``"/"``, no trailing
newline, every key in the file's order. The edits are pure functions of the decoded
object; :func:`run` does the reading, the checks, the path resolution and the writing.

Odd files, beside ``asn_edit``. Written with the same bytes as ``asn_edit`` writes:

- numbers in every form, as Python writes them: ``1E16`` as ``1e+16``, ``-0`` as ``0``,
  ``-0.0`` kept, ``1.0000000000000001`` as ``1.0``, integers of any length Python reads;
  ``NaN``, ``Infinity`` and ``-Infinity`` kept, and ``1e400`` written ``Infinity``;
- duplicate keys: the last value, at the first key's place;
- lone surrogate escapes (``"\\ud800"``), control characters, DEL, any Unicode;
- other top-level keys; members without ``expname`` or ``exptype`` (kept as they are);
- members that are not objects, with ``-a`` or with no edit (kept as they are);
- ``"products": []`` (nothing to add to, nothing to remove).

Refused, in one line (exit status 2, nothing written; the output is written through
:mod:`asnfp.transaction`):

- where ``asn_edit`` crashes: a name that is not ``.json`` (``.yaml``, ``.JSON``), for
  the file or ``-o``; text that is not UTF-8, a UTF-8 byte-order mark, and anything
  that is not JSON (YAML, a trailing comma, a ``#`` comment, an empty file:
  ``asn_edit`` reads JSON only); an integer longer than Python reads (4300 digits);
  members that are not objects, with ``-r``; a loop of symbolic links;
- what is not an association by the reference's schema, where ``asn_edit`` crashes or
  writes back a file with nothing added or removed: a top level that is not an object,
  no ``products`` list (``"products": {}``, ``""``), a product that is not an object
  with a ``members`` list, a member's ``expname`` or ``exptype`` that is not a string;
- asnfp's own limits (``asn_edit`` writes these): nesting deeper than 64 levels, a
  file larger than :data:`~asnfp.reading.ASN_BYTES`, an output that is one of the
  files named (``asnfp edit a.json -a a.json``: asnfp never writes over a file it is
  given).

>>> data = {"asn_id": "o001", "products": [{"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"}]}]}
>>> added = add_members(data, ["b_cal.fits"], "background")
>>> [m["expname"] for m in member_objects(added)], len(member_objects(data))
(['a_cal.fits', 'b_cal.fits'], 1)
>>> remove_members(added, ["a_rate.fits"], ignore_suffix=True)[0]["products"]
[{'name': 'p', 'members': [{'expname': 'b_cal.fits', 'exptype': 'background'}]}]
>>> dumps_object({"x": [1e16, -0.0, float("nan")]}).decode()
'{\\n    "x": [\\n        1e+16,\\n        -0.0,\\n        NaN\\n    ]\\n}'
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile  # noqa: F401  (doctests)
from collections.abc import Callable, Sequence
from pathlib import Path, PurePath
from typing import Any, TypeAlias, cast

from asnfp.errors import AsnfpError, shown_path
from asnfp.naming import remove_suffix
from asnfp.reading import ASN_BYTES, TOO_DEEP, BoundExceeded, check_depth, read_bounded

__all__ = (
    "AsnObject",
    "JsonValue",
    "add_members",
    "add_parser",
    "checked_association",
    "checked_object",
    "dumps_object",
    "loads_json",
    "member_objects",
    "read_json",
    "read_object",
    "remove_members",
    "resolve_name",
    "run",
    "write_atomic",
)

#: A decoded JSON value (as Python's ``json`` decodes it: floats may be NaN or infinite).
JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
#: A decoded JSON object, keys in the file's order.
AsnObject: TypeAlias = "dict[str, JsonValue]"
#: The same, loosely typed, for callers that walk it unchecked (``gather``).
JsonObject: TypeAlias = "dict[str, Any]"


# --- the edits -----------------------------------------------------------------------------

def _products(data: AsnObject) -> list[AsnObject]:
    """``data``'s products (a list of objects: see :func:`checked_association`)."""
    return cast("list[AsnObject]", data["products"])


def _members(product: AsnObject) -> list[JsonValue]:
    return cast("list[JsonValue]", product["members"])


def member_objects(data: AsnObject) -> list[AsnObject]:
    """Every member of every product that is an object, in order.

    >>> member_objects({"products": [{"members": [{"expname": "a"}, 7]}, {"members": [{"expname": "b"}]}]})
    [{'expname': 'a'}, {'expname': 'b'}]
    """
    return [m for p in _products(data) for m in _members(p) if isinstance(m, dict)]


def add_members(data: AsnObject, names: Sequence[str], exptype: str) -> AsnObject:
    """Append a member ``{expname: basename, exptype}`` for each name to every product.

    ``data`` is left as it was; a product's other members (objects or not), its other
    fields and the file's key order are kept.

    >>> add_members({"products": [{"name": "p", "members": [1]}, {"members": []}]},
    ...             ["/x/a.fits"], "science")  # doctest: +NORMALIZE_WHITESPACE
    {'products': [{'name': 'p', 'members': [1, {'expname': 'a.fits', 'exptype': 'science'}]},
                  {'members': [{'expname': 'a.fits', 'exptype': 'science'}]}]}
    """
    products: list[JsonValue] = [{**p, "members": [*_members(p), *_new_members(names, exptype)]}
                                 for p in _products(data)]
    return {**data, "products": products}


def _new_members(names: Sequence[str], exptype: str) -> list[JsonValue]:
    return [{"expname": PurePath(name).name, "exptype": exptype} for name in names]


def _key(name: str, ignore_suffix: bool) -> str:
    return remove_suffix(PurePath(name).stem)[0] if ignore_suffix else name


def _matches(member: JsonValue, search: str, ignore_suffix: bool) -> bool:
    """Whether a member is one that removing ``search`` removes: an object whose
    ``expname`` is a non-empty string with that key."""
    if not isinstance(member, dict):
        return False
    expname = member.get("expname")
    return isinstance(expname, str) and expname != "" and _key(expname, ignore_suffix) == search


def _remove_one(products: list[AsnObject], search: str,
                ignore_suffix: bool) -> tuple[list[AsnObject], bool]:
    """The products without the members ``search`` matches (a product this empties is
    dropped), and whether any matched."""
    kept, found = [], False
    for product in products:
        members = [m for m in _members(product) if not _matches(m, search, ignore_suffix)]
        if len(members) == len(_members(product)):
            kept.append(product)
            continue
        found = True
        if members:
            kept.append({**product, "members": members})
    return kept, found


def _removed(data: AsnObject, names: Sequence[str], ignore_suffix: bool) -> tuple[AsnObject, list[int]]:
    """:func:`remove_members`, with the positions in ``names`` of those that matched nothing."""
    products = _products(data)
    missing = []
    for at, name in enumerate(names):
        products, found = _remove_one(products, _key(PurePath(name).name, ignore_suffix), ignore_suffix)
        if not found:
            missing.append(at)
    return {**data, "products": cast("list[JsonValue]", products)}, missing


def remove_members(data: AsnObject, names: Sequence[str],
                   ignore_suffix: bool = False) -> tuple[AsnObject, tuple[str, ...]]:
    """Remove the members named (by basename), one name after the other; return the new
    object and the names that matched no member.

    A member matches when its ``expname`` equals the name's basename or, with
    ``ignore_suffix``, when both stems are equal once a pipeline suffix is removed. A
    product that this emptied is deleted (one that was empty already stays). Members
    that are not objects never match (:func:`checked_association` refuses them first,
    as ``asn_edit`` fails on them).

    >>> data = {"products": [{"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"}]},
    ...                      {"name": "q", "members": []}]}
    >>> remove_members(data, ["/d/a_cal.fits", "zz.fits"])
    ({'products': [{'name': 'q', 'members': []}]}, ('zz.fits',))
    >>> remove_members(data, ["a_rate.fits"])[1], remove_members(data, ["a_rate.fits"], ignore_suffix=True)[1]
    (('a_rate.fits',), ())
    """
    new, missing = _removed(data, names, ignore_suffix)
    return new, tuple(names[at] for at in missing)


# --- reading -------------------------------------------------------------------------------

def _not_utf8(where: str, err: UnicodeDecodeError) -> AsnfpError:
    byte = err.object[err.start]
    return AsnfpError(f"{where}: not JSON (not UTF-8 text: byte 0x{byte:02x} at offset {err.start})")


def loads_json(raw: bytes, where: str) -> JsonValue:
    """Decode ``raw`` (UTF-8 JSON) as Python's ``json`` decodes it, nested at most
    :data:`~asnfp.reading.MAX_DEPTH` deep; else raise a one-line :class:`AsnfpError`
    (``where``, the file, is shown escaped).

    >>> loads_json(b'{"a": [NaN, 1E2, -0, 12345678901234567890], "a": 1e400}', "x.json")
    {'a': inf}
    >>> loads_json(b'{"products": [],}', "x.json")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: x.json: not JSON
        (Expecting property name enclosed in double quotes: line 1 column 17 (char 16))
    """
    where = shown_path(where)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _not_utf8(where, err) from None
    if text.startswith("\ufeff"):
        raise AsnfpError(f"{where}: not JSON (it starts with a UTF-8 byte-order mark)")
    import json  # here: generate and the other tools never need it (1 ms of every start)

    try:
        value: JsonValue = json.loads(text)
        check_depth(value)
    except json.JSONDecodeError as err:
        raise AsnfpError(f"{where}: not JSON ({err})") from None
    except ValueError:  # (Python reads no integer longer than its limit)
        raise AsnfpError(f"{where}: holds an integer of more than {sys.get_int_max_str_digits()} digits, "
                         "more than Python's JSON reader takes") from None
    except RecursionError:
        raise AsnfpError(f"{where}: {TOO_DEEP}") from None
    except BoundExceeded as err:
        raise AsnfpError(f"{where}: {err}") from None
    return value


def read_json(path: Path) -> JsonValue:
    """Read a JSON file within :data:`~asnfp.reading.ASN_BYTES` with :func:`loads_json`.

    >>> p = Path(tempfile.mkdtemp()) / "a.json"
    >>> _ = p.write_bytes(b'\\xef\\xbb\\xbf{"products": []}')
    >>> read_json(p)
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: ...a.json: not JSON (it starts with a UTF-8 byte-order mark)
    """
    try:
        raw = read_bounded(path, ASN_BYTES, what="association file")
    except OSError as err:
        raise AsnfpError(f"{shown_path(str(path))}: cannot read ({err.strerror})") from None
    return loads_json(raw, str(path))


def _shown_value(value: JsonValue) -> str:
    import json

    text = json.dumps(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _shape_error(data: object) -> str | None:
    """Why ``data`` is not an association (an object with a ``products`` list of objects
    with ``members`` lists), or None."""
    if not isinstance(data, dict):
        return "not an association (a JSON object is needed)"
    products = data.get("products")
    if not isinstance(products, list):
        return "not an association (no 'products' list)"
    for i, product in enumerate(products):
        if not isinstance(product, dict) or not isinstance(product.get("members"), list):
            return f"product {i + 1} has no 'members' list"
    return None


MemberRule: TypeAlias = "Callable[[JsonValue], str | None]"


def _not_object(member: JsonValue) -> str | None:
    return None if isinstance(member, dict) else f" is not an object (it is {_shown_value(member)})"


def _fields_not_strings(member: JsonValue) -> str | None:
    """An ``expname`` or ``exptype`` given that is not a string."""
    for key in ("expname", "exptype"):
        if isinstance(member, dict) and key in member and not isinstance(member[key], str):
            return f": {key!r} is not a string (it is {_shown_value(member[key])})"
    return None


def _member_error(data: AsnObject, rules: Sequence[MemberRule]) -> str | None:
    """The first member that a rule refuses, and why; or None."""
    for i, product in enumerate(_products(data)):
        for j, member in enumerate(_members(product)):
            for rule in rules:
                error = rule(member)
                if error is not None:
                    return f"product {i + 1}, member {j + 1}{error}"
    return None


def _checked(data: object, where: str, rules: Sequence[MemberRule]) -> AsnObject:
    error = _shape_error(data)
    if error is None:
        error = _member_error(cast("AsnObject", data), rules)
    if error is not None:
        raise AsnfpError(f"{shown_path(where)}: {error}")
    return cast("AsnObject", data)


def checked_association(data: object, where: str, *, removing: bool = False) -> AsnObject:
    """Return ``data`` if it is an association the edit can be made on, else raise a
    one-line :class:`AsnfpError` (``where`` is shown escaped): an object with a
    ``products`` list of objects with ``members`` lists, whose member objects'
    ``expname`` and ``exptype``, where given, are strings. Members that are not objects
    are kept, except to remove (``asn_edit`` fails on them).

    >>> odd = {"products": [{"members": [7, {"expname": "a.fits"}]}]}
    >>> checked_association(odd, "x.json") is odd
    True
    >>> checked_association(odd, "x.json", removing=True)
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: x.json: product 1, member 1 is not an object (it is 7)
    >>> checked_association({"products": {}}, "x.json")
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: x.json: not an association (no 'products' list)
    """
    return _checked(data, where, (_not_object, _fields_not_strings) if removing else (_fields_not_strings,))


def checked_object(data: object, where: str) -> AsnObject:
    """Return ``data`` if it is an association whose members are all objects whose
    ``expname`` and ``exptype``, where given, are strings (what ``gather`` needs), else
    raise a one-line :class:`AsnfpError` (``where`` is shown escaped).

    >>> checked_object([], "x.json")
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: x.json: not an association (a JSON object is needed)
    >>> checked_object({"products": [{"members": [{"expname": 7, "exptype": "science"}]}]}, "x.json")
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: x.json: product 1, member 1: 'expname' is not a string (it is 7)
    """
    return _checked(data, where, (_not_object, _fields_not_strings))


def read_object(path: Path) -> AsnObject:
    """Read an association file with :func:`read_json` and :func:`checked_object`.

    >>> p = Path(tempfile.mkdtemp()) / "a.json"
    >>> _ = p.write_text('{"z": 1, "products": [], "a": 2}')
    >>> list(read_object(p))
    ['z', 'products', 'a']
    >>> _ = p.write_text('{"products": [{"name": "p"}]}')
    >>> read_object(p)
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: ...a.json: product 1 has no 'members' list
    """
    return checked_object(read_json(path), str(path))


# --- writing -------------------------------------------------------------------------------

def dumps_object(data: JsonValue) -> bytes:
    """Encode a JSON value as the reference writes association files (its own
    ``json.dumps`` call), keys as given.

    >>> dumps_object({"b": 1e16, "a": [chr(233) + chr(0x7F) + chr(0xD800)]})
    b'{\\n    "b": 1e+16,\\n    "a": [\\n        "\\\\u00e9\\\\u007f\\\\ud800"\\n    ]\\n}'
    """
    import json

    return json.dumps(data, indent=4, separators=(",", ": ")).encode("ascii")


def write_atomic(path: Path, data: bytes, inputs: Sequence[str] = ()) -> None:
    """Write ``data`` to ``path`` through a :class:`~asnfp.transaction.Transaction`, so a
    failure leaves the old file (if any) as it was; ``path`` may not be one of ``inputs``.

    >>> p = Path(tempfile.mkdtemp()) / "x.json"
    >>> write_atomic(p, b"{}"); p.read_bytes(), os.listdir(p.parent)
    (b'{}', ['x.json'])
    """
    from asnfp.transaction import write_file

    write_file(path, data, inputs=inputs)


# --- the command ---------------------------------------------------------------------------

def resolve_name(name: str) -> str:
    """The path the reference means by a command-line name: variables and ``~`` expanded,
    made absolute, symbolic links resolved (a loop of links is a one-line error).

    >>> resolve_name("/a/b/../c.fits")
    '/a/c.fits'
    """
    try:
        return str(Path(os.path.expandvars(name)).expanduser().resolve())
    except RuntimeError:  # (pathlib's "Symlink loop from ...")
        raise AsnfpError(f"{shown_path(name)}: cannot resolve (a loop of symbolic links)") from None


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``asnfp edit`` (the flags of ``asn_edit``).

    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> _ = add_parser(sub)
    >>> a = p.parse_args(["edit", "x.json", "-r", "-i", "f.fits"]); a.remove, a.ignore, a.exptype, a.filenames
    (True, True, 'science', ['f.fits'])
    """
    p: argparse.ArgumentParser = subparsers.add_parser(
        "edit", help="add or remove association members (as asn_edit)",
        description="Add files to (-a) or remove them from (-r) every product of an association "
                    "file, as asn_edit does. The file is rewritten in place unless -o is given; "
                    "its key order and other fields are kept.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-a", "--add", action="store_true", help="add the files as members")
    mode.add_argument("-r", "--remove", action="store_true",
                      help="remove the members with these file names (products left empty are deleted)")
    p.add_argument("-t", "--type", "--exptype", dest="exptype", default="science",
                   help="exposure type of added members (default: science)")
    p.add_argument("-i", "--ignore", action="store_true",
                   help="when removing, ignore the pipeline suffix of the names (match on the root)")
    p.add_argument("-o", "--output", help="write here (a .json name) instead of rewriting the input")
    p.add_argument("association", help="the association file (.json)")
    p.add_argument("filenames", nargs="+", help="the member file names")
    p.set_defaults(command=run)
    return p


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    """The file to read (links resolved) and the file to write, both ``.json`` names."""
    source = Path(resolve_name(args.association))
    if source.suffix != ".json":
        raise AsnfpError(f"{shown_path(args.association)}: not an association file (a .json name is needed)")
    output = Path(args.output) if args.output else Path(args.association)
    if output.suffix != ".json":
        raise AsnfpError(f"{shown_path(str(output))}: only .json output is supported")
    return source, output


def run(args: argparse.Namespace) -> int:
    """Edit the association as ``args`` ask; warn (one line) about names not found.

    >>> d = Path(tempfile.mkdtemp()); _ = (d / "a.json").write_text('{"products": [{"members": []}], "n": 1E2}')
    >>> p = argparse.ArgumentParser(); _ = add_parser(p.add_subparsers())
    >>> run(p.parse_args(["edit", str(d / "a.json"), "-a", "x.fits"])), (d / "a.json").read_bytes().count(b"100.0")
    (0, 1)
    """
    source, output = _paths(args)
    data = checked_association(read_json(source), str(source), removing=args.remove)
    resolved = [resolve_name(name) for name in args.filenames]
    missing: list[int] = []
    if args.add:
        data = add_members(data, resolved, args.exptype)
    elif args.remove:
        data, missing = _removed(data, resolved, args.ignore)
    write_atomic(output, dumps_object(data), inputs=args.filenames)  # (never over a file it names)
    if missing:  # (after the write: a run that fails says one line, its error)
        names = ",".join(shown_path(args.filenames[at]) for at in missing)
        print(f"asnfp: warning: not in the association, nothing removed for: {names}", file=sys.stderr)
    return 0
