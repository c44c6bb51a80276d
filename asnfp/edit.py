"""``asnfp edit``: add members to, or remove them from, an association file (as ``asn_edit``).

The file is read as a plain JSON object, so every key keeps its place and every field
the file holds survives; it is written back as the reference writes it (4-space indent,
ASCII escapes, no trailing newline). The edits are pure functions of that object;
:func:`run` does the reading, the path resolution and the writing.

>>> data = {"asn_id": "o001", "products": [{"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"}]}]}
>>> added = add_members(data, ["b_cal.fits"], "background")
>>> [m["expname"] for m in added["products"][0]["members"]], len(data["products"][0]["members"])
(['a_cal.fits', 'b_cal.fits'], 1)
>>> remove_members(added, ["a_rate.fits"], ignore_suffix=True)[0]["products"][0]["members"]
[{'expname': 'b_cal.fits', 'exptype': 'background'}]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile  # noqa: F401  (doctests)
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any

import msgspec

from asnfp.errors import AsnfpError, shown_path
from asnfp.io import dumps_json
from asnfp.naming import remove_suffix
from asnfp.reading import ASN_BYTES, BoundExceeded, decode_json, read_bounded

__all__ = ("add_members", "remove_members", "checked_object", "read_object", "dumps_object", "write_atomic",
           "resolve_name", "add_parser", "run")

JsonObject = dict[str, Any]


def add_members(data: JsonObject, names: Sequence[str], exptype: str) -> JsonObject:
    """Append a member ``{expname: basename, exptype}`` for each name to every product.

    ``data`` is left as it was; a product's other fields and the file's key order are kept.

    >>> add_members({"products": [{"name": "p", "members": []}, {"members": []}]}, ["/x/a.fits"], "science")
    {'products': [{'name': 'p', 'members': [{'expname': 'a.fits', 'exptype': 'science'}]}, {'members': [{'expname': 'a.fits', 'exptype': 'science'}]}]}
    """
    new = [{"expname": PurePath(name).name, "exptype": exptype} for name in names]
    products = [{**p, "members": [*p["members"], *(dict(m) for m in new)]} for p in data["products"]]
    return {**data, "products": products}


def _key(name: str, ignore_suffix: bool) -> str:
    return remove_suffix(PurePath(name).stem)[0] if ignore_suffix else name


def remove_members(data: JsonObject, names: Sequence[str],
                   ignore_suffix: bool = False) -> tuple[JsonObject, tuple[str, ...]]:
    """Remove the members named (by basename), one name after the other; return the new
    object and the names that matched no member.

    A member matches when its ``expname`` equals the name's basename or, with
    ``ignore_suffix``, when both stems are equal once a pipeline suffix is removed. A
    product that this emptied is deleted (one that was empty already stays).

    >>> data = {"products": [{"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"}]},
    ...                      {"name": "q", "members": []}]}
    >>> remove_members(data, ["/d/a_cal.fits", "zz.fits"])
    ({'products': [{'name': 'q', 'members': []}]}, ('zz.fits',))
    >>> remove_members(data, ["a_rate.fits"])[1], remove_members(data, ["a_rate.fits"], ignore_suffix=True)[1]
    (('a_rate.fits',), ())
    """
    products = list(data["products"])
    missing = []
    for name in names:
        search = _key(PurePath(name).name, ignore_suffix)
        kept, found = [], False
        for product in products:
            members = [m for m in product["members"]
                       if not (m.get("expname") and _key(m["expname"], ignore_suffix) == search)]
            if len(members) == len(product["members"]):
                kept.append(product)
                continue
            found = True
            if members:
                kept.append({**product, "members": members})
        products = kept
        if not found:
            missing.append(name)
    return {**data, "products": products}, tuple(missing)


def checked_object(data: object, where: str) -> JsonObject:
    """Return ``data`` if it has the shape edits need (an object with a ``products`` list of
    objects with ``members`` lists of objects whose ``expname`` and ``exptype``, where
    given, are strings), else raise a one-line :class:`AsnfpError` (``where`` is shown
    escaped).

    >>> checked_object([], "x.json")
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: x.json: not an association (a JSON object is needed)
    >>> checked_object({"products": [{"members": [{"expname": 7, "exptype": "science"}]}]}, "x.json")
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: x.json: product 1, member 1: 'expname' is not a string (it is 7)
    """
    where = shown_path(where)
    if not isinstance(data, dict):
        raise AsnfpError(f"{where}: not an association (a JSON object is needed)")
    products = data.get("products")
    if not isinstance(products, list):
        raise AsnfpError(f"{where}: not an association (no 'products' list)")
    for i, product in enumerate(products):
        if not isinstance(product, dict) or not isinstance(product.get("members"), list):
            raise AsnfpError(f"{where}: product {i + 1} has no 'members' list")
        for j, member in enumerate(product["members"]):
            if not isinstance(member, dict):
                raise AsnfpError(f"{where}: product {i + 1}, member {j + 1} is not an object")
            for key in ("expname", "exptype"):
                if key in member and not isinstance(member[key], str):
                    raise AsnfpError(f"{where}: product {i + 1}, member {j + 1}: {key!r} is not a string "
                                     f"(it is {_shown_value(member[key])})")
    return data


def _shown_value(value: object) -> str:
    text = msgspec.json.encode(value).decode() if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def read_object(path: Path) -> JsonObject:
    """Read an association file as a plain JSON object, keys in the file's order.

    Raises :class:`AsnfpError` (one line) for what is not a regular file within
    :data:`~asnfp.reading.ASN_BYTES`, invalid JSON, nesting deeper than
    :data:`~asnfp.reading.MAX_DEPTH` (checked before anything walks it), or a value
    that :func:`checked_object` refuses.

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
    where = shown_path(str(path))
    try:
        raw = read_bounded(path, ASN_BYTES, what="association file")
    except OSError as err:
        raise AsnfpError(f"{where}: cannot read ({err.strerror})") from None
    try:
        data = decode_json(raw)
    except msgspec.DecodeError as err:
        raise AsnfpError(f"{where}: not JSON ({err})") from None
    except BoundExceeded as err:
        raise AsnfpError(f"{where}: {err}") from None
    return checked_object(data, str(path))


def dumps_object(data: JsonObject) -> bytes:
    """Encode a JSON object as the reference writes association files, keys as given.

    >>> dumps_object({"b": 1, "a": [chr(233)]})
    b'{\\n    "b": 1,\\n    "a": [\\n        "\\\\u00e9"\\n    ]\\n}'
    """
    return dumps_json(data)


def write_atomic(path: Path, data: bytes, inputs: Sequence[str] = ()) -> None:
    """Write ``data`` to ``path`` through a :class:`~asnfp.transaction.Transaction`, so a
    failure leaves the old file (if any) as it was; ``path`` may not be one of ``inputs``.

    >>> p = Path(tempfile.mkdtemp()) / "x.json"
    >>> write_atomic(p, b"{}"); p.read_bytes(), os.listdir(p.parent)
    (b'{}', ['x.json'])
    """
    from asnfp.transaction import write_file

    write_file(path, data, inputs=inputs)


def resolve_name(name: str) -> str:
    """The path the reference means by a command-line name: variables and ``~`` expanded,
    made absolute, symbolic links resolved.

    >>> resolve_name("/a/b/../c.fits")
    '/a/c.fits'
    """
    return str(Path(os.path.expandvars(name)).expanduser().resolve())


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register ``asnfp edit`` (the flags of ``asn_edit``).

    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> _ = add_parser(sub)
    >>> a = p.parse_args(["edit", "x.json", "-r", "-i", "f.fits"]); a.remove, a.ignore, a.exptype, a.filenames
    (True, True, 'science', ['f.fits'])
    """
    p = subparsers.add_parser(
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


def run(args: argparse.Namespace) -> int:
    """Edit the association as ``args`` ask; warn (one line) about names not found."""
    source = Path(resolve_name(args.association))
    if source.suffix != ".json":
        raise AsnfpError(f"{shown_path(args.association)}: not an association file (a .json name is needed)")
    output = Path(args.output) if args.output else Path(args.association)
    if output.suffix != ".json":
        raise AsnfpError(f"{shown_path(str(output))}: only .json output is supported")
    data = read_object(source)
    resolved = [resolve_name(name) for name in args.filenames]
    missing: list[str] = []
    if args.add:
        data = add_members(data, resolved, args.exptype)
    elif args.remove:
        data, missing = remove_members(data, resolved, args.ignore)
    write_atomic(output, dumps_object(data), inputs=args.filenames)  # (never over a file it names)
    if missing:  # (after the write: a run that fails says one line, its error)
        given = dict(zip(resolved, args.filenames))
        names = ",".join(shown_path(given[m]) for m in missing)
        print(f"asnfp: warning: not in the association, nothing removed for: {names}", file=sys.stderr)
    return 0
