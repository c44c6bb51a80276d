"""Associations from a list of files: ``asnfp from-list``, the equivalent of ``asn_from_list``.

No pool is read and no constraint is checked: every file given becomes a science member
(or, from Python with ``with_exptype=True``, each ``(expname, exptype)`` pair a member of
that type). The rule (``-r``) decides the layout, as the reference's rule class does:

- a Level-3 rule (``DMS_Level3_Base``, the default, or any Level-3 rule of the catalogue
  such as ``Asn_Lv3Image``) puts every file in one product named by the caller;
- a Level-2 rule (``DMSLevel2bBase``, ``AsnMixin_Lv2Spectral`` or a Level-2 rule of the
  catalogue) makes one product per file, named by :func:`product_name_of`;
- ``Association``, the reference's root class, writes only a bare list of members.

Whatever the rule, the file holds the reference's placeholders (``asn_type`` ``"None"``,
``asn_id`` ``a3001``, ``program`` ``noprogram``, ...): the rule gives ``asn_rule`` and
the layout, and its validity checks (:attr:`asnfp.rule.Rule.validity`) decide whether the
association may be written at all. The bytes are the reference's but for ``code_version``
and ``constraints``.

>>> f = from_list(["jw1_cal.fits", "jw2_cal.fits"], product_name="mosaic")
>>> f.asn_rule, f.products[0].name, [m.expname for m in f.products[0].members]
('DMS_Level3_Base', 'mosaic', ['jw1_cal.fits', 'jw2_cal.fits'])
>>> [p.name for p in from_list(["d/jw1_rate.fits"], rule="Asn_Lv2Image").products]
['d/jw1']
>>> f = from_list([("jw1_cal.fits", "science"), ("jw2_cal.fits", "psf")], rule="Asn_Lv3AMI",
...               product_name="ami", with_exptype=True)
>>> [(m.expname, m.exptype) for m in f.products[0].members]
[('jw1_cal.fits', 'science'), ('jw2_cal.fits', 'psf')]
"""

from __future__ import annotations

import argparse
import importlib
import reprlib
from collections.abc import Sequence
from functools import cache
from typing import Final, TypeAlias

import msgspec

from asnfp.association import Association, Member, Product
from asnfp.errors import UsageError, shown_path
from asnfp.io import (
    FileMember,
    FileProduct,
    Level2File,
    Level3File,
    dumps_json,
    dumps_yaml,
)
from asnfp.naming import KNOWN_SUFFIXES
from asnfp.rule import Rule, replace
from asnfp.transaction import write_file
from asnfp.version import __version__

__all__ = (
    "BARE",
    "DEFAULT_ACID",
    "LEVEL2B",
    "LEVEL3",
    "BareFile",
    "add_parser",
    "encode",
    "from_list",
    "product_name_of",
    "rule_names",
    "run",
)

LEVEL3: Final = "DMS_Level3_Base"
LEVEL2B: Final = "DMSLevel2bBase"
BARE: Final = "Association"  # the reference's root class: a bare member list
DEFAULT_ACID: Final = "o999"
_LV2_SPECTRAL: Final = "AsnMixin_Lv2Spectral"  # a Level-2 base the reference's registry also holds
_ASN_TYPE: Final = "None"  # no rule sets its asn_type before a pool row comes: the string "None"
_CHOICES: Final = f"{LEVEL3}, {LEVEL2B}, {_LV2_SPECTRAL}, {BARE} or a rule that asnfp rules lists"
_UNDEFINED: Final = "undefined"  # a Level-2 product's name when its member is no science member

#: What ``from_list`` takes as one item: a file name, or (for ``with_exptype`` and the
#: reference's other readings, see :func:`from_list`) a tuple or list of strings.
_Item: TypeAlias = str | tuple[str, ...] | list[str]
_Pair: TypeAlias = tuple[str, str]  # (expname, exptype) as read from an item


class BareFile(msgspec.Struct, kw_only=True):
    """The file of the reference's root rule ``Association``: its four top-level values
    and the items, as given, under ``members`` (a tuple of items, or a tuple item, stays
    a tuple: YAML tags it ``!!python/tuple``, as the reference's ``yaml.dump`` does).

    >>> list(msgspec.to_builtins(BareFile(members=["a.fits", ("b.fits", "psf")])))
    ['asn_type', 'asn_rule', 'version_id', 'code_version', 'members']
    """

    asn_type: str = _ASN_TYPE
    asn_rule: str = BARE
    version_id: str | None = None
    code_version: str = __version__
    members: list[_Item] | tuple[_Item, ...] = []


@cache
def _rules() -> dict[str, Rule]:
    from asnfp.jwst import RULES, level2, level3  # the catalogue (15 ms to import)

    bases = {LEVEL3: level3.LEVEL3, LEVEL2B: level2.LEVEL2, _LV2_SPECTRAL: level2.LEVEL2}
    named = {name: replace(rule, name=name) for name, rule in bases.items()}
    return {**named, **{rule.name: rule for rule in RULES}}


def rule_names() -> tuple[str, ...]:
    """Every name ``-r`` takes, the names the reference's registry can write a file for:
    the bases, then the catalogue's rules.

    >>> names = rule_names()
    >>> names[:4], "Asn_Lv3Image" in names, len(names)
    (('Association', 'DMS_Level3_Base', 'DMSLevel2bBase', 'AsnMixin_Lv2Spectral'), True, 48)
    """
    return (BARE, *_rules())


def product_name_of(expname: str) -> str:
    r"""Name a Level-2 product after its file, as ``asn_from_list`` does (the reference
    builds ``Path(expname).parent / Path(expname).stem`` and passes it to
    ``jwst.lib.suffix.remove_suffix``). Three steps:

    1. **Read the name as a POSIX path** (Python 3.11's ``pathlib``): ``/`` separates
       folders; empty and ``.`` folders are dropped (``a//./b`` is ``a/b``), ``..`` is
       kept, a trailing ``/`` is dropped; exactly two leading slashes stay two, more
       become one; the empty name is ``.``. No other character is special.
    2. **Drop the extension** of the last part: from its last ``.``, unless that dot is
       its first or its last character (``x.fits`` gives ``x``, ``a.b.c`` gives ``a.b``,
       ``.x`` and ``x.`` stay; ``..x`` gives ``.``, which as a folder is then dropped).
    3. **Strip one pipeline suffix** as the regular expression
       ``^(?P<root>.+?)((?P<separator>_|-)(cal|rate|...))?$`` (no flags) matches at the
       start: the root is the shortest non-empty prefix whose rest is ``_`` or ``-`` and
       a known suffix (:data:`asnfp.naming.KNOWN_SUFFIXES`), or nothing. Case counts
       (``_CAL`` stays); a second suffix stays (``x_cal_rate`` gives ``x_cal``). As ``.``
       matches any character but a newline, and ``$`` also matches before a final
       newline: a name with a newline anywhere but at its very end is kept whole
       (``a\nb_cal``), a name that ends in one newline loses it (``x_cal\n`` gives
       ``x``, ``x\n`` gives ``x``), and ``\n`` alone, the empty name and a name ending in
       two newlines are kept. Every other character (space, tab, ``\r``, NUL, U+2028,
       a lone surrogate) is ordinary.

    >>> product_name_of("jw1_uncal.fits"), product_name_of("d//./jw2_rate.fits"), product_name_of("x.fits")
    ('jw1', 'd/jw2', 'x')
    >>> product_name_of("a\nb_cal.fits"), product_name_of("x_cal\n"), product_name_of("x_CAL.fits")
    ('a\nb_cal', 'x', 'x_CAL')
    >>> product_name_of(""), product_name_of("..x"), product_name_of("//a_cal.fits")
    ('.', '.', '//a')
    """
    return _strip_suffix(_without_extension(expname))


def _without_extension(path: str) -> str:
    """``str(Path(path).parent / Path(path).stem)``, as Python 3.11's pathlib gives it."""
    stripped = path.lstrip("/")
    slashes = len(path) - len(stripped)
    root = "//" if slashes == 2 else "/" if slashes else ""
    parts = [part for part in stripped.split("/") if part not in ("", ".")]
    if parts:
        stem = _stem(parts.pop())
        parts += [stem] if stem != "." else []
    return root + "/".join(parts) or "."


def _stem(name: str) -> str:
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _strip_suffix(name: str) -> str:
    """What the reference's suffix regex leaves as ``root`` (the name itself when it
    does not match)."""
    body = name.removesuffix("\n")
    if not body or "\n" in body:
        return name
    for at in range(1, len(body)):
        if body[at] in "_-" and body[at + 1:] in KNOWN_SUFFIXES:
            return body[:at]
    return body


def _written(pair: _Pair) -> FileMember:
    return FileMember(*pair, msgspec.UNSET)  # only expname and exptype are written


def _level2_product_name(pair: _Pair) -> str:
    """The reference names a Level-2 product after its science member, found by
    ``exptype.lower() == "science"``; a product without one is ``undefined``."""
    expname, exptype = pair
    return product_name_of(expname) if exptype.lower() == "science" else _UNDEFINED


# --- reading the items, as the reference's rule classes do ----------------------------------

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60
_SHOWN.maxtuple = _SHOWN.maxlist = 4
_NOT_A_NAME = "the reference splits a string into characters here"


def _bad_item(position: int, item: object, reason: str) -> UsageError:
    """One line that names the item (its ``repr``, shortened) and its index in ``files``."""
    return UsageError(f"files[{position}] {shown_path(_SHOWN.repr(item))}: {reason}")


def _kind(item: object) -> str:
    return "tuple" if isinstance(item, tuple) else "list" if isinstance(item, list) else type(item).__name__


def _a(item: object) -> str:
    kind = _kind(item)
    return f"{'an' if kind[:1].lower() in tuple('aeiou') else 'a'} {kind}"


def _strings(position: int, item: object, expname: object, exptype: object) -> _Pair:
    if not isinstance(expname, str):
        raise _bad_item(position, item, f"the file name (first element) is {_a(expname)}, not a str")
    if not isinstance(exptype, str):
        raise _bad_item(position, item, f"the exptype (second element) is {_a(exptype)}, not a str")
    return expname, exptype


def _count(item: tuple[object, ...] | list[object]) -> str:
    return f"this {_kind(item)} has {len(item)} element{'' if len(item) == 1 else 's'}"


def _level3_pair(position: int, item: object, with_exptype: bool) -> _Pair:
    """``DMS_Level3_Base``: a file name; with ``with_exptype``, a pair unpacked as
    ``expname, exptype = item`` (a tuple or a list of exactly two strings)."""
    if not with_exptype:
        if isinstance(item, str):
            return item, "science"
        if isinstance(item, (tuple, list)):
            raise _bad_item(position, item, f"a Level-3 rule takes a file name (str), not {_a(item)}: "
                                            "pass with_exptype=True for (expname, exptype) pairs")
        raise _bad_item(position, item, f"{_a(item)}, not a file name (str)")
    if isinstance(item, str):
        raise _bad_item(position, item, "with_exptype=True takes (expname, exptype) pairs, not a file "
                                        f"name ({_NOT_A_NAME})")
    if not isinstance(item, (tuple, list)):
        raise _bad_item(position, item, f"{_a(item)}, not an (expname, exptype) pair")
    if len(item) != 2:
        raise _bad_item(position, item, f"with_exptype=True takes (expname, exptype) pairs; {_count(item)}")
    return _strings(position, item, item[0], item[1])


def _level2_pair(position: int, item: object, with_exptype: bool) -> _Pair:
    """``DMSLevel2bBase``: a file name, or a tuple whose first element is the file name
    and, with ``with_exptype``, whose second is the exptype (``science`` when empty)."""
    if isinstance(item, str):
        if with_exptype:
            raise _bad_item(position, item, "with_exptype=True takes (expname, exptype) tuples, not a file "
                                            f"name ({_NOT_A_NAME})")
        return item, "science"
    if not isinstance(item, tuple):
        wanted = "an (expname, exptype) tuple" if with_exptype else "a file name (str) or a tuple"
        raise _bad_item(position, item, f"a Level-2 rule takes {wanted}, not {_a(item)}")
    if not item:
        raise _bad_item(position, item, "an empty tuple has no file name")
    if with_exptype and len(item) < 2:
        raise _bad_item(position, item, f"a Level-2 rule takes (expname, exptype) tuples; {_count(item)}")
    if not with_exptype:
        return _strings(position, item, item[0], "science")
    return _strings(position, item, item[0], item[1] or "science")


def _pairs(rule: Rule, files: Sequence[object], with_exptype: bool) -> list[_Pair]:
    read = _level2_pair if rule.level == 2 else _level3_pair
    return [read(position, item, with_exptype) for position, item in enumerate(files)]


def _verbatim(files: Sequence[object]) -> list[_Item] | tuple[_Item, ...]:
    """The items of the bare ``Association``, written as given: file names, or tuples or
    lists of them (the reference writes whatever it is given; asnfp takes strings only)."""
    items: list[_Item] = []
    for position, item in enumerate(files):
        if isinstance(item, str):
            items.append(item)
        elif isinstance(item, (tuple, list)) and all(isinstance(part, str) for part in item):
            items.append(tuple(item) if isinstance(item, tuple) else list(item))
        else:
            raise _bad_item(position, item, f"rule {BARE!r} writes file names (str), or tuples or lists "
                                            "of them, as given")
    return tuple(items) if isinstance(files, tuple) else items


def _rule(name: str) -> Rule:
    try:
        return _rules()[name]
    except KeyError:
        raise UsageError(f"unknown rule {name!r}: use {_CHOICES}") from None


def _candidate_type(acid: str) -> str:
    """The candidate type a Level-2 rule gives ``-i``: its first letter says which."""
    if acid.startswith("o"):
        return "observation"
    if acid.startswith("c"):
        return "background"
    raise UsageError(f"-i {shown_path(acid)}: invalid association id (must start with o, "
                     "an observation, or c, a background candidate)")


def _unpassed_check(rule: Rule, pairs: Sequence[_Pair], acid_type: str, product_name: str) -> str | None:
    """Add ``pairs`` (expname, exptype) as ``asn_from_list`` does and run ``rule``'s validity checks on each
    new member (Level 3: one product, checked before the member joins; Level 2: one
    product per file, checked after); return the first check no member passed, or
    ``None``. The association the checks see grows in place, as the reference's does (a
    new value per member would copy the product each time: n² for a list of n files)."""
    products: list[Product] = []
    asn = replace(Association(rule=rule, ruleset=None, acid_type=acid_type, started=True),
                  products=products)
    members: list[Member] = []
    passed = [False] * len(rule.validity)
    for pair in pairs:
        if rule.level == 2 or not products:
            members = []
            name = _level2_product_name(pair) if rule.level == 2 else product_name
            products.append(replace(Product(name), members=members))
        member = Member(*pair, None, None)
        if not rule.check_before_append:
            members.append(member)
        passed = [ok or check.test(asn, member) for ok, check in zip(passed, rule.validity, strict=True)]
        if rule.check_before_append:
            members.append(member)
        if all(passed):
            return None
    return next(check.name for ok, check in zip(passed, rule.validity, strict=True) if not ok)


def _check_validity(rule: Rule, pairs: Sequence[_Pair], acid_type: str, product_name: str,
                    acid_note: str = "") -> None:
    failed = _unpassed_check(rule, pairs, acid_type, product_name)
    if failed is not None:
        raise UsageError(f"rule {rule.name!r} makes an invalid association of these files"
                         f"{acid_note}: no member passes its validity check {failed!r} "
                         "(asn_from_list writes an empty file)")


def _level3(rule: Rule, files: Sequence[object], product_name: str | None, with_exptype: bool) -> Level3File:
    if product_name is None:
        raise UsageError(f"{rule.name} needs a product name (--product-name)")
    pairs = _pairs(rule, files, with_exptype)
    _check_validity(rule, pairs, "DISCOVERED", product_name)
    return Level3File(asn_type=_ASN_TYPE, asn_rule=rule.name,
                      products=[FileProduct(product_name, [_written(pair) for pair in pairs])])


def _level2(rule: Rule, files: Sequence[object], acid: str, with_exptype: bool) -> Level2File:
    acid_type = _candidate_type(acid)
    pairs = _pairs(rule, files, with_exptype)
    _check_validity(rule, pairs, acid_type, "", f" with -i {shown_path(acid)}")
    return Level2File(asn_type=_ASN_TYPE, asn_rule=rule.name, target=msgspec.UNSET,
                      products=[FileProduct(_level2_product_name(pair), [_written(pair)]) for pair in pairs])


def from_list(files: Sequence[str | tuple[str, ...] | list[str]], *, rule: str = LEVEL3,
              product_name: str | None = None, acid: str = DEFAULT_ACID,
              with_exptype: bool = False) -> Level2File | Level3File | BareFile:
    """Build the association file that the reference's ``asn_from_list(files, rule=RULE,
    product_name=..., acid=...)`` makes (and ``asn_from_list -r RULE`` writes).

    ``rule`` is any name of :func:`rule_names`. A Level-3 rule needs ``product_name`` and
    ignores ``acid``; a Level-2 rule ignores ``product_name`` and needs an ``acid`` that
    starts with ``o`` (an observation) or ``c`` (a background candidate), which is not
    written (``asn_id`` stays ``a3001``); ``Association`` ignores both. Bad input, and an
    association that fails one of its rule's validity checks (which the reference
    reports after emptying the output file), raise :class:`~asnfp.errors.UsageError`.

    Each item of ``files`` is read as the reference's rule class reads it:

    ===================  ===========================  ====================================
    rule                 ``with_exptype=False``       ``with_exptype=True``
    ===================  ===========================  ====================================
    Level 3              a file name (``science``)    a tuple or list of exactly two
                                                      strings, ``(expname, exptype)``
    Level 2              a file name (``science``),   a tuple of two strings or more:
                         or a tuple: its first        ``(expname, exptype, ...)``; an empty
                         string is the file name,     exptype is ``science``
                         the rest is not read
    ``Association``      a string, tuple or list of   the same (``with_exptype`` is not
                         strings, written as given    read)
    ===================  ===========================  ====================================

    The exptype is written as given and the validity checks see it (``has_science``
    wants ``science``, ``has_psf`` ``psf``; a Level-2 background candidate, ``acid``
    ``c...``, wants a member whose exptype is ``background`` in any case). A Level-2
    product takes its name from its member when the exptype is ``science`` in any case,
    else it is ``undefined``, as the reference names it. ``with_exptype=False`` is the
    reference's call without the keyword (its Level-2 rules read an exptype whenever the
    keyword is passed, even as ``False``). Everything else (a string where a pair is
    wanted, which the reference splits into characters; a pair of the wrong length; a
    list for a Level-2 rule; anything not a string where a string is read) raises a
    :class:`~asnfp.errors.UsageError` of one line naming the item and its index.

    >>> f = from_list(["a_uncal.fits", "b.fits"], rule=LEVEL2B, acid="o123")
    >>> f.asn_id, [p.name for p in f.products], f.target
    ('a3001', ['a', 'b'], UNSET)
    >>> f = from_list([("a_rate.fits", "science"), ("b_rate.fits", "background")], rule=LEVEL2B,
    ...               acid="c1000", with_exptype=True)
    >>> [(p.name, p.members[0].exptype) for p in f.products]
    [('a', 'science'), ('undefined', 'background')]
    >>> from_list(["a.fits", ("b.fits", "psf")], rule=BARE).members
    ['a.fits', ('b.fits', 'psf')]
    >>> from_list(["a.fits", "b.fits"], product_name="p", with_exptype=True)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    asnfp.errors.UsageError: files[0] 'a.fits': with_exptype=True takes (expname, exptype) pairs,
        not a file name (the reference splits a string into characters here)
    >>> from_list(["a.fits"], rule="Asn_Lv3AMI", product_name="p")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
      ...
    asnfp.errors.UsageError: rule 'Asn_Lv3AMI' makes an invalid association of these files:
        no member passes its validity check 'has_psf' (asn_from_list writes an empty file)
    """
    if not files:
        raise UsageError("no files given")
    if rule == BARE:
        return BareFile(members=_verbatim(files))
    found = _rule(rule)
    if found.level == 3:
        return _level3(found, files, product_name, with_exptype)
    return _level2(found, files, acid, with_exptype)


def encode(asn_file: Level2File | Level3File | BareFile, fmt: str = "json") -> bytes:
    """Encode an association file in ``json`` (the reference's bytes) or ``yaml``.

    >>> encode(from_list(["a.fits"], product_name="p"), "yaml").splitlines()[0]
    b'asn_id: a3001'
    >>> encode(from_list(["a.fits"], rule=BARE)).splitlines()[-4:]
    [b'    "members": [', b'        "a.fits"', b'    ]', b'}']
    >>> encode(from_list(["a.fits"], product_name="p"), "xml")
    Traceback (most recent call last):
      ...
    asnfp.errors.UsageError: unknown format 'xml' (use json or yaml)
    """
    if fmt == "json":
        return dumps_json(msgspec.to_builtins(asn_file) if isinstance(asn_file, BareFile) else asn_file)
    if fmt == "yaml":
        return _bare_yaml(asn_file) if isinstance(asn_file, BareFile) else dumps_yaml(asn_file)
    raise UsageError(f"unknown format {fmt!r} (use json or yaml)")


def _bare_yaml(bare: BareFile) -> bytes:
    """YAML as the reference writes it (sorted keys, block style); yaml has no types."""
    yaml = importlib.import_module("yaml")
    data = {name: getattr(bare, name) for name in bare.__struct_fields__}  # tuples stay tuples
    text: str = yaml.dump(data, default_flow_style=False)
    return text.encode("utf-8")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Register the ``from-list`` sub-command (the flags of ``asn_from_list``); returns it.

    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> args = add_parser(sub).parse_args(["-o", "out.json", "a.fits", "b.fits"])
    >>> args.output_file, args.format, args.rule, args.acid, args.filelist, args.command is run
    ('out.json', 'json', 'DMS_Level3_Base', 'o999', ['a.fits', 'b.fits'], True)
    """
    p: argparse.ArgumentParser = subparsers.add_parser(
        "from-list", help="an association from a list of files (as asn_from_list)",
        description="Create an association from a list of files, as asn_from_list does.")
    p.add_argument("-o", "--output-file", required=True, help="file to write the association to")
    p.add_argument("-f", "--format", default="json", help="json (default) or yaml")
    p.add_argument("--product-name", help="the product name (required for a Level-3 rule)")
    p.add_argument("-r", "--rule", default=LEVEL3,
                   help=f"the rule whose layout and asn_rule to write: {LEVEL3} (default), {_CHOICES}")
    p.add_argument("--ruledefs", action="append", help="not supported (asnfp runs no Python rule files)")
    p.add_argument("-i", "--id", default=DEFAULT_ACID, dest="acid",
                   help=f"candidate id for a Level-2 rule, oNNN or cNNNN (default: {DEFAULT_ACID})")
    p.add_argument("filelist", nargs="+", help="the files to include")
    p.set_defaults(command=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Write the association of ``args`` (from :func:`add_parser`) to ``-o``; returns 0.

    Everything is checked before the file is opened, so bad input writes nothing.

    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "l2.json"
    >>> ns = argparse.Namespace(output_file=str(out), format="json", product_name=None,
    ...                         rule=LEVEL2B, ruledefs=None, acid="o1", filelist=["x_rate.fits"])
    >>> run(ns), out.read_bytes().count(b'"name": "x"')
    (0, 1)
    """
    if args.ruledefs:
        raise UsageError("--ruledefs is not supported: asnfp cannot run the reference's Python "
                         f"rule files; -r takes {_CHOICES}")
    asn_file = from_list(args.filelist, rule=args.rule, product_name=args.product_name,
                         acid=args.acid)
    data = encode(asn_file, args.format)
    write_file(args.output_file, data, inputs=args.filelist)  # all of it or none, never over a member
    return 0
