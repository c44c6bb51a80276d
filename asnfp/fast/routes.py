"""Routes: the ways a row can get into an association, read off the constraint tree.

The index files each association under the values its *index leaves* pinned: attribute
leaves whose miss ends the whole check with nothing asked for, so a row that shows
another value there needs no check at all. Reached through ``all`` nodes only, such
leaves are few in rules whose core sits under an ``any`` (a Level-3 rule takes its
science rows through one branch and its target acquisitions through another). A *route*
is one way through the ``any`` nodes: the index leaves along it, and the *guards* that
close it (fixed leaves, see :mod:`asnfp.fast.gates`, which read the row alone).

The law: when a check on any bindings does anything but miss purely, some route is open
for the row (no guard says "miss") and the row shows, in every leaf of that route that
the association pinned, the pinned value (an optional leaf also lets a row through that
has no valid value there). So a row needs checking only against the associations filed
under its values on an open route.

- a leaf gives one route: itself as an index leaf if it pins a plain value, and its
  guard if it is fixed with a condition and reads one column;
- ``all`` (missing purely as soon as one part does) gives every combination of its
  parts' routes; ``any`` (missing purely only when every part does), all its parts'
  routes together;
- anything else (``notany``, a node that re-processes on a miss, a leaf that reads the
  row in other ways) gives one route that tells nothing.

Each route costs a look-up per row, so only the outermost ``any`` nodes split (those
with no ``any`` above them), into at most :data:`MOST_ROUTES` routes. Any other ``any``
is *merged*: a single route with no leaves, closed only when every one of its routes is.

>>> from asnfp.constraints import all_of, any_of, attr
>>> from asnfp.row import make_row
>>> tree = all_of(attr("program", "program"),
...               any_of(all_of(attr("filter", "filter"), attr("sci", "exp_type", "nrc_image")),
...                      attr("acq", "exp_type", "nrc_taconfirm")))
>>> [[leaf.name for leaf in r.leaves] for r in index_routes(tree)]
[['program', 'filter', 'sci'], ['program', 'acq']]
>>> [is_open(r, make_row(0, {"program": "1", "exp_type": "nrc_image"})) for r in index_routes(tree)]
[True, False]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import product
from typing import Final, NamedTuple, cast

from asnfp.caches import forgettable
from asnfp.constraints import NO_BINDINGS, AttrLeaf, Constraint, Node
from asnfp.fast.gates import Gate, gate_columns, leaf_gate, repeated_parts
from asnfp.row import Row

__all__ = ("MOST_ROUTES", "Route", "index_leaves", "index_routes", "is_index_leaf", "is_open")

#: The most routes a tree is split into; beyond it ``any`` nodes are kept whole.
MOST_ROUTES: Final = 4

Guard = Callable[[Row], bool]


class Route(NamedTuple):
    """One way into an association: ``guards`` (any of which, saying ``True``, proves
    that the way is closed for a row), the index ``leaves`` along it, and the columns
    the guards read (a row's cells there decide whether the route is open), and a
    ``token`` that names the route in caches (a plain object: it hashes at once)."""

    guards: tuple[Guard, ...] = ()
    leaves: tuple[AttrLeaf, ...] = ()
    columns: tuple[str, ...] = ()
    token: object = None


def _route(guards: tuple[Guard, ...], leaves: tuple[AttrLeaf, ...], columns: Iterable[str]) -> Route:
    return Route(guards, leaves, tuple(sorted(set(columns))), object()) if guards else Route((), leaves)


_NOTHING_KNOWN: Final = (Route(),)


def is_index_leaf(leaf: Constraint) -> bool:
    """Tell whether ``leaf`` can index associations: an attribute leaf that pins a plain
    value, read as it is (no ``onlyif``, nothing evaluated, not forced undefined).

    >>> from asnfp.constraints import attr
    >>> is_index_leaf(attr("f", "filter")), is_index_leaf(attr("f", "filter", pins=False))
    (True, False)
    """
    return (
        isinstance(leaf, AttrLeaf)
        and leaf.initial.pins
        and leaf.onlyif is None
        and not leaf.force_undefined
        and not leaf.evaluate
        and not callable(leaf.initial.value)
    )


def _guard(gate: Gate) -> Guard:
    def closed(row: Row) -> bool:
        return gate(NO_BINDINGS, row)
    return closed


def _every(guards: tuple[tuple[Guard, ...], ...]) -> tuple[Guard, ...]:
    """One guard closed when every route (each closed by any of its guards) is."""
    if any(not g for g in guards):
        return ()

    def closed(row: Row) -> bool:
        return all(any(guard(row) for guard in route) for route in guards)
    return (closed,)


def _leaf_routes(leaf: Constraint, repeated: frozenset[Constraint]) -> tuple[Route, ...]:
    if leaf in repeated:
        return _NOTHING_KNOWN
    gate = leaf_gate(leaf)
    if isinstance(leaf, AttrLeaf) and len(leaf.initial.sources) > 1:
        gate = None  # pinned to one of its columns, it may take a row that fails on the first
    # a fixed condition only narrows: closed on no bindings, it is closed on any
    guards = () if gate is None else (_guard(gate),)
    return (_route(guards, (cast(AttrLeaf, leaf),) if is_index_leaf(leaf) else (), gate_columns(leaf)),)


def _routes(constraint: Constraint, repeated: frozenset[Constraint], split: bool) -> tuple[Route, ...]:
    if not isinstance(constraint, Node):
        return _leaf_routes(constraint, repeated)
    if constraint.on_fail or not constraint.parts or constraint.kind not in ("all", "any"):
        return _NOTHING_KNOWN
    inner = split and constraint.kind == "all"  # an any splits only when no any is above it
    parts = [_routes(part, repeated, inner) for part in constraint.parts]
    if constraint.kind == "any":
        found = tuple(route for routes in parts for route in routes)
        return found if split and len(found) <= MOST_ROUTES else _merged(found)
    combined: tuple[Route, ...] = (Route(),)
    for routes in parts:
        if len(combined) * len(routes) > MOST_ROUTES:
            routes = _merged(routes)
        combined = tuple(_route(a.guards + b.guards, a.leaves + b.leaves, a.columns + b.columns)
                         for a, b in product(combined, routes))
    return combined


def _merged(routes: tuple[Route, ...]) -> tuple[Route, ...]:
    return (_route(_every(tuple(r.guards for r in routes)), (), (c for r in routes for c in r.columns)),)


@lru_cache(maxsize=4096)
def index_routes(constraint: Constraint) -> tuple[Route, ...]:
    """Return the routes of the tree ``constraint`` (see the module's docstring); parts
    that appear twice in the tree tell nothing.

    >>> from asnfp.constraints import all_of, any_of, attr, lift
    >>> [len(r.leaves) for r in index_routes(all_of(attr("a", "a"), lift(bool, "x")))]
    [1]
    >>> index_routes(any_of(attr("a", "a"), lift(bool, "x")))[1]
    Route(guards=(), leaves=(), columns=(), token=None)
    """
    return _routes(constraint, repeated_parts(constraint), True)


def is_open(route: Route, row: Row) -> bool:
    """Tell whether no guard of ``route`` closes it for ``row``.

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> (route,) = index_routes(attr("e", "exp_type", "nrc_image"))
    >>> is_open(route, make_row(0, {"exp_type": "nrc_image"})), is_open(route, make_row(0, {"exp_type": "mir_image"}))
    (True, False)
    """
    return not any(guard(row) for guard in route.guards)


@lru_cache(maxsize=65536)
def index_leaves(constraint: Constraint) -> tuple[AttrLeaf, ...]:
    """Return the leaves that every match must pass and that pin a plain value: the
    required, pinning attribute leaves reached from the top through ``all`` nodes (and
    ``any`` nodes of a single part, which are that part).

    An association whose such leaf is pinned to ``v`` in column ``c`` can only take rows
    with ``v`` in ``c``: a miss there ends the whole check with nothing to re-process,
    so rows that differ need not be offered at all.

    >>> from asnfp.constraints import all_of, any_of, attr
    >>> [leaf.name for leaf in index_leaves(all_of(attr("a", "a"), any_of(attr("b", "b"), attr("e", "e")),
    ...                                            attr("c", "c", pins=False)))]
    ['a']
    """
    if isinstance(constraint, Node):
        if constraint.kind == "any" and len(constraint.parts) == 1 and constraint.plain:
            return index_leaves(constraint.parts[0])  # any of one part is that part
        if constraint.kind != "all" or constraint.on_fail:
            return ()
        return tuple(leaf for part in constraint.parts for leaf in index_leaves(part))
    if is_index_leaf(constraint) and constraint.required:  # type: ignore[attr-defined]
        return (constraint,)  # type: ignore[return-value]
    return ()


forgettable(index_routes, index_leaves)  # (see asnfp.caches)
