"""Association files: msgspec Structs in the reference's key order, JSON and YAML.

The JSON text is the reference's byte for byte (4-space indent, ``": "`` and ``","``
separators, ASCII escapes, no trailing newline): one reused encoder, then
:func:`msgspec.json.format`. YAML is written with sorted keys, as the reference's
``yaml.dump`` writes it.

>>> f = Level2File(asn_type="image2", asn_rule="R", program="00001", asn_id="o001", asn_pool="p.csv",
...                target="1", products=[FileProduct("x", [FileMember("x_rate.fits", "science", None)])])
>>> decode_json(dumps_json(f)).products[0].members[0].expname
'x_rate.fits'
>>> dumps_json(f).endswith(b"}")
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import msgspec

from asnfp.association import Association, Member
from asnfp.constraints import described
from asnfp.errors import AsnfpError, PoolError, UnsafeName, on_one_line, shown_path
from asnfp.naming import association_file_stem, plain_name
from asnfp.reading import ASN_BYTES, TOO_DEEP, BoundExceeded, load_yaml, read_bounded
from asnfp.version import __version__

__all__ = (
    "DEGRADED_NOT_OK",
    "DEGRADED_OK",
    "AssociationFile",
    "FileMember",
    "FileProduct",
    "Level2File",
    "Level3File",
    "decode_json",
    "dumps_json",
    "dumps_yaml",
    "encode",
    "file_name",
    "load_asn",
    "serialize",
    "to_file",
)

DEGRADED_OK: Final = "No known degraded exposures in association."
DEGRADED_NOT_OK: Final = (
    "One or more members have an error associated with them."
    "\nDetails can be found in the member.exposerr attribute."
)


class FileMember(msgspec.Struct, omit_defaults=False):
    """A member as written: Level-3 members also carry ``asn_candidate``."""

    expname: str
    exptype: str
    exposerr: str | msgspec.UnsetType | None = msgspec.UNSET  # absent: not written
    asn_candidate: str | msgspec.UnsetType = msgspec.UNSET


class FileProduct(msgspec.Struct):
    """A product as written."""

    name: str
    members: list[FileMember]


class Level2File(msgspec.Struct, kw_only=True):
    """A Level-2b association file, fields in the reference's order."""

    asn_type: str
    asn_rule: str
    version_id: str | None = None
    code_version: str = __version__
    degraded_status: str = DEGRADED_OK
    program: str = "noprogram"
    constraints: str = "No constraints"
    asn_id: str = "a3001"
    asn_pool: str = "none"
    target: str | msgspec.UnsetType = "none"  # UNSET: not written (asn_from_list's Level 2b)
    products: list[FileProduct] = []


class Level3File(msgspec.Struct, kw_only=True):
    """A Level-3 association file, fields in the reference's order."""

    asn_type: str
    asn_rule: str
    version_id: str | None = None
    code_version: str = __version__
    degraded_status: str = DEGRADED_OK
    program: str = "noprogram"
    constraints: str = "No constraints"
    asn_id: str = "a3001"
    target: str = "none"
    asn_pool: str = "none"
    products: list[FileProduct] = []


AssociationFile = Level2File | Level3File

_ENCODER: Final = msgspec.json.Encoder()
_DECODER: Final = msgspec.json.Decoder(Level3File)


def _file_member(member: Member, level: int) -> FileMember:
    if level == 3:
        return FileMember(member.expname, member.exptype, member.exposerr,
                          member.asn_candidate if member.asn_candidate is not None else msgspec.UNSET)
    return FileMember(member.expname, member.exptype, member.exposerr)


def to_file(asn: Association, rule_name: str) -> AssociationFile:
    """Build the file Struct of an association (``rule_name`` is its ``asn_rule``).

    >>> from asnfp.association import Product
    >>> from asnfp.jwst.level3 import LEVEL3
    >>> member = Member("x_cal.fits", "science", None, "o001")
    >>> asn = Association(rule=LEVEL3, ruleset=None, products=(Product("p", (member,)),))
    >>> f = to_file(asn, "candidate_Level3")
    >>> type(f).__name__, f.asn_rule, f.asn_type, f.products[0].members[0].asn_candidate
    ('Level3File', 'candidate_Level3', 'image3', 'o001')
    """
    level = asn.rule.level
    products = [FileProduct(p.name, [_file_member(m, level) for m in p.members]) for p in asn.products]
    fields: dict[str, Any] = dict(
        asn_type=asn.rule.asn_type,
        asn_rule=rule_name,
        version_id=asn.version_id,
        degraded_status=DEGRADED_NOT_OK if asn.degraded else DEGRADED_OK,
        program=asn.program,
        constraints=described(asn.rule.constraint),
        asn_id=asn.asn_id,
        asn_pool=asn.asn_pool,
        target=asn.target,
        products=products,
    )
    return Level3File(**fields) if level == 3 else Level2File(**fields)


def _ascii(text: bytes) -> bytes:
    """JSON text with every character outside printable ASCII escaped, as Python's
    ``json.dumps`` escapes it (msgspec leaves DEL, 0x7f, and non-ASCII raw)."""
    if b"\x7f" in text:  # only ever inside a string: JSON's own syntax is printable
        text = text.replace(b"\x7f", b"\\u007f")
    if text.isascii():
        return text
    out = []
    for char in text.decode("utf-8"):
        code = ord(char)
        if code < 128:
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "".join(out).encode("ascii")


def dumps_json(asn_file: AssociationFile | dict[str, Any]) -> bytes:
    """Encode an association file (a Struct, or a decoded file kept as a ``dict`` in its
    own key order) as the reference writes it (no trailing newline).

    >>> data = dumps_json(Level2File(asn_type="image2", asn_rule="R", target=chr(233)))
    >>> data.splitlines()[:3], data.endswith(b"}"), data.isascii(), decode_json(data).target == chr(233)
    ([b'{', b'    "asn_type": "image2",', b'    "asn_rule": "R",'], True, True, True)
    >>> dumps_json({"target": "t" + chr(0x7F) + chr(0x1F)}).split(b": ")[1]
    b'"t\\\\u007f\\\\u001f"\\n}'
    >>> dumps_json({"target": "t" + chr(0xDCFF)}).split(b": ")[1]  # a lone surrogate
    b'"t\\\\udcff"\\n}'
    """
    try:
        return _ascii(msgspec.json.format(_ENCODER.encode(asn_file), indent=4))
    except UnicodeEncodeError:  # a lone surrogate (from a name that was not UTF-8): msgspec cannot
        return _python_json(asn_file)


def _python_json(asn_file: AssociationFile | dict[str, Any]) -> bytes:
    """The reference's own writer, ``json.dumps`` (ASCII escapes, ``\\udcff`` for a lone
    surrogate): the slow path, for text msgspec cannot encode."""
    import json

    data = asn_file if isinstance(asn_file, dict) else msgspec.to_builtins(asn_file)
    return json.dumps(data, indent=4, separators=(",", ": ")).encode("ascii")


def dumps_yaml(asn_file: AssociationFile) -> bytes:
    """Encode an association file as YAML with sorted keys (the reference's layout).

    >>> print(dumps_yaml(Level2File(asn_type="image2", asn_rule="R")).decode().splitlines()[0])
    asn_id: a3001
    """
    import yaml  # here: its import takes 10 ms that JSON never needs

    data = msgspec.to_builtins(asn_file)
    return yaml.dump(data, default_flow_style=False).encode("utf-8")


def decode_json(data: bytes | str) -> Level3File:
    """Decode association JSON into a Struct (Level-2 files decode too).

    >>> f = decode_json(b'{"asn_type": "image2", "asn_rule": "R", "asn_id": "o001"}')
    >>> type(f).__name__, f.asn_id, f.products
    ('Level3File', 'o001', [])
    >>> decode_json(b'{"asn_rule": "R"}')
    Traceback (most recent call last):
      ...
    msgspec.ValidationError: Object missing required field `asn_type`
    """
    return _DECODER.decode(data)


def file_name(asn: Association, fmt: str = "json") -> str:
    """The association's file name: ``jw{program}-{acid}[_{version}]_{type}_{nnnnn}_asn.json``.

    >>> from msgspec.structs import replace
    >>> from asnfp.jwst.level2 import LEVEL2
    >>> asn = Association(rule=LEVEL2, ruleset=None, program="01234", asn_id="o001", sequence=2)
    >>> file_name(asn), file_name(replace(asn, version_id="V1"), "yaml"), file_name(replace(asn, name_override="mine"))
    ('jw01234-o001_image2_00002_asn.json', 'jw01234-o001_v1_image2_00002_asn.yaml', 'mine.json')
    """
    if asn.name_override:
        stem = asn.name_override
    else:
        stem = association_file_stem(asn.program, asn.asn_id, asn.rule.asn_type, asn.sequence,
                                     asn.version_id)
    try:
        return plain_name(f"{stem}.{fmt}")
    except UnsafeName as err:
        raise _blamed(asn, err) from None


def _blamed(asn: Association, err: UnsafeName) -> AsnfpError:
    """The error for an association whose file name is not plain: naming the pool's row
    and column that the bad part of the name came from, where one of its rows has it."""
    parts = (("program", asn.program), ("asn_candidate", asn.asn_id))
    for column, part in parts:
        reason = _impurity_of(part)
        if reason is None:
            continue
        rows = [m.row for p in asn.products for m in p.members
                if m.row is not None and _holds(m.row.cells.get(column, ""), part)]
        if rows:
            first = min(rows, key=lambda r: r.index)
            return PoolError(first.meta.file, f"{part!r} cannot be part of a file name: {reason}",
                             row=first.index + 1, column=column)
        return AsnfpError(f"{part!r} ({column}) cannot be part of a file name: {reason}")
    return err


def _holds(cell: str, part: str) -> bool:
    """Whether a cell gave ``part`` of a name (as it is, or padded, as a program is)."""
    cell, part = cell.lower(), part.lower()
    return bool(cell) and (part in cell or (cell in part and _impurity_of(cell) is not None))


def _impurity_of(part: str) -> str | None:
    try:
        plain_name(part if part not in (".", "") else f"x{part}")
    except UnsafeName as err:
        return err.reason
    return None


def serialize(asn: Association, rule_name: str, fmt: str = "json") -> tuple[str, bytes]:
    """Return ``(file name, bytes)`` of an association in ``json`` or ``yaml``.

    >>> from asnfp.jwst.level2 import LEVEL2
    >>> asn = Association(rule=LEVEL2, ruleset=None, program="01234", asn_id="o001", sequence=1)
    >>> name, data = serialize(asn, "candidate_Level2", "yaml")
    >>> name, data.splitlines()[0], serialize(asn, "R")[0]
    ('jw01234-o001_image2_00001_asn.yaml', b'asn_id: o001', 'jw01234-o001_image2_00001_asn.json')
    >>> serialize(asn, "R", "xml")
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: unknown association format 'xml' (use json or yaml)
    """
    data = encode(asn, rule_name, fmt)
    return file_name(asn, fmt), data


def encode(asn: Association, rule_name: str, fmt: str = "json") -> bytes:
    """Return the bytes of an association's file in ``json`` or ``yaml`` (its name is
    :func:`file_name`'s).

    >>> from asnfp.jwst.level2 import LEVEL2
    >>> encode(Association(rule=LEVEL2, ruleset=None, program="01234", asn_id="o001"), "R").splitlines()[1]
    b'    "asn_type": "image2",'
    """
    asn_file = to_file(asn, rule_name)
    if fmt == "json":
        return dumps_json(asn_file)
    if fmt == "yaml":
        return dumps_yaml(asn_file)
    raise AsnfpError(f"unknown association format {fmt!r} (use json or yaml)")


def load_asn(path: str | os.PathLike[str]) -> Level3File:
    """Read and validate an association file, JSON or YAML: a regular file within
    :data:`~asnfp.reading.ASN_BYTES`, nesting and YAML aliases bounded
    (:mod:`asnfp.reading`); else a one-line :class:`AsnfpError`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a_asn.json"
    >>> _ = p.write_bytes(dumps_json(Level3File(asn_type="image3", asn_rule="R", products=[FileProduct("p", [])])))
    >>> load_asn(p).products[0].name
    'p'
    >>> _ = p.write_bytes(b'{"x": ' + b"[" * 5000)
    >>> load_asn(p)  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: ...a_asn.json: not an association file
        (nests deeper than 64 levels (an association file nests 5))
    """
    file = Path(path)
    where = shown_path(str(file))
    try:
        data = read_bounded(file, ASN_BYTES, what="association file")
    except OSError as err:
        raise AsnfpError(f"{where}: cannot read ({err.strerror})") from None
    if file.suffix.lower() in (".yaml", ".yml"):
        import yaml  # here: its import takes 10 ms that JSON never needs

        try:
            return msgspec.convert(load_yaml(data), Level3File)
        except (msgspec.ValidationError, yaml.YAMLError, BoundExceeded) as err:
            raise AsnfpError(f"{where}: not an association file ({on_one_line(err)})") from None
        except UnicodeEncodeError:  # a key msgspec cannot take: a lone surrogate ("\ud800")
            raise AsnfpError(f"{where}: not an association file (a key holds a lone surrogate, "
                             "which is not text)") from None
    try:
        return decode_json(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise AsnfpError(f"{where}: not an association file ({err})") from None
    except RecursionError:
        raise AsnfpError(f"{where}: not an association file ({TOO_DEEP})") from None

