"""The index of a fold's associations: which of them a row could join.

For each rule, each of its routes (:mod:`asnfp.fast.routes`) and each value of the
route's index leaves, the index holds the slots of the associations filed there, in
*classes*: associations with equal bindings, which a row meets the same way. Beside
it, by file name, the rules of the associations that hold that file already (which take
a row of that file without a check). Buckets, classes and slots are persistent maps
(:class:`immutables.Map`): filing one association costs the same however many there are.

>>> from asnfp.association import create
>>> from asnfp.constraints import attr
>>> from asnfp.fast.routes import index_routes
>>> from asnfp.row import make_row
>>> from asnfp.rule import Rule
>>> rule = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))
>>> routes = index_routes(rule.constraint)
>>> by_rule = moved(routes, {}, create(rule, None, make_row(0, {"filter": "x"}))[1], None)
>>> [[slots for _, slots in on_route(routes[0], by_rule["R"][0], make_row(1, {"filter": f}), None)]
...  for f in ("x", "y")]
[[immutables.Map({0: None})], []]
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator
from functools import lru_cache, partial
from typing import Any, Final, NamedTuple

from immutables import Map

from asnfp.association import EMPTY_MAP, Association, qualified
from asnfp.constraints import AttrLeaf
from asnfp.fast.memo import Memo
from asnfp.fast.routes import Route, is_open
from asnfp.row import Row

__all__ = ("Index", "EMPTY_INDEX", "Bucket", "Slots", "class_key", "moved", "reachable", "on_route",
           "holders", "with_file")

Slots = Map[int, None]  # a persistent set of slots
Classes = Map[Any, Slots]  # class key -> Slots
Table = Map[tuple[Any, ...], Classes]  # pinned values -> Classes
Bucket = dict[tuple[str | None, ...], Table]  # pinned columns -> Table: persistent maps
Signature = tuple[tuple[str | None, ...], tuple[str | None, ...]]
_ANY_VALUE: Final = object()  # a row with no valid value in an optional leaf: any value will do


class Index(NamedTuple):
    """The indexed machine's part of a fold's state."""

    by_rule: dict[str, tuple[Bucket, ...]]  # by rule, one bucket per route
    by_file: Map[str, frozenset[str]]  # file name -> the rules (qualified names) of the associations holding it


EMPTY_INDEX: Final = Index({}, EMPTY_MAP)


@lru_cache(maxsize=65536)
def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _signature(route: Route, bindings: Any) -> Signature:
    """Where a class is filed on ``route``: the column and value each leaf pinned
    (``None`` for a leaf not pinned yet)."""
    sources: list[str | None] = []
    values: list[str | None] = []
    for leaf in route.leaves:
        state = bindings.state(leaf)
        if state.pins or not isinstance(state.value, str):
            sources.append(None)
            values.append(None)
        else:
            sources.append(state.sources[0])
            values.append(_unescape(state.value).lower())
    return tuple(sources), tuple(values)


def _row_values(row: Row, sources: tuple[str | None, ...], leaves: tuple[AttrLeaf, ...]) -> tuple[Any, ...] | None:
    """The values ``row`` shows in ``sources``: ``None`` when a required leaf has no
    valid value there (no class filed there can take the row), ``_ANY_VALUE`` where an
    optional one has none (it lets the row through whatever it pinned)."""
    values: list[Any] = []
    for source, leaf in zip(sources, leaves):
        if source is None:
            values.append(None)
            continue
        value = row.cells.get(source)
        if value is None or value in leaf.invalid:
            if leaf.required:
                return None
            values.append(_ANY_VALUE)
            continue
        values.append(value.lower())
    return tuple(values)


def _filed(table: Table, values: tuple[Any, ...]) -> Iterator[Classes]:
    """The classes of ``table`` filed under ``values``, some of which are ``_ANY_VALUE``
    (matching any; values without one are a single look-up, see :func:`on_route`)."""
    for filed, classes in table.items():
        if all(v is _ANY_VALUE or v == f for v, f in zip(values, filed)):
            yield classes


def class_key(asn: Association) -> Hashable:
    """Associations of one rule with equal bindings answer a row the same way; bindings
    that cannot be hashed make a class of their own (``("unhashable", slot)``).

    >>> from asnfp.constraints import attr
    >>> from asnfp.rule import Rule
    >>> class_key(Association(rule=Rule(name="R", asn_type="t", level=2, constraint=attr("f", "f")), ruleset=None))
    Bindings()
    """
    try:
        hash(asn.bindings)
    except TypeError:
        return ("unhashable", asn.slot)
    return asn.bindings


def _refiled(bucket: Bucket, route: Route, asn: Association, new_key: Any, old: Association | None,
             old_key: Any) -> Bucket:
    bucket = dict(bucket)  # a few entries (one per set of pinned leaves); below, persistent maps
    if old is not None:
        sources, values = _signature(route, old.bindings)
        classes = bucket[sources][values]
        rest = classes[old_key].delete(asn.slot)
        classes = classes.set(old_key, rest) if rest else classes.delete(old_key)
        bucket[sources] = bucket[sources].set(values, classes)
    sources, values = _signature(route, asn.bindings)
    table = bucket.get(sources, EMPTY_MAP)
    classes = table.get(values, EMPTY_MAP)
    bucket[sources] = table.set(values, classes.set(new_key, classes.get(new_key, EMPTY_MAP).set(asn.slot, None)))
    return bucket


def moved(routes: tuple[Route, ...], by_rule: dict[str, tuple[Bucket, ...]], asn: Association,
          old: Association | None) -> dict[str, tuple[Bucket, ...]]:
    """``by_rule`` with ``asn`` filed under its class on every one of its rule's
    ``routes`` (and out of ``old``'s class, which may have been filed elsewhere: a leaf
    may have pinned since)."""
    new_key = class_key(asn)
    old_key = None if old is None else class_key(old)
    if old is not None and old_key == new_key:
        return by_rule
    name = qualified(asn.ruleset, asn.rule)
    buckets = by_rule.get(name) or tuple({} for _ in routes)
    refiled = tuple(_refiled(bucket, route, asn, new_key, old, old_key) for route, bucket in zip(routes, buckets))
    return {**by_rule, name: refiled}


def _open(route: Route, row: Row, memo: Memo | None) -> bool:
    """Whether ``route`` is open for ``row``: kept by the cells its guards read."""
    if not route.guards:
        return True
    if memo is None:
        return is_open(route, row)
    return memo.by_cells(route.token, route.columns, row, partial(is_open, route, row))


def reachable(routes: tuple[Route, ...], buckets: tuple[Bucket, ...], row: Row,
              memo: Memo | None) -> Iterable[tuple[Hashable, Slots]]:
    """The classes (key, slots) filed under ``row``'s values on a route open for it,
    each once."""
    if len(routes) == 1:  # most rules: no class can be reached twice
        return on_route(routes[0], buckets[0], row, memo)
    return dict(item for route, bucket in zip(routes, buckets) for item in on_route(route, bucket, row, memo)).items()


def on_route(route: Route, bucket: Bucket, row: Row, memo: Memo | None) -> list[tuple[Hashable, Slots]]:
    """The classes filed under ``row``'s values on ``route``, if it is open for the row."""
    found: list[tuple[Hashable, Slots]] = []
    if not bucket or not _open(route, row, memo):
        return found
    for sources, table in bucket.items():
        values = _row_values(row, sources, route.leaves)
        if values is None:
            continue
        if _ANY_VALUE not in values:
            classes = table.get(values)
            if classes is not None:
                found.extend(classes.items())
            continue
        for classes in _filed(table, values):
            found.extend(classes.items())
    return found


def holders(by_file: Map[str, frozenset[str]], row: Row, allowed: frozenset[str] | None) -> set[str]:
    """The rules of the associations that hold ``row``'s file already. Offered the row,
    each takes it without a check and stays as it is (the reference's short-cut): all
    that comes of it is that the row has joined their rules.

    >>> from asnfp.row import make_row
    >>> holders(Map({"a.fits": frozenset({"R"})}), make_row(0, {"filename": "a.fits"}), None)
    {'R'}
    """
    filename = row.cells.get("filename")
    names: frozenset[str] = by_file.get(filename, frozenset()) if filename is not None else frozenset()
    return set(names if allowed is None else names & allowed)


def with_file(by_file: Map[str, frozenset[str]], associations: Map[int, Association], slots: Iterable[int],
              row: Row) -> Map[str, frozenset[str]]:
    """``by_file`` with the rules of the associations at ``slots`` that now hold
    ``row``'s file."""
    filename = row.cells.get("filename")
    if filename is None:
        return by_file
    known = by_file.get(filename, frozenset())
    names = known | {qualified(associations[s].ruleset, associations[s].rule)
                     for s in slots if filename in associations[s].filenames}
    return by_file.set(filename, names) if names != known else by_file
