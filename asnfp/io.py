"""Association files: msgspec Structs in the reference's key order, JSON and YAML.

The JSON text is the reference's byte for byte (4-space indent, ``": "`` and ``","``
separators, ASCII escapes, no trailing newline): one reused encoder, then
:func:`msgspec.json.format`. YAML is written with sorted keys, as the reference's
``yaml.dump`` writes it.

:func:`load_asn` reads a file as the reference's ``load_asn`` does (its text as JSON,
else as YAML) into a :class:`LoadedAsn`: the ``dict`` of the file as written, read-only,
with typed attributes. The file Structs and generated associations index the same way
(:class:`~asnfp.association.Indexable`), so ``asn["products"][0]["members"][0]["expname"]``
reads any of them.

>>> f = Level2File(asn_type="image2", asn_rule="R", program="00001", asn_id="o001", asn_pool="p.csv",
...                target="1", products=[FileProduct("x", [FileMember("x_rate.fits", "science", None)])])
>>> decode_json(dumps_json(f)).products[0].members[0].expname
'x_rate.fits'
>>> dumps_json(f).endswith(b"}")
True
>>> asn = load_asn(dumps_json(f))
>>> asn["products"][0]["members"][0]["expname"], asn["target"], asn.asn_id, dict(asn) == dict(f)
('x_rate.fits', '1', 'o001', True)
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Generic, Protocol, TypeVar, cast, overload

import msgspec

from asnfp.association import DEGRADED_NOT_OK, DEGRADED_OK, Association, Indexable, JsonValue, Member
from asnfp.constraints import described
from asnfp.errors import AsnfpError, PoolError, UnsafeName, on_one_line, shown_path
from asnfp.naming import association_file_stem, plain_name
from asnfp.reading import ASN_BYTES, TOO_DEEP, BoundExceeded, bound_bytes, check_depth, load_yaml, read_bounded
from asnfp.version import __version__

__all__ = (
    "DEGRADED_NOT_OK",
    "DEGRADED_OK",
    "AssociationFile",
    "FileMember",
    "FileProduct",
    "Level2File",
    "Level3File",
    "LoadedAsn",
    "Readable",
    "AsnSource",
    "decode_json",
    "dumps_json",
    "dumps_yaml",
    "encode",
    "file_name",
    "load_asn",
    "serialize",
    "to_file",
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


class _StructFields(Indexable):
    """Indexing of a file Struct: its fields but those ``UNSET`` (not written), each value
    as :func:`msgspec.to_builtins` makes it (what the file holds)."""

    __slots__ = ()

    def _file_keys(self) -> tuple[str, ...]:
        names = cast("msgspec.Struct", self).__struct_fields__
        return tuple(name for name in names if getattr(self, name) is not msgspec.UNSET)

    def _file_value(self, key: str) -> object:
        value: object = msgspec.to_builtins(getattr(self, key))
        return value


class Level2File(msgspec.Struct, _StructFields, kw_only=True):
    """A Level-2b association file, fields in the reference's order. Indexed, it is the
    ``dict`` of the file it encodes to (:class:`~asnfp.association.Indexable`).

    >>> f = Level2File(asn_type="image2", asn_rule="R", target=msgspec.UNSET)
    >>> f["asn_type"], "target" in f, list(f)[-2:]
    ('image2', False, ['asn_pool', 'products'])
    """

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


class Level3File(msgspec.Struct, _StructFields, kw_only=True):
    """A Level-3 association file, fields in the reference's order. Indexed, it is the
    ``dict`` of the file it encodes to (:class:`~asnfp.association.Indexable`).

    >>> f = Level3File(asn_type="image3", asn_rule="R", products=[FileProduct("p", [FileMember("a", "science")])])
    >>> f["products"], list(f)[-3:]
    ([{'name': 'p', 'members': [{'expname': 'a', 'exptype': 'science'}]}], ['target', 'asn_pool', 'products'])
    """

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


def dumps_json(asn_file: AssociationFile | Mapping[str, object]) -> bytes:
    """Encode an association file (a Struct, or a decoded file kept as a ``dict`` or a
    :class:`LoadedAsn`, in its own key order) as the reference writes it (no trailing
    newline).

    >>> data = dumps_json(Level2File(asn_type="image2", asn_rule="R", target=chr(233)))
    >>> data.splitlines()[:3], data.endswith(b"}"), data.isascii(), decode_json(data).target == chr(233)
    ([b'{', b'    "asn_type": "image2",', b'    "asn_rule": "R",'], True, True, True)
    >>> dumps_json({"target": "t" + chr(0x7F) + chr(0x1F)}).split(b": ")[1]
    b'"t\\\\u007f\\\\u001f"\\n}'
    >>> dumps_json({"target": "t" + chr(0xDCFF)}).split(b": ")[1]  # a lone surrogate
    b'"t\\\\udcff"\\n}'
    """
    if isinstance(asn_file, Mapping) and not isinstance(asn_file, dict):
        asn_file = dict(asn_file)
    try:
        return _ascii(msgspec.json.format(_ENCODER.encode(asn_file), indent=4))
    except UnicodeEncodeError:  # a lone surrogate (from a name that was not UTF-8): msgspec cannot
        return _python_json(asn_file)


def _python_json(asn_file: AssociationFile | Mapping[str, object]) -> bytes:
    """The reference's own writer, ``json.dumps`` (ASCII escapes, ``\\udcff`` for a lone
    surrogate): the slow path, for text msgspec cannot encode."""
    import json

    data = dict(asn_file) if isinstance(asn_file, Mapping) else msgspec.to_builtins(asn_file)
    return json.dumps(data, indent=4, separators=(",", ": ")).encode("ascii")


def dumps_yaml(asn_file: AssociationFile | Mapping[str, object]) -> bytes:
    """Encode an association file (a Struct, a ``dict`` or a :class:`LoadedAsn`) as YAML
    with sorted keys (the reference's layout).

    >>> print(dumps_yaml(Level2File(asn_type="image2", asn_rule="R")).decode().splitlines()[0])
    asn_id: a3001
    """
    import yaml  # here: its import takes 10 ms that JSON never needs

    data = dict(asn_file) if isinstance(asn_file, Mapping) else msgspec.to_builtins(asn_file)
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


# --- reading association files ------------------------------------------------------------

T = TypeVar("T")


class _Typed(Generic[T]):
    """A typed attribute of a :class:`LoadedAsn`: the field of its :attr:`~LoadedAsn.file`."""

    __slots__ = ("name",)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _Typed[T]: ...

    @overload
    def __get__(self, obj: LoadedAsn, owner: type | None = None) -> T: ...

    def __get__(self, obj: LoadedAsn | None, owner: type | None = None) -> T | _Typed[T]:
        if obj is None:
            return self
        value: T = getattr(obj.file, self.name)
        return value


def _thawed(value: object) -> object:
    """A copy of a read value: new lists and dicts, the same leaves (strings, numbers).
    Read values nest at most :data:`~asnfp.reading.MAX_DEPTH` deep."""
    if isinstance(value, dict):
        return {key: _thawed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_thawed(item) for item in value]
    return value


class LoadedAsn(Mapping[str, JsonValue]):
    """An association file as :func:`load_asn` read it: a read-only mapping of its keys
    and values as written (the value the reference's ``load_asn`` reads: Python's
    ``json``, or ``yaml.safe_load`` for a file that is not JSON), and its typed reading,
    :attr:`file` (a :class:`Level3File`; a Level-2 file reads as one too).

    Indexing goes all the way down (``asn["products"][0]["members"][0]["expname"]``);
    each access gives new lists and dicts, so changing them changes nothing here (change
    ``dict(asn)``, then :func:`dumps_json` it). The typed attributes are the file's
    fields: ``asn_type``, ``asn_rule``, ``version_id``, ``code_version``,
    ``degraded_status``, ``program``, ``constraints``, ``asn_id``, ``target``,
    ``asn_pool`` and ``products`` (of :class:`FileProduct`); a field the file lacks has
    its default (``target`` ``"none"``). It equals any mapping of the same keys and
    values, as a ``dict`` does (``load_asn(path) == json.load(open(path))``), but not a
    generated :class:`~asnfp.association.Association` (compare ``dict(asn)``); like a
    ``dict``, it cannot be hashed.

    >>> asn = load_asn(b'{"asn_type": "image3", "asn_rule": "R", "x": [1], '
    ...                b'"products": [{"name": "p", "members": [{"expname": "a_cal.fits", "exptype": "science"}]}]}')
    >>> asn["products"][0]["members"][0]["expname"], asn.products[0].members[0].expname, asn.target
    ('a_cal.fits', 'a_cal.fits', 'none')
    >>> list(asn), asn == {"asn_type": "image3", "asn_rule": "R", "x": [1], "products": asn["products"]}
    (['asn_type', 'asn_rule', 'x', 'products'], True)
    """

    __slots__ = ("_data", "file")

    asn_type: _Typed[str] = _Typed()
    asn_rule: _Typed[str] = _Typed()
    version_id: _Typed[str | None] = _Typed()
    code_version: _Typed[str] = _Typed()
    degraded_status: _Typed[str] = _Typed()
    program: _Typed[str] = _Typed()
    constraints: _Typed[str] = _Typed()
    asn_id: _Typed[str] = _Typed()
    target: _Typed[str] = _Typed()
    asn_pool: _Typed[str] = _Typed()
    products: _Typed[list[FileProduct]] = _Typed()

    def __init__(self, data: Mapping[str, object], file: Level3File) -> None:
        self._data = dict(data)
        self.file = file

    def __getitem__(self, key: str) -> JsonValue:
        return _thawed(self._data[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LoadedAsn):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (a mapping of lists, as a dict)

    def __repr__(self) -> str:
        return f"LoadedAsn({self._data!r})"


class Readable(Protocol):
    """A file object :func:`load_asn` reads: binary (UTF-8 bytes) or text."""

    def read(self, size: int = -1, /) -> bytes | str:
        """Up to ``size`` bytes or characters (all that is left when ``size`` is -1).

        >>> import io
        >>> isinstance(io.BytesIO(b"{}").read(), bytes)
        True
        """
        ...


#: What :func:`load_asn` reads: a path, a file object, or the document itself.
AsnSource = str | os.PathLike[str] | bytes | bytearray | Readable


class _Failed(msgspec.Struct, frozen=True):
    """Why a document gives no association: ``kind`` is ``text`` (not UTF-8), or why one
    reading (JSON or YAML) gives none: ``syntax``, ``bound`` (one of asnfp's reading
    bounds) or ``schema``."""

    message: str
    kind: str


# --- the reference's readings (load_asn here; validate's verdict in asnfp.tools.validate) ---


def _text(data: bytes | str) -> str | _Failed:
    """The text a pipeline reads from a file's bytes: strict UTF-8 (a BOM kept), universal
    newlines (a ``str`` is the text as it is); or why there is none.

    >>> _text(b"a\\r\\nb"), _text(b"\\xff")
    ('a\\nb', _Failed(message='not UTF-8 text (invalid start byte at byte 0)', kind='text'))
    """
    if isinstance(data, str):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return _Failed(f"not UTF-8 text ({err.reason} at byte {err.start})", "text")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _bounded(value: object) -> object:
    """``value`` if it nests within :data:`~asnfp.reading.MAX_DEPTH` (a :class:`_Failed`
    passes as it is), else why not."""
    try:
        check_depth(value)
    except BoundExceeded as err:
        return _Failed(str(err), "bound")
    return value


def _json_reading(data: bytes | str, text: str, *, bounded: bool = True) -> object:
    """The value Python's ``json`` makes of ``text``, ``data``'s text, or the
    :class:`_Failed` reason it makes none.

    msgspec reads ``data`` first: where it reads, it reads the same (bytes it accepts are
    UTF-8; newlines can only be whitespace there). What it refuses - and more than Python's
    ``json`` does: NaN, Infinity, lone surrogate escapes, numbers out of its range, deep
    nesting - Python's ``json`` reads. ``bounded``: the reading nests within
    :data:`~asnfp.reading.MAX_DEPTH` (deeper is a ``bound`` failure); else it nests as deep
    as Python's ``json`` follows, as the reference's reading does (deeper is not JSON).

    >>> _json_reading(b'{"x": NaN}', '{"x": NaN}'), _json_reading(b"[[[]]]", "[[[]]]")
    ({'x': nan}, [[[]]])
    >>> _json_reading(b"[" * 65 + b"]" * 65, "[" * 65 + "]" * 65).kind
    'bound'
    """
    try:
        value: object = msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError, UnicodeEncodeError):
        value = _python_json_reading(text, bounded)
    return _bounded(value) if bounded else value


def _python_json_reading(text: str, bounded: bool) -> object:
    import json  # here: reading asnfp's own files never needs it (1 ms of every start)

    try:
        value: object = json.loads(text)
        return value
    except RecursionError:
        return _Failed(TOO_DEEP, "bound") if bounded else _Failed("nests deeper than Python's json follows", "syntax")
    except ValueError as err:  # a JSONDecodeError, or an int of more than 4,300 digits
        return _Failed(on_one_line(err), "syntax")


def _yaml_reading(text: str) -> object:
    """The value ``yaml.safe_load`` makes of ``text``, within asnfp's bounds, or the
    :class:`_Failed` reason it makes none.

    >>> _yaml_reading("products: []\\n"), _yaml_reading("[").kind
    ({'products': []}, 'syntax')
    """
    try:
        return load_yaml(text)
    except BoundExceeded as err:
        return _Failed(str(err), "bound")
    except Exception as err:  # (the reference takes any failure as "not YAML")
        return _Failed(on_one_line(err), "syntax")


def _why_not(json_failed: _Failed, yaml_failed: _Failed) -> str:
    """One line for a document neither reading makes an association of."""
    for failed in (json_failed, yaml_failed):
        if failed.kind == "bound":
            return failed.message
    if json_failed.kind == "schema":
        return json_failed.message
    if yaml_failed.kind == "schema":
        return f"{yaml_failed.message} (read as YAML; not JSON: {json_failed.message})"
    return f"not JSON ({json_failed.message}) nor YAML ({yaml_failed.message})"


# --- the reference's Level-2b schema -------------------------------------------------------


#: What ``dict.get`` gives for a key the object does not hold.
_ABSENT: Final = object()
#: The top-level keys the Level-2b schema types as strings.
_STRING_KEYS: Final = ("asn_type", "asn_rule", "asn_pool", "program")
#: The member keys the schema requires of a member that is an object.
_MEMBER_KEYS: Final = ("expname", "exptype")
#: How messages name a decoded value's type (msgspec's words for JSON's types).
_TYPE_NAMES: Final = {str: "str", int: "int", float: "float", bool: "bool", type(None): "null",
                      list: "array", dict: "object"}


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _at(where: str) -> str:
    return f" - at `{where}`" if where != "$" else ""


def _expected(kind: str, value: object, where: str) -> str:
    return f"Expected `{kind}`, got `{_type_name(value)}`{_at(where)}"


def _missing(key: str, where: str) -> str:
    return f"Object missing required field `{key}`{_at(where)}"


def _strings_problem(obj: dict[object, object], keys: Sequence[str], where: str) -> str | None:
    """The first of ``keys`` that ``obj`` holds as something other than a string."""
    for key in keys:
        value = obj.get(key, "")
        if not isinstance(value, str):
            return _expected("str", value, f"{where}.{key}")
    return None


def _member_problem(member: dict[object, object], where: str) -> str | None:
    for key in _MEMBER_KEYS:
        if key not in member:
            return _missing(key, where)
    return _strings_problem(member, _MEMBER_KEYS, where)


def _members_problem(members: list[object], where: str) -> str | None:
    """The schema's rules for members: a member that is not an object passes here."""
    for j, member in enumerate(members):
        if isinstance(member, dict) and not (isinstance(member.get("expname"), str)
                                             and isinstance(member.get("exptype"), str)):
            return _member_problem(member, f"{where}.members[{j}]")
    return None


def _product_problem(product: object, i: int) -> str | None:
    if not isinstance(product, dict):
        return _expected("object", product, f"$.products[{i}]")
    if not isinstance(product.get("name", ""), str):
        return _strings_problem(product, ("name",), f"$.products[{i}]")
    members = product.get("members", _ABSENT)
    if members is _ABSENT:
        return _missing("members", f"$.products[{i}]")
    if not isinstance(members, list):
        return _expected("array", members, f"$.products[{i}].members")
    return _members_problem(members, f"$.products[{i}]") if members else None


def _products_problem(asn: dict[object, object]) -> str | None:
    products = asn.get("products", _ABSENT)
    if products is _ABSENT:
        return _missing("products", "$")
    if not isinstance(products, list):
        return _expected("array", products, "$.products")
    for i, product in enumerate(products):
        problem = _product_problem(product, i)
        if problem is not None:
            return problem
    return None


def _schema_problem(value: object) -> str | None:
    """Why a reading does not meet the reference's Level-2b schema (the looser of its two),
    in one line naming the field by its ``$`` path, or ``None`` when it does: an object
    with a ``products`` array; each product an object with a ``members`` array (and a
    string ``name`` if any); each member that is an object with string ``expname`` and
    ``exptype``; ``asn_type``, ``asn_rule``, ``asn_pool`` and ``program`` strings where
    given.

    >>> _schema_problem({"products": [{"members": ["a_cal.fits"]}]}) is None
    True
    >>> _schema_problem({"asn_type": 1.5, "products": []})
    'Expected `str`, got `float` - at `$.asn_type`'
    """
    if not isinstance(value, dict):
        return _expected("object", value, "$")
    problem = _strings_problem(value, _STRING_KEYS, "$")
    return problem if problem is not None else _products_problem(value)


# --- load_asn's reading ----------------------------------------------------------------------


def _typed(value: object) -> Level3File | str:
    """The typed reading of a decoded file, or in one line why there is none (a member
    that is not an object fails here, as the reference's ``load_asn`` fails on it)."""
    try:
        typed = msgspec.convert(value, Level3File)
    except msgspec.ValidationError as err:
        return on_one_line(err)
    except UnicodeEncodeError:  # a key msgspec cannot take: a lone surrogate ("\ud800")
        return "a key holds a lone surrogate, which is not text"
    if "products" not in cast("dict[str, object]", value):  # (the Struct has a default)
        return "Object missing required field `products`"
    return typed


def _failure(value: object) -> _Failed:
    """A reading that does not meet the schema, as a failure (its typed reading's words)."""
    if isinstance(value, _Failed):
        return value
    typed = _typed(value)
    return _Failed(typed if isinstance(typed, str) else "not an association", "schema")


def _holds_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_holds_float(item) for item in value.values())
    return isinstance(value, list) and any(_holds_float(item) for item in value)


def _reading(data: bytes | str) -> dict[str, object] | str:
    """The reference's reading of a document (its bytes, read as a file's text, or its
    text): JSON when that meets the schema, else YAML; or in one line why neither does.
    YAML is not tried where it would read what JSON read (a JSON reading that fails the
    schema and holds no float: YAML reads every other JSON value alike)."""
    text = _text(data)
    if isinstance(text, _Failed):
        return text.message
    json_reading = _json_reading(data, text)
    if _schema_problem(json_reading) is None:
        return cast("dict[str, object]", json_reading)
    json_failed = _failure(json_reading)
    if json_failed.kind == "schema" and not _holds_float(json_reading):
        return json_failed.message
    yaml_reading = _yaml_reading(text)
    if _schema_problem(yaml_reading) is None:
        return cast("dict[str, object]", yaml_reading)
    return _why_not(json_failed, _failure(yaml_reading))


def _is_document(text: str) -> bool:
    """Whether a ``str`` given to :func:`load_asn` is a document rather than a path: it
    holds a line break, or starts (after white space and a BOM) with ``{``."""
    return "\n" in text or "\r" in text or text.lstrip(" \t\ufeff").startswith("{")


def _read_source(source: AsnSource) -> tuple[str, bytes | str]:
    """Where a source is (as messages show it) and what it holds."""
    if isinstance(source, (bytes, bytearray)):
        return "<bytes>", bytes(source)
    if isinstance(source, str) and _is_document(source):
        return "<string>", source
    if isinstance(source, (str, os.PathLike)):
        where = shown_path(os.fspath(source))
        try:
            return where, read_bounded(source, ASN_BYTES, what="association file")
        except OSError as err:
            raise AsnfpError(f"{where}: cannot read ({err.strerror})") from None
    if not callable(getattr(source, "read", None)):
        raise TypeError(f"load_asn reads a path, a file object, bytes or a str, not {type(source).__name__}")
    name = getattr(source, "name", None)
    where = shown_path(name) if isinstance(name, str) else f"<{type(source).__name__}>"
    return where, _read_file_object(source, where)


def _read_file_object(source: Readable, where: str) -> bytes | str:
    """All a file object holds from its start (the reference seeks to it), within
    :data:`~asnfp.reading.ASN_BYTES`."""
    limit = bound_bytes(ASN_BYTES)
    try:
        seek = getattr(source, "seek", None)
        if seek is not None:
            with contextlib.suppress(OSError):  # a stream (io.UnsupportedOperation): read from where it is
                seek(0)
        data = source.read(limit + 1)
    except OSError as err:
        raise AsnfpError(f"{where}: cannot read ({err.strerror or on_one_line(err)})") from None
    if len(data) > limit:
        raise AsnfpError(f"{where}: has more bytes than the {limit:,}-byte bound for an association file "
                         f"(set {ASN_BYTES.variable} to change it)")
    return data


def load_asn(source: AsnSource) -> LoadedAsn:
    """Read an association file as the reference's ``load_asn`` does: its text as JSON
    (Python's ``json``), and when that is not JSON or does not meet the reference's
    schema, as YAML (``yaml.safe_load``), whatever the file's name.

    ``source`` is a path (``str`` or :class:`os.PathLike`), a file object (binary or
    text; read from its start, as the reference reads it), the file's ``bytes``, or a
    ``str`` holding the document. A ``str`` is a document when it holds a line break or
    starts with ``{`` (every JSON association does), and a path otherwise (the
    reference's ``load_asn`` takes a ``str`` as the document only). Bytes are read as a
    pipeline reads a file: strict UTF-8, universal newlines.

    The reading must also decode into the typed :class:`Level3File` (``asn_type``,
    ``asn_rule`` and product names given; every field of its type). A file is read
    only when regular and within :data:`~asnfp.reading.ASN_BYTES`; nesting and YAML
    aliases are bounded (:mod:`asnfp.reading`). Anything else is a one-line
    :class:`AsnfpError` naming the source.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a_asn.json"
    >>> _ = p.write_bytes(dumps_json(Level3File(asn_type="image3", asn_rule="R", products=[FileProduct("p", [])])))
    >>> load_asn(p)["products"], load_asn(str(p)).products[0].name, load_asn(p.read_text())["asn_rule"]
    ([{'name': 'p', 'members': []}], 'p', 'R')
    >>> with open(p, "rb") as fh: load_asn(fh) == load_asn(p)
    True
    >>> load_asn(b"asn_type: image2\\nasn_rule: R\\nproducts: [{name: p, members: []}]\\n").asn_type  # YAML
    'image2'
    >>> _ = p.write_bytes(b'{"x": ' + b"[" * 5000)
    >>> load_asn(p)  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: ...a_asn.json: not an association file
        (nests deeper than 64 levels (an association file nests 5))
    >>> load_asn(b'{"asn_type": "image2", "products": []}')
    Traceback (most recent call last):
      ...
    asnfp.errors.AsnfpError: <bytes>: not an association file (Object missing required field `asn_rule`)
    """
    where, data = _read_source(source)
    reading = _reading(data)
    if isinstance(reading, str):
        raise AsnfpError(f"{where}: not an association file ({reading})")
    typed = _typed(reading)
    if isinstance(typed, str):
        raise AsnfpError(f"{where}: not an association file ({typed})")
    return LoadedAsn(reading, typed)
