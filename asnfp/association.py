"""Associations as values: a rule, its bindings, its products and members.

Offering a row to an association returns a new association (or the same one when the
row is refused); nothing is changed in place. The order of events when a row is taken
is the reference's: the first row initializes the association (``rule.on_create``), the
row becomes a member (``rule.make_member``), a member equal to one already in the
product (same ``expname`` and ``exptype``) is not added again, validity checks run on
the new member (before or after it is appended, by ``rule.check_before_append``), and
``rule.on_add`` refreshes what is derived (ids, target, product name, facts).

>>> from asnfp.constraints import attr, all_of
>>> from asnfp.row import make_row
>>> rule = Rule(name="R", asn_type="image2", level=2, constraint=attr("p", "program"),
...             make_member=lambda asn, row: Member(row["filename"], "science", None, None, row),
...             on_create=lambda asn, row: replace(asn, products=(Product("p"),)))
>>> taken, asn, _ = create(rule, None, make_row(0, {"program": "1", "filename": "a"}))
>>> taken, [m.expname for m in members(asn)]
(True, ['a'])
>>> offer(asn, make_row(1, {"program": "2", "filename": "b"}))[0]
False

An association also reads as the ``dict`` of its file (:class:`Indexable`): the keys and
values ``asnfp.io`` writes for it, as plain lists, dicts and strings, in the file's order.

>>> asn["products"][0]["members"][0]["expname"], asn["asn_type"], "asn_id" in asn, len(asn)
('a', 'image2', True, 11)
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, Sequence, ValuesView
from typing import Any, Final, TypeAlias, cast, overload

import msgspec
from immutables import Map
from msgspec.structs import replace

from asnfp.constraints import NO_BINDINGS, Bindings, Outcome, Request, always, described
from asnfp.product import Member, Product
from asnfp.row import Row
from asnfp.rule import Rule, is_valid
from asnfp.version import __version__

#: The empty persistent map (of any keys and values) that indexes start from.
EMPTY_MAP: Map[Any, Any] = Map()

#: ``degraded_status`` of an association none of whose members carries an error.
DEGRADED_OK: Final = "No known degraded exposures in association."
#: ``degraded_status`` of an association a member of which carries an error (``exposerr``).
DEGRADED_NOT_OK: Final = (
    "One or more members have an error associated with them."
    "\nDetails can be found in the member.exposerr attribute."
)

__all__ = (
    "Member",
    "Product",
    "Association",
    "Indexable",
    "JsonValue",
    "DEGRADED_OK",
    "DEGRADED_NOT_OK",
    "create",
    "offer",
    "members",
    "current_product",
    "is_valid",
    "member_rows",
    "rule_key",
    "qualified",
    "with_product_name",
    "keep_sticky",
    "Members",
    "settled",
)


#: A value of an association file as ``json.load`` gives it (a ``dict``, ``list``, ``str``,
#: number, ``bool`` or ``None``), typed as ``json.load`` types it, so that indexing goes all
#: the way down in a user's typed code too: ``asn["products"][0]["members"][0]["expname"]``.
#: The one ``Any`` of asnfp's public signatures; typed code that wants types reads the
#: attributes (``asn.products[0].members[0].expname``).
JsonValue: TypeAlias = Any


class Indexable:
    """Read-only ``dict`` access to the fields of an association file, as the reference's
    associations (a ``dict`` of the file's JSON) are used: ``asn[key]``, ``len(asn)``,
    ``key in asn``, iteration over the keys, ``keys()``, ``values()``, ``items()``,
    ``get()``, and so ``dict(asn)``. The keys are the file's, in its order. Each access
    builds its value afresh, as plain lists, dicts, strings and ``None`` (as
    ``json.load`` gives them): indexing goes all the way down, and changing what it gives
    changes nothing in the association. Nothing is computed until a value is asked for.

    A subclass says which keys it has (``_file_keys``) and builds the value of each
    (``_file_value``). Equality stays the subclass's own (an :class:`Association` equals
    only an association of the same fields, never a ``dict``): compare ``dict(asn)``
    with a ``dict``. An instance is always true, so that ``if asn:`` builds nothing.

    >>> a = Association(rule=_DEMO, ruleset=None, asn_id="o001")
    >>> a["asn_id"], a.get("nope", "-"), list(a)[:2], dict(a.items())["program"], a == dict(a)
    ('o001', '-', ['asn_type', 'asn_rule'], 'noprogram', False)
    >>> a["nope"]
    Traceback (most recent call last):
      ...
    KeyError: 'nope'
    """

    __slots__ = ()

    def _file_keys(self) -> tuple[str, ...]:
        """The keys of the file, in its order."""
        raise NotImplementedError

    def _file_value(self, key: str) -> object:
        """The value of ``key`` (one of :meth:`_file_keys`), built afresh."""
        raise NotImplementedError

    def __getitem__(self, key: str) -> JsonValue:
        if key not in self._file_keys():
            raise KeyError(key)
        return self._file_value(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._file_keys())

    def __len__(self) -> int:
        return len(self._file_keys())

    def __contains__(self, key: object) -> bool:
        return key in self._file_keys()

    def __bool__(self) -> bool:
        return True

    def _mapping(self) -> Mapping[str, JsonValue]:
        return cast("Mapping[str, JsonValue]", self)  # (the views only iterate, test and index it)

    def keys(self) -> KeysView[str]:
        """The keys, in the file's order.

        >>> list(Association(rule=_DEMO, ruleset=None).keys())[-3:]
        ['asn_pool', 'target', 'products']
        """
        return KeysView(self._mapping())

    def values(self) -> ValuesView[JsonValue]:
        """The values, in the file's order (each built as it is reached).

        >>> list(Association(rule=_DEMO, ruleset=None).values())[-3:]
        ['none', 'none', []]
        """
        return ValuesView(self._mapping())

    def items(self) -> ItemsView[str, JsonValue]:
        """The ``(key, value)`` pairs, in the file's order.

        >>> list(Association(rule=_DEMO, ruleset=None, program="00001").items())[5]
        ('program', '00001')
        """
        return ItemsView(self._mapping())

    def get(self, key: str, default: object = None) -> JsonValue:
        """The value of ``key``, or ``default`` when the file has no such key.

        >>> a = Association(rule=_DEMO, ruleset=None)
        >>> a.get("asn_type"), a.get("asn_name"), a.get("asn_name", "")
        ('demo', None, '')
        """
        return self._file_value(key) if key in self._file_keys() else default


class Association(msgspec.Struct, Indexable, frozen=True, kw_only=True):
    """An association: the rule it follows, what its constraint has fixed, and what it
    holds. ``slot`` is its creation number in its run; ``sequence`` its final number.
    ``filenames`` (the members' pool file names) and ``member_keys`` (the current
    product's members and their keys) are persistent maps, so that taking a row costs
    the same however many members there are; a finished fold drops them
    (:func:`settled`).

    Indexed, it is the ``dict`` of the file ``asnfp.io`` writes for it (:class:`Indexable`):
    ``asn_rule`` is ``{ruleset}_{rule}`` (:func:`qualified`), ``code_version`` asnfp's
    version and ``constraints`` asnfp's description of the rule's constraint.

    >>> member = Member("x", "science", None, "o001")
    >>> a = Association(rule=_DEMO, ruleset="candidate", products=(Product("p", (member,)),))
    >>> a["asn_rule"], a["products"], a.products[0].name
    ('candidate_Demo', [{'name': 'p', 'members': [{'expname': 'x', 'exptype': 'science', 'exposerr': None}]}], 'p')
    """

    rule: Rule
    ruleset: str | None
    bindings: Bindings = NO_BINDINGS
    products: tuple[Product, ...] = ()
    filenames: Map[str, None] = EMPTY_MAP
    member_keys: tuple[tuple[Member, ...], Map[tuple[str, str], None]] = ((), EMPTY_MAP)
    validity: tuple[bool, ...] = ()
    started: bool = False
    program: str = "noprogram"
    asn_id: str = "a3001"
    acid_type: str = "DISCOVERED"
    target: str = "none"
    asn_pool: str = "none"
    degraded: bool = False
    version_id: str | None = None
    slot: int = 0
    sequence: int = 0
    name_override: str | None = None

    def _file_keys(self) -> tuple[str, ...]:
        return _LEVEL3_KEYS if self.rule.level == 3 else _LEVEL2_KEYS

    def _file_value(self, key: str) -> object:
        return _WRITTEN[key](self)


#: The keys of a Level-2 (any level but 3) and of a Level-3 association file, in order.
_LEVEL2_KEYS: Final = ("asn_type", "asn_rule", "version_id", "code_version", "degraded_status", "program",
                       "constraints", "asn_id", "asn_pool", "target", "products")
_LEVEL3_KEYS: Final = (*_LEVEL2_KEYS[:8], "target", "asn_pool", "products")


def _written_member(member: Member, level3: bool) -> dict[str, object]:
    """A member as its file holds it: ``exposerr`` unless ``UNSET``; ``asn_candidate`` in
    Level-3 files, when it has one."""
    written: dict[str, object] = {"expname": member.expname, "exptype": member.exptype}
    if member.exposerr is not msgspec.UNSET:
        written["exposerr"] = member.exposerr
    if level3 and member.asn_candidate is not None:
        written["asn_candidate"] = member.asn_candidate
    return written


def _written_products(asn: Association) -> list[dict[str, object]]:
    level3 = asn.rule.level == 3
    return [{"name": p.name, "members": [_written_member(m, level3) for m in p.members]} for p in asn.products]


#: How each key of an association's file is written.
_WRITTEN: Final[dict[str, Callable[[Association], object]]] = {
    "asn_type": lambda asn: asn.rule.asn_type,
    "asn_rule": lambda asn: qualified(asn.ruleset, asn.rule),
    "version_id": lambda asn: asn.version_id,
    "code_version": lambda asn: __version__,
    "degraded_status": lambda asn: DEGRADED_NOT_OK if asn.degraded else DEGRADED_OK,
    "program": lambda asn: asn.program,
    "constraints": lambda asn: described(asn.rule.constraint),
    "asn_id": lambda asn: asn.asn_id,
    "asn_pool": lambda asn: asn.asn_pool,
    "target": lambda asn: asn.target,
    "products": _written_products,
}


def qualified(ruleset: str | None, rule: Rule) -> str:
    """The name a rule runs under (and writes as ``asn_rule``): ``{ruleset}_{rule}``.

    >>> qualified("candidate", _DEMO), qualified(None, _DEMO)
    ('candidate_Demo', 'Demo')
    """
    return f"{ruleset}_{rule.name}" if ruleset else rule.name


def rule_key(asn: Association) -> tuple[str | None, str]:
    """The identity of an association's rule within a run: (ruleset, rule name).

    >>> rule_key(Association(rule=_DEMO, ruleset="candidate")), rule_key(Association(rule=_DEMO, ruleset=None))
    (('candidate', 'Demo'), (None, 'Demo'))
    """
    return (asn.ruleset, asn.rule.name)


def current_product(asn: Association) -> Product:
    """Return the last product (the one rows are added to).

    >>> current_product(Association(rule=_DEMO, ruleset=None, products=(Product("a"), Product("b")))).name
    'b'
    """
    return asn.products[-1]


def members(asn: Association) -> tuple[Member, ...]:
    """Return the members of every product, in order.

    >>> a = Association(rule=_DEMO, ruleset=None, products=(Product("p", (Member("x", "science", None, None),)),
    ...                                                    Product("q", (Member("y", "science", None, None),))))
    >>> [m.expname for m in members(a)]
    ['x', 'y']
    """
    return tuple(m for p in asn.products for m in p.members)


def member_rows(asn: Association) -> tuple[Row, ...]:
    """Return the pool rows the members came from (the reference's ``from_items``).

    >>> from asnfp.row import make_row
    >>> p = Product("p", (Member("x", "science", None, None, make_row(4, {})), Member("y", "science", None, None)))
    >>> [r.index for r in member_rows(Association(rule=_DEMO, ruleset=None, products=(p,)))]
    [4]
    """
    return tuple(m.row for m in members(asn) if m.row is not None)


def with_product_name(asn: Association, name: str) -> Association:
    """Return ``asn`` with its current product renamed; ``asn`` is left as it was.

    >>> a = Association(rule=_DEMO, ruleset=None, products=(Product("a"), Product("b")))
    >>> [p.name for p in with_product_name(a, "c").products], [p.name for p in a.products]
    (['a', 'c'], ['a', 'b'])
    """
    *head, last = asn.products
    return replace(asn, products=(*head, replace(last, name=name)))


def _own(requests: tuple[Request, ...], asn: Association) -> tuple[Request, ...]:
    """Give every request that names no rules the rule that made it (as the reference)."""
    if all(r.rules is not None for r in requests):
        return requests
    own = (qualified(asn.ruleset, asn.rule),)
    return tuple(r if r.rules is not None else r._replace(rules=own) for r in requests)


def _validate(asn: Association, member: Member) -> Association:
    checks = asn.rule.validity
    done = asn.validity
    if all(done):
        return asn
    new = tuple(ok or check.test(asn, member) for ok, check in zip(done, checks))
    return asn if new == done else replace(asn, validity=new)


def _keys(asn: Association) -> Map[tuple[str, str], None]:
    """The keys of the current product's members (kept with the members they describe)."""
    members = current_product(asn).members
    known, keys = asn.member_keys
    if known is members:
        return keys
    return Map((m.key, None) for m in members)


class Members(Sequence[Member]):
    """The members of a product while it grows: a sequence that appends in constant time
    (a tuple copied at each append makes a product of n members cost n² to build, and
    the discovery run builds products of thousands). Full chunks of
    :data:`Members.CHUNK` members are shared by every later sequence; only the last,
    short chunk is copied. It equals the tuple of the same members; each fold gives its
    products back with plain tuples (:func:`settled`).

    >>> m = Members.of(("a", "b")).append("c")
    >>> len(m), m[-1], m[-1:], m == ("a", "b", "c"), tuple(m) + ("d",) == m + ("d",)
    (3, 'c', ('c',), True, True)
    """

    CHUNK: Final = 64
    __slots__ = ("_chunks", "_tail")

    def __init__(self, chunks: tuple[tuple[Member, ...], ...], tail: tuple[Member, ...]) -> None:
        self._chunks = chunks
        self._tail = tail

    @classmethod
    def of(cls, members: Iterable[Member]) -> Members:
        """The growing sequence of ``members``."""
        if isinstance(members, Members):
            return members
        items = tuple(members)
        cut = len(items) - len(items) % cls.CHUNK
        return cls(tuple(items[i:i + cls.CHUNK] for i in range(0, cut, cls.CHUNK)), items[cut:])

    def append(self, member: Member) -> Members:
        """A new sequence with ``member`` at the end; this one is left as it is."""
        tail = self._tail + (member,)
        if len(tail) == self.CHUNK:
            return Members(self._chunks + (tail,), ())
        return Members(self._chunks, tail)

    def __len__(self) -> int:
        return len(self._chunks) * self.CHUNK + len(self._tail)

    def __iter__(self) -> Iterator[Member]:
        for chunk in self._chunks:
            yield from chunk
        yield from self._tail

    @overload
    def __getitem__(self, index: int) -> Member: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Member, ...]: ...

    def __getitem__(self, index: int | slice) -> Member | tuple[Member, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("Members index out of range")
        chunk, at = divmod(index, self.CHUNK)
        return self._chunks[chunk][at] if chunk < len(self._chunks) else self._tail[at]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Members, tuple)):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other: Iterable[Member]) -> tuple[Member, ...]:
        return tuple(self) + tuple(other)

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[Callable[[Iterable[Member]], Members], tuple[tuple[Member, ...]]]:
        return (Members.of, (tuple(self),))


def _growing(product: Product) -> bool:
    """Whether a product's members are a growing :class:`Members` (typed as the tuple
    it equals)."""
    members: Sequence[Member] = product.members
    return isinstance(members, Members)


def settled(asn: Association) -> Association:
    """``asn`` as a fold leaves it: every product's members a plain tuple again, and
    without the file-name and member-key indexes, which only taking rows reads (they
    would only cost memory, and time to send between processes).

    >>> a = Association(rule=_DEMO, ruleset=None, products=(Product("p", Members.of(("x",))),),
    ...                 filenames=Map({"x": None}))
    >>> type(settled(a).products[0].members).__name__, len(settled(a).filenames)
    ('tuple', 0)
    """
    products = tuple(replace(p, members=tuple(p.members)) if _growing(p) else p for p in asn.products)
    return replace(asn, products=products, filenames=EMPTY_MAP, member_keys=((), EMPTY_MAP))


def _append(asn: Association, member: Member, row: Row) -> Association:
    *head, last = asn.products
    grown: Sequence[Member] = last.members  # a tuple, or the Members it grows into
    if type(grown) is tuple and len(grown) < Members.CHUNK:
        grown = grown + (member,)  # a short product: copying is cheaper than chunks
    else:
        grown = Members.of(grown).append(member)
    product = replace(last, members=grown)
    filename = row.get("filename")
    names = asn.filenames if filename is None else asn.filenames.set(filename, None)
    keys = _keys(asn).set(member.key, None)
    return replace(asn, products=(*head, product), filenames=names, member_keys=(product.members, keys))


def _accept(asn: Association, bindings: Bindings, row: Row) -> Association:
    rule = asn.rule
    asn = replace(asn, bindings=bindings)
    if not asn.started:
        asn = replace(asn, started=True, validity=tuple(False for _ in rule.validity))
        asn = rule.on_create(asn, row)
    member = rule.make_member(asn, row)
    if member.key in _keys(asn):
        return asn
    if rule.check_before_append:
        asn = _append(_validate(asn, member), member, row)
    else:
        asn = _validate(_append(asn, member, row), member)
    after: Association = rule.on_add(asn, row)
    return after


def offer(asn: Association, row: Row, outcome: Outcome | None = None) -> tuple[bool, Association, tuple[Request, ...]]:
    """Offer ``row`` to ``asn``: ``(taken, association after, re-process requests)``.
    ``outcome`` is what checking the rule's constraint on ``asn.bindings`` and ``row``
    gives, when the caller has it already (it is checked here otherwise).

    A row whose ``filename`` is already a member's is taken without any check, as the
    reference does. A refused row leaves the association as it was (but for the rule's
    sticky facts); a rule's ``force_match`` leaf, once set, makes a taken row read as
    refused (the association keeps it).

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> rule = Rule(name="R", asn_type="t", level=2, constraint=attr("p", "program"))
    >>> _, asn, _ = create(rule, None, make_row(0, {"program": "1"}))
    >>> offer(asn, make_row(1, {"program": "1"}))[0], offer(asn, make_row(2, {"program": "2"}))[1] is asn
    (True, True)
    """
    filename = row.get("filename")
    if filename is not None and filename in asn.filenames:
        return True, asn, ()
    rule = asn.rule
    out = rule.constraint(asn.bindings, row) if outcome is None else outcome
    requests = _own(out.reprocess, asn)
    if not out.matched:
        return False, keep_sticky(asn, out.bindings), requests
    taken = _accept(asn, out.bindings, row)
    if rule.force_match is not None:
        forced = taken.bindings.state(rule.force_match).value
        if forced is not None:
            return bool(forced), taken, requests
    return True, taken, requests


def keep_sticky(asn: Association, after: Bindings) -> Association:
    """Return ``asn`` after a missed check: unchanged (the same object), but for the facts
    its rule marks sticky, taken from the bindings the check left.

    >>> from asnfp.constraints import NO_BINDINGS
    >>> asn = Association(rule=_DEMO, ruleset=None)
    >>> keep_sticky(asn, NO_BINDINGS.with_fact("x", 1)) is asn
    True
    """
    if not asn.rule.sticky:
        return asn
    bindings = asn.bindings
    for fact in asn.rule.sticky:
        bindings = bindings.with_fact(fact, after.fact(fact))
    return asn if bindings == asn.bindings else replace(asn, bindings=bindings)


def create(
    rule: Rule,
    ruleset: str | None,
    row: Row,
    *,
    version_id: str | None = None,
    slot: int = 0,
    outcome: Outcome | None = None,
) -> tuple[bool, Association, tuple[Request, ...]]:
    """Try to start a new association of ``rule`` from ``row``: ``(created, association,
    re-process requests)``. Equal to :func:`offer` on an empty association.

    >>> from asnfp.row import make_row
    >>> row = make_row(0, {"filename": "a_uncal.fits"})
    >>> made, asn, _ = create(_DEMO, "candidate", row)
    >>> made, [m.expname for m in members(asn)], asn == offer(Association(rule=_DEMO, ruleset="candidate"), row)[1]
    (True, ['a_uncal.fits'], True)
    """
    empty = Association(rule=rule, ruleset=ruleset, version_id=version_id, slot=slot)
    return offer(empty, row, outcome)


_DEMO = Rule(name="Demo", asn_type="demo", level=2, constraint=always())
