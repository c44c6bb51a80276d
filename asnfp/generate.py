"""Generation: a fold over the work list into a persistent set of associations.

The work list starts as one list holding every pool row, offered to every rule. Each
:func:`step` offers one row to the existing associations that could take it, then to
every rule whose association it did not join, and appends the re-processing that the
matches asked for to the work list held in the state. :func:`generate` folds until the
work list is empty; the drivers run it per association candidate and for discovery.

Work lists come out of the queue by category (``RULES`` < ``BOTH`` < ``EXISTING`` <
``NONSCIENCE``), first in first out within one; a request whose key (rules, category,
flag) is already waiting is appended to that waiting list, as the reference does.

>>> from asnfp.constraints import attr
>>> from asnfp.row import make_row
>>> from asnfp.rule import Rule, registry
>>> rule = Rule(name="ByFilter", asn_type="demo", level=2, constraint=attr("f", "filter"))
>>> rows = [make_row(0, {"filter": "f560w"}), make_row(1, {"filter": "f560w"})]
>>> [a.bindings for a in generate(registry([rule]), rows)]
[Bindings(f='f560w')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache, partial, reduce
from typing import Any, Final, NamedTuple

import msgspec
from immutables import Map
from msgspec.structs import replace

from asnfp.association import EMPTY_MAP, Association, create, keep_sticky, offer, qualified, settled
from asnfp.constraints import (
    NO_BINDINGS,
    AttrLeaf,
    Category,
    Constraint,
    Leaf,
    Match,
    Miss,
    Node,
    Outcome,
    Request,
    _new,
    attr,  # noqa: F401  (the doctests)
)
from asnfp.errors import AsnfpError, first_line
from asnfp.gates import Gate, compile_gate, gate_columns
from asnfp.memo import PURE_MISS, HashedOnce, Memo, answer, tracing
from asnfp.naming import timestamp
from asnfp.routes import Route, index_routes, is_index_leaf, is_open
from asnfp.row import Row
from asnfp.rule import Registry, Rule, with_global

__all__ = (
    "Work",
    "Generation",
    "RuleFailed",
    "Plan",
    "plan",
    "step",
    "run_work",
    "generate",
    "Fold",
    "run_fold",
    "index_leaves",
    "then_leaf",
    "made",
    "run_rule",
    "derivation",
    "CANDIDATE_COLUMN",
    "version_stamp",
)

RuleKey = tuple[str, ...]

#: The column that lists each row's candidates (rewritten for every candidate run).
CANDIDATE_COLUMN: Final = "asn_candidate"


class Appended(NamedTuple):
    """Rows appended to a waiting list: ``head`` then ``tail`` (appending costs nothing
    however long the list; :func:`flat` makes the tuple when the list is taken)."""

    head: Rows
    tail: Rows


Rows = tuple[Row, ...] | Appended


def flat(rows: Rows) -> tuple[Row, ...]:
    """The rows of a waiting list, in order.

    >>> from asnfp.row import make_row
    >>> a, b, c = (make_row(i, {}) for i in range(3))
    >>> [r.index for r in flat(Appended(Appended((a,), (b,)), (c,)))]
    [0, 1, 2]
    """
    chunks: list[tuple[Row, ...]] = []
    while isinstance(rows, Appended):
        chunks.append(rows.tail)
        rows = rows.head
    chunks.append(rows)
    return tuple(row for chunk in reversed(chunks) for row in chunk)


class Work(NamedTuple):
    """A list of rows waiting to be offered: to ``rules`` (``()``: all), in ``category``."""

    rows: Rows
    rules: RuleKey
    category: Category
    only_on_match: bool = False

    @property
    def key(self) -> tuple[RuleKey, Category, bool]:
        """What waiting lists are merged on."""
        return (self.rules, self.category, self.only_on_match)


# --------------------------------------------------------------------------- the plan


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


class Plan(msgspec.Struct, frozen=True):
    """What a run knows before it starts: its rules as *recipes* ``(name they run under,
    ruleset, rule, global leaf, whether the leaf adds index routes)``, the version id,
    and the *gates* (:mod:`asnfp.gates`) of each rule's constraint and of its creation
    part, which prove misses without a check.

    What the run makes of a recipe, it makes when it first needs the rule (a row gets
    past its gates), since most runs need few of their rules (:func:`made`): the rule
    as it runs ``(name, ruleset, rule with its global leaf)`` in ``rules`` (at the
    recipe's position), and by name its index routes (:mod:`asnfp.routes`), the memo
    space of its checks, and what a fresh check is remembered under (the rule before
    its global leaf was appended, whose misses hold whatever that leaf is) with the
    global leaf itself. A plan that is not indexed has them all from the start."""

    rules: list[tuple[str, str | None, Rule] | None]
    routes: dict[str, tuple[Route, ...]]
    version_id: str | None
    indexed: bool = True
    gates: dict[str, tuple[Gate | None, Gate | None]] = {}
    fresh: dict[str, tuple[Any, Any, Leaf | None, bool]] = {}
    spaces: dict[str, Any] = {}
    gate_groups: tuple[GateGroup, ...] = ()
    recipes: tuple[tuple[str, str | None, Rule, Leaf | None, bool], ...] = ()


def made(plan_: Plan, i: int) -> tuple[str, str | None, Rule]:
    """The rule of ``plan_``'s recipe ``i`` as the run runs it, made (with what the run
    needs of it) on the first call. (The plan's tables are a cache: what is made is a
    pure function of the recipe.)

    >>> from asnfp.rule import Rule, registry
    >>> p = plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))]),
    ...          global_leaf=attr("c", "asn_candidate"))
    >>> before = list(p.rules)
    >>> before, made(p, 0)[2].constraint, made(p, 0) is p.rules[0]
    ([None], all(attr(f: filter), attr(c: asn_candidate)), True)
    """
    known = plan_.rules[i]
    if known is not None:
        return known
    name, ruleset, base, leaf, adds_routes = plan_.recipes[i]
    run = base if leaf is None else run_rule(base, leaf)
    plan_.routes[name] = _rule_routes(base, run, adds_routes)
    plan_.fresh[name] = _fresh_keys(base, run, leaf)
    plan_.spaces[name] = _space(run)
    entry = plan_.rules[i] = (name, ruleset, run)
    return entry


_RUNS: dict[tuple[int, int], tuple[Rule, Rule, Leaf]] = {}  # a cache: (base, leaf) -> run rule
_DERIVED: dict[int, tuple[Rule, Leaf]] = {}  # run rule -> (base, leaf)
_MOST_RUNS: Final = 1 << 16


def run_rule(base: Rule, leaf: Leaf) -> Rule:
    """``base`` with the global ``leaf`` appended (:func:`asnfp.rule.with_global`), one
    object per pair while it is remembered: a process that unpickles another's
    associations of a run gets that run's rule once (see :func:`derivation`).

    >>> r = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))
    >>> leaf = attr("c", "asn_candidate")
    >>> (run_rule(r, leaf) is run_rule(r, leaf),
    ...  run_rule(r, leaf).constraint.parts == with_global(r, leaf).constraint.parts)
    (True, True)
    """
    key = (id(base), id(leaf))
    found = _RUNS.get(key)
    if found is not None:
        return found[0]
    if len(_RUNS) >= _MOST_RUNS:
        _RUNS.clear()
        _DERIVED.clear()
    run = with_global(base, leaf)
    _RUNS[key] = (run, base, leaf)  # (base and leaf kept alive: their ids stay theirs)
    _DERIVED[id(run)] = (base, leaf)
    return run


def derivation(obj: object) -> tuple[Callable[..., Rule], tuple[Rule, Leaf]] | None:
    """How to make ``obj`` again if it is a run rule that :func:`run_rule` made: a
    process pickles it as that call on its base and leaf (:class:`asnfp.workers.Shared`).

    >>> r = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))
    >>> derivation(run_rule(r, attr("c", "asn_candidate")))[0] is run_rule, derivation(r)
    (True, None)
    """
    found = _DERIVED.get(id(obj))
    if found is None or _RUNS.get((id(found[0]), id(found[1])), (None,))[0] is not obj:
        return None
    return run_rule, found


def _rule_routes(base: Rule, run: Rule, leaf_adds_routes: bool) -> tuple[Route, ...]:
    """The routes the associations of ``run`` (``base`` with a global leaf) are indexed
    by: ``base``'s when the leaf adds no route, so every run shares them. A rule with
    sticky facts keeps what a miss leaves of them: only its plain index leaves."""
    if run.sticky:
        return (Route((), index_leaves(run.constraint)),)
    if not leaf_adds_routes:
        return index_routes(base.constraint)
    return index_routes(run.constraint)


def _space(rule: Rule) -> Any:
    """The memo space of a rule's checks (keyed in it by the bindings checked)."""
    return (rule.constraint, rule.sticky)


def _fresh_keys(base: Rule, run: Rule, leaf: Leaf | None) -> tuple[Any, Any, Leaf | None, bool]:
    """The memo spaces a fresh check of ``run`` (``base`` with the global ``leaf``) is
    remembered in (the same space when there is no global leaf), the leaf, and whether
    the check splits into the base's check then the leaf's (see :func:`_fresh_outcome`):
    when ``run``'s top is an ``all`` with no flags whose parts are the base's top, or its
    top's parts, then the leaf."""
    base_space = _space(base)
    return base_space, base_space if leaf is None else _space(run), leaf, _splits(base, run, leaf)


def _splits(base: Rule, run: Rule, leaf: Leaf | None) -> bool:
    top, base_top = run.constraint, base.constraint
    if leaf is None or not isinstance(top, Node) or top.kind != "all" or top.on_match or top.on_fail:
        return False
    if top.parts == (base_top, leaf):
        return True
    return (isinstance(base_top, Node) and base_top.kind == "all" and bool(base_top.parts)
            and not base_top.on_match and not base_top.on_fail and top.parts == (*base_top.parts, leaf))


def plan(registry: Registry | Sequence[tuple[Registry, Leaf | None]], version_id: str | None = None,
         global_leaf: Leaf | None = None, indexed: bool = True) -> Plan:
    """Prepare a run of ``registry`` (with ``global_leaf`` appended to every rule), or of
    several ``(registry, global leaf)`` pairs one after the other (the per-pool run).
    ``indexed=False`` offers every row to every association (the simple model the
    indexed fold must agree with).

    >>> from asnfp.constraints import attr
    >>> from asnfp.rule import Rule, registry
    >>> p = plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))], name="candidate"))
    >>> [(name, ruleset) for name, ruleset, _ in map(partial(made, p), range(len(p.recipes)))]
    [('candidate_R', 'candidate')]
    >>> [leaf.name for leaf in p.routes["candidate_R"][0].leaves]
    ['f']
    """
    parts = [(registry, global_leaf)] if isinstance(registry, Registry) else list(registry)
    bases = [(reg, leaf, rule) for reg, leaf in parts for rule in reg.rules]
    names, gates, groups = _template(tuple(reg for reg, _ in parts), indexed)
    adds_routes = {id(leaf): leaf is not None and index_routes(leaf) != (Route(),) for _, leaf in parts}
    recipes = tuple((name, reg.name, base, leaf, adds_routes[id(leaf)])
                    for name, (reg, leaf, base) in zip(names, bases))
    made_plan = Plan([None] * len(recipes), {}, version_id, indexed, gates, {}, {}, groups, recipes)
    if not indexed:  # (every rule is offered every row)
        for i in range(len(recipes)):
            made(made_plan, i)
    return made_plan


_TEMPLATES: dict[Any, Any] = {}  # a cache: plans of the same registries share their template
_MOST_TEMPLATES: Final = 64


def _template(registries: tuple[Registry, ...],
              indexed: bool) -> tuple[list[str], dict[str, tuple[Gate | None, Gate | None]], tuple[GateGroup, ...]]:
    """What a plan of ``registries`` holds whatever its global leaves are: the rules'
    names, their gates and gate groups (made once for every candidate run: same
    registries, same rules)."""
    key = (indexed, tuple((reg.name, tuple(map(id, reg.rules))) for reg in registries))
    found = _TEMPLATES.get(key)
    if found is not None:
        return found[1]  # type: ignore[no-any-return]
    bases = [rule for reg in registries for rule in reg.rules]
    names = [qualified(reg.name, rule) for reg in registries for rule in reg.rules]
    gates = {
        name: (compile_gate(base.constraint), None if base.creation is None else compile_gate(base.creation))
        for name, base in zip(names, bases)
    } if indexed else {}
    groups = _gate_groups(names, bases, gates) if indexed else ()
    made = names, gates, groups
    if len(_TEMPLATES) >= _MOST_TEMPLATES:
        _TEMPLATES.clear()
    _TEMPLATES[key] = (bases, made)  # the rules kept alive: their ids stay theirs
    return made


class GateGroup(NamedTuple):
    """Rules (by position) whose gates read ``columns``: which of them a row gets past is
    kept by its cells there, under ``key``. The rules that read the candidate column
    (rewritten in every candidate run) are a group of their own, so that the others'
    answers hold in every run."""

    columns: tuple[str, ...]
    positions: tuple[int, ...]
    key: HashedOnce


def _gate_groups(names: list[str], bases: list[Rule],
                 gates: dict[str, tuple[Gate | None, Gate | None]]) -> tuple[GateGroup, ...]:
    by_candidate: dict[bool, tuple[set[str], list[int]]] = {}
    for i, base in enumerate(bases):
        columns = {c for part in (base.constraint, base.creation) if part is not None for c in gate_columns(part)}
        found = by_candidate.setdefault(CANDIDATE_COLUMN in columns, (set(), []))
        found[0].update(columns)
        found[1].append(i)
    return tuple(GateGroup(tuple(sorted(columns)), tuple(positions),
                           HashedOnce((tuple(sorted(columns)), tuple(positions),
                                       tuple(gates[names[i]] for i in positions))))
                 for columns, positions in by_candidate.values())


# --------------------------------------------------------------------------- the state

Slots = Map  # slot -> None: a persistent set of slots
Classes = Map  # class key -> Slots
Bucket = dict[tuple[str | None, ...], Map]  # sources -> (values -> Classes): persistent maps
Signature = tuple[tuple[str | None, ...], tuple[str | None, ...]]
_ANY_VALUE: Final = object()  # a row with no valid value in an optional leaf: any value will do


class Generation(msgspec.Struct, frozen=True):
    """The fold's state: associations by creation slot, the index that tells which
    associations a row could join, and the work list still to do.

    The index holds, for each rule, each of its routes and each value of the route's
    index leaves, the slots in *classes*: associations with equal bindings, which a row
    meets the same way. The
    associations, the file-name index and the slots of a class are persistent maps
    (:class:`immutables.Map`): a step that changes one association costs the same
    however many there are."""

    associations: Map  # slot -> Association
    by_rule: dict[str, tuple[Bucket, ...]]  # by rule, one bucket per route
    by_file: Map  # file name -> the rules (qualified names) of the associations holding it
    queue: tuple[dict[tuple[RuleKey, Category, bool], Work], ...]

    @classmethod
    def start(cls, rows: Sequence[Row]) -> Generation:
        """The state before the first step: every row waiting for every rule."""
        first = Work(tuple(rows), (), Category.BOTH)
        queue: list[dict[Any, Work]] = [{} for _ in Category]
        queue[Category.BOTH] = {("*",): first}
        return cls(EMPTY_MAP, {}, EMPTY_MAP, tuple(queue))


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


def _filed(table: Map, values: tuple[Any, ...]) -> Iterator[Classes]:
    """The classes of ``table`` filed under ``values``, some of which are ``_ANY_VALUE``
    (matching any; values without one are a single look-up, see :func:`_on_route`)."""
    for filed, classes in table.items():
        if all(v is _ANY_VALUE or v == f for v, f in zip(values, filed)):
            yield classes


def _class_key(asn: Association) -> Any:
    """Associations of one rule with equal bindings answer a row the same way; bindings
    that cannot be hashed make a class of their own."""
    try:
        hash(asn.bindings)
    except TypeError:
        return ("unhashable", asn.slot)
    return asn.bindings


def _untraced(out: Outcome, traced: Row, row: Row) -> Outcome:
    """``out`` with the requests that name the tracing copy naming the row itself."""
    if not out.reprocess:
        return out
    return out._replace(reprocess=tuple(
        r._replace(rows=tuple(row if x is traced else x for x in r.rows)) for r in out.reprocess))


def _class_outcome(state: Generation, key: Any, slots: Slots, row: Row, memo: Memo,
                   gate: Gate | None) -> Outcome | None:
    """What every association of the class ``key`` makes of ``row`` (equal bindings,
    equal answers), or ``None`` when they all miss purely (ask for nothing and change
    nothing): known to ``memo`` (the rule's space, keyed by bindings), proved by the
    rule's gate (for rules with no sticky facts, which a check may change even when it
    misses), or checked and then remembered by what the check read."""
    if isinstance(key, tuple):  # bindings that cannot be hashed: no memo
        asn = state.associations[key[1]]
        return _checked(asn.rule, row, asn.rule.constraint, asn.bindings, row)
    known = memo.lookup(key, row)
    if known is PURE_MISS:
        return None
    if known is not None:
        return known.for_row(row)  # type: ignore[union-attr]
    asn = state.associations[next(iter(slots))]
    if gate is not None and not asn.rule.sticky and gate(asn.bindings, row):
        return None
    traced = tracing(row)
    out = _checked(asn.rule, row, asn.rule.constraint, asn.bindings, traced)
    if not out.matched and not out.reprocess and keep_sticky(asn, out.bindings) is asn:
        memo.remember(key, traced)
        return None
    return _kept(memo, key, out, traced, row)


def _kept(memo: Memo, key: Any, out: Outcome, traced: Row, row: Row) -> Outcome:
    """``out`` (checked on ``traced``) for ``row``, remembered under ``key`` when it can be."""
    kept = answer(out, traced)  # type: ignore[arg-type]
    if kept is None:
        return _untraced(out, traced, row)
    memo.remember(key, traced, kept)  # type: ignore[arg-type]
    return kept.for_row(row)  # type: ignore[no-any-return]


def _candidates(plan_: Plan, state: Generation, row: Row, allowed: frozenset[str] | None,
                memo: Memo | None = None) -> list[tuple[int, Outcome | None]]:
    """The slots to offer ``row`` to, in order, each with what its check gave when the
    class was checked already (``None``: check it when offered)."""
    if not plan_.indexed:
        return [(s, None) for s, a in sorted(state.associations.items(), key=lambda item: item[0])
                if allowed is None or qualified(a.ruleset, a.rule) in allowed]
    slots: dict[int, Outcome | None] = {}
    by_rule = state.by_rule
    named = by_rule.items() if allowed is None else ((n, by_rule[n]) for n in allowed if n in by_rule)
    spaces, gates = plan_.spaces, plan_.gates
    for name, buckets in named:
        space = None if memo is None else memo.space(spaces[name])
        gate = gates[name][0]
        for key, members in _reachable(plan_.routes[name], buckets, row, memo):
            out = None if space is None else _class_outcome(state, key, members, row, space, gate)
            if memo is None or out is not None:
                slots.update(dict.fromkeys(members, out))
    filename = row.cells.get("filename")
    if filename is not None and filename in state.by_file:  # holders of the file: see _holders
        slots = {s: o for s, o in slots.items() if filename not in state.associations[s].filenames}
    return sorted(slots.items(), key=lambda item: item[0])


def _open(route: Route, row: Row, memo: Memo | None) -> bool:
    """Whether ``route`` is open for ``row``: kept by the cells its guards read."""
    if not route.guards:
        return True
    if memo is None:
        return is_open(route, row)
    return memo.by_cells(route.token, route.columns, row, partial(is_open, route, row))  # type: ignore[no-any-return]


def _reachable(routes: tuple[Route, ...], buckets: tuple[Bucket, ...], row: Row,
               memo: Memo | None) -> Iterable[tuple[Any, Slots]]:
    """The classes (key, slots) filed under ``row``'s values on a route open for it,
    each once."""
    if len(routes) == 1:  # most rules: no class can be reached twice
        return _on_route(routes[0], buckets[0], row, memo)
    return dict(item for route, bucket in zip(routes, buckets) for item in _on_route(route, bucket, row, memo)).items()


def _on_route(route: Route, bucket: Bucket, row: Row, memo: Memo | None) -> list[tuple[Any, Slots]]:
    """The classes filed under ``row``'s values on ``route``, if it is open for the row."""
    found: list[tuple[Any, Slots]] = []
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


def _holders(state: Generation, row: Row, allowed: frozenset[str] | None) -> set[str]:
    """The rules of the associations that hold ``row``'s file already. Offered the row,
    each takes it without a check and stays as it is (the reference's short-cut): all
    that comes of it is that the row has joined their rules."""
    filename = row.cells.get("filename")
    names: frozenset[str] = state.by_file.get(filename, frozenset()) if filename is not None else frozenset()
    return set(names if allowed is None else names & allowed)


def _moved(plan_: Plan, by_rule: dict[str, tuple[Bucket, ...]], asn: Association,
           old: Association | None) -> dict[str, tuple[Bucket, ...]]:
    """The index with ``asn`` filed under its class on every route (and out of
    ``old``'s class, which may have been filed elsewhere: a leaf may have pinned since)."""
    new_key = _class_key(asn)
    old_key = None if old is None else _class_key(old)
    if old is not None and old_key == new_key:
        return by_rule
    name = qualified(asn.ruleset, asn.rule)
    routes = plan_.routes[name]
    buckets = by_rule.get(name) or tuple({} for _ in routes)
    moved = tuple(_refiled(bucket, route, asn, new_key, old, old_key) for route, bucket in zip(routes, buckets))
    return {**by_rule, name: moved}


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


def _filtered(request: Request, current: Category) -> Category | None:
    """The reference's work-over filter: what a request becomes while ``current`` runs."""
    if request.work_over in (Category.RULES, Category.BOTH):
        return Category.BOTH if current in (Category.RULES, Category.BOTH) else None
    return request.work_over if current in (Category.RULES, Category.BOTH) else None


def _enqueue(queue: tuple[dict[Any, Work], ...], requests: Sequence[Request],
             current: Category) -> tuple[dict[Any, Work], ...]:
    if not requests:
        return queue
    lists = list(queue)
    copied: set[int] = set()
    for request in requests:
        category = _filtered(request, current)
        if category is None:
            continue
        work = _new(Work, (request.rows, request.rules or (), category, request.only_on_match))
        if category not in copied:
            lists[category] = dict(lists[category])
            copied.add(category)
        waiting = lists[category].get(work.key)
        lists[category][work.key] = (work if waiting is None
                                     else _new(Work, (_new(Appended, (waiting.rows, work.rows)), *waiting[1:])))
    return tuple(lists)


def step(plan_: Plan, work: Work, state: Generation, row: Row, memo: Memo | None = None) -> Generation:
    """Offer one row (from ``work``) to the associations that may take it, then to the
    rules it did not join, and queue the re-processing asked for. ``memo`` (a cache of
    pure misses, see :mod:`asnfp.memo`) skips checks known to miss.

    >>> from asnfp.row import make_row
    >>> from asnfp.rule import registry
    >>> p = plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))]))
    >>> w, rows = Work((), (), Category.BOTH), [make_row(0, {"filter": "x"}), make_row(1, {"filter": "x"})]
    >>> s = reduce(lambda s, r: step(p, w, s, r), rows, Generation.start([]))
    >>> [[m.expname for m in a.products[0].members] for a in s.associations.values()]
    [['row0', 'row1']]
    """
    allowed = frozenset(work.rules) if work.rules else None
    requests: list[Request] = []
    joined: set[str] = set()
    updates: dict[int, Association] = {}
    if work.category != Category.RULES:
        if plan_.indexed:
            joined |= _holders(state, row, allowed)
        for slot, outcome in _candidates(plan_, state, row, allowed, memo):
            asn = state.associations[slot]
            taken, new, asked = _checked(asn.rule, row, offer, asn, row, outcome)
            requests += asked
            if taken:
                joined.add(qualified(asn.ruleset, asn.rule))
            if new is not asn:
                updates[slot] = new
    created: list[Association] = []
    if work.category in (Category.RULES, Category.BOTH):
        for name, ruleset, rule in _ungated(plan_, row, memo):
            if (allowed is not None and name not in allowed) or name in joined:
                continue
            outcome = None if memo is None else _fresh_outcome(plan_, name, rule, row, memo)
            if outcome is PURE_MISS:
                continue
            made, asn, asked = _checked(rule, row, create, rule, ruleset, row,
                                        version_id=plan_.version_id, outcome=outcome)
            requests += asked
            if made:
                created.append(asn)
    return _apply(plan_, state, row, updates, created, _enqueue(state.queue, requests, work.category))


def _ungated(plan_: Plan, row: Row, memo: Memo | None) -> tuple[tuple[str, str | None, Rule], ...]:
    """The rules whose gates do not prove that a new association would miss ``row``.
    On no bindings gates read known columns only, so the answer is kept by those cells."""
    if not plan_.indexed:
        return tuple(plan_.rules)  # type: ignore[arg-type]  (all made)
    positions: list[int] = []
    recipes = plan_.recipes
    for group in plan_.gate_groups:
        def ungated(group: GateGroup = group) -> tuple[int, ...]:
            return tuple(i for i in group.positions if not any(
                gate is not None and gate(NO_BINDINGS, row) for gate in plan_.gates[recipes[i][0]]))
        # by position: plans with one group key list the same rules
        positions += ungated() if memo is None else memo.by_cells(group.key, group.columns, row, ungated)
    positions.sort()
    rules = plan_.rules
    return tuple([rules[i] or made(plan_, i) for i in positions])


def _fresh_outcome(plan_: Plan, name: str, rule: Rule, row: Row, memo: Memo) -> Outcome | str:
    """What a new association of ``rule`` makes of ``row``, or ``PURE_MISS``.

    A rule run with a global leaf (a candidate run) is its base tree with the leaf as
    the last part of its top ``all``: its check is the base tree's check, then the
    leaf's (:func:`then_leaf`), so the base's answers are remembered under the base rule
    and shared by every run and by discovery. Otherwise pure misses that came before
    the global leaf are remembered under the rule without it (whatever that leaf is,
    they miss), every other answer under the rule as it runs."""
    base_key, run_key, global_leaf, split = plan_.fresh[name]
    base = memo.space(base_key)
    if global_leaf is None or split:
        out = _remembered(base, base_key[0], rule, row)
        if global_leaf is None or out is PURE_MISS:
            return out
        out = _checked(rule, row, then_leaf, out, global_leaf, row)
        return PURE_MISS if not out.matched and not out.reprocess else out
    if base.lookup(NO_BINDINGS, row) is PURE_MISS:  # (its other answers hold no global leaf)
        return PURE_MISS
    run = memo.space(run_key)
    return _remembered(run, rule.constraint, rule, row,
                       lambda out: base if out.leaf is not global_leaf else run)


def _remembered(space: Memo, constraint: Constraint, rule: Rule, row: Row,
                misses: Callable[[Outcome], Memo] | None = None) -> Outcome | str:
    """``constraint`` checked on ``row`` with no bindings (``PURE_MISS`` for a pure
    miss), known to ``space`` or checked and remembered there (a pure miss in
    ``misses(outcome)`` when given)."""
    known = space.lookup(NO_BINDINGS, row)
    if known is not None:
        return known if known is PURE_MISS else known.for_row(row)  # type: ignore[union-attr]
    traced = tracing(row)
    out = _checked(rule, row, constraint, NO_BINDINGS, traced)
    if not out.matched and not out.reprocess:
        (space if misses is None else misses(out)).remember(NO_BINDINGS, traced)
        return PURE_MISS
    return _kept(space, NO_BINDINGS, out, traced, row)


def then_leaf(out: Outcome, leaf: Constraint, row: Row) -> Outcome:
    """The outcome of ``all(parts..., leaf)`` (no flags) from ``out``, the outcome of
    ``all(parts...)`` that did not miss purely: ``leaf`` checked on the bindings ``out``
    left, and the requests kept as ``all`` keeps them (those of the matches before the
    first miss that asks for something; none after a pure miss).

    >>> from asnfp.constraints import Match, all_of, attr
    >>> from asnfp.row import make_row
    >>> first, leaf, row = attr("f", "filter"), attr("p", "pupil", "clear"), make_row(0, {"filter": "a", "pupil": "b"})
    >>> then_leaf(first(NO_BINDINGS, row), leaf, row) == all_of(first, leaf)(NO_BINDINGS, row)
    True
    """
    after = leaf(out.bindings, row)
    if not after.matched and not after.reprocess:
        return _new(Miss, (after.bindings, after.leaf, ()))
    if out.matched:
        if after.matched:
            return _new(Match, (after.bindings, out.reprocess + after.reprocess))
        return _new(Miss, (after.bindings, after.leaf, after.reprocess))
    return _new(Miss, (after.bindings, out.leaf, out.reprocess))  # type: ignore[union-attr]


class RuleFailed(Exception):
    """A rule's own code (its constraint) raised while checking a row: ``str()`` names the
    rule and the row; the original exception is the ``__cause__``."""


def _checked(rule: Rule, row: Row, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``, with an exception the rule's code raises (not asnfp's own
    errors) turned into :class:`RuleFailed`.

    >>> from asnfp.constraints import lift
    >>> from asnfp.row import make_row
    >>> boom = Rule(name="Boom", asn_type="t", level=2, constraint=lift(lambda row: 1 / 0))
    >>> _checked(boom, make_row(0, {}), create, boom, None, make_row(0, {}))
    Traceback (most recent call last):
    asnfp.generate.RuleFailed: rule Boom, row 1: raised ZeroDivisionError: division by zero
    """
    try:
        return call(*args, **kwargs)
    except (AsnfpError, KeyboardInterrupt):
        raise
    except BaseException as err:  # (the rule's own code: SystemExit, GeneratorExit too)
        raise RuleFailed(f"rule {rule.name}, row {row.index + 1}: raised {_said(err)}") from err


def _said(err: BaseException) -> str:
    """``Type: first line of the message`` (just the type when the message cannot be had).

    >>> class Mute(Exception):
    ...     def __str__(self): raise ValueError
    >>> _said(SystemExit(0)), _said(Mute()), _said(ValueError(" bad "))
    ('SystemExit: 0', 'Mute', 'ValueError: bad')
    """
    line = first_line(err)
    return type(err).__name__ if line == type(err).__name__ else f"{type(err).__name__}: {line}"


def _apply(plan_: Plan, state: Generation, row: Row, updates: dict[int, Association],
           created: list[Association], queue: tuple[dict[Any, Work], ...]) -> Generation:
    if not updates and not created:
        return replace(state, queue=queue) if queue is not state.queue else state
    associations = state.associations.mutate()
    for changed_slot, changed in updates.items():
        associations[changed_slot] = changed
    by_rule, by_file = state.by_rule, state.by_file
    filename = row.cells.get("filename")
    if plan_.indexed:
        for changed in updates.values():
            before = state.associations[changed.slot]
            if changed.bindings is not before.bindings and changed.bindings != before.bindings:
                by_rule = _moved(plan_, by_rule, changed, before)
    slot = len(state.associations)
    for asn in created:
        asn = replace(asn, slot=slot)
        associations[slot] = asn
        if plan_.indexed:
            by_rule = _moved(plan_, by_rule, asn, None)
        slot += 1
    if filename is not None:
        holders = [*updates, *range(len(state.associations), slot)]
        known = state.by_file.get(filename, frozenset())
        names = known | {qualified(associations[s].ruleset, associations[s].rule)
                         for s in holders if filename in associations[s].filenames}
        if names != known:
            by_file = by_file.set(filename, names)
    return Generation(associations.finish(), by_rule, by_file, queue)


def _next_work(state: Generation) -> tuple[Work, Generation] | None:
    for category in Category:
        waiting = state.queue[category]
        if waiting:
            key = next(iter(waiting))
            rest = dict(waiting)
            work = rest.pop(key)
            queue = list(state.queue)
            queue[category] = rest
            return work._replace(rows=flat(work.rows)), replace(state, queue=tuple(queue))
    return None


def run_work(plan_: Plan, state: Generation, memo: Memo | None = None) -> Generation:
    """Fold every waiting work list into the state, until the work list is empty.

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import Rule, registry
    >>> p = plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))]))
    >>> len(run_work(p, Generation.start([make_row(0, {"filter": "a"})])).associations)
    1
    """
    while (popped := _next_work(state)) is not None:
        work, state = popped
        state = reduce(lambda s, row: step(plan_, work, s, row, memo), work.rows, state)
    return state


def generate(registry: Registry | Sequence[tuple[Registry, Leaf | None]], rows: Sequence[Row], *,
             version_id: str | bool | None = None,
             global_leaf: Leaf | None = None, indexed: bool = True,
             memo: Memo | None = None) -> list[Association]:
    """Fold every row (and the re-processing it triggers) into associations, returned in
    creation order, unfinalized. ``version_id=True`` stamps the current UTC time.
    ``memo`` is the cache of pure misses to use (a new one when ``None``); several runs
    over one pool may share it. ``indexed=False`` uses neither index nor memo.

    Equal to folding :func:`step` over the work list until it is empty.

    >>> from asnfp.row import make_row
    >>> from asnfp.rule import registry
    >>> rules = registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))])
    >>> rows = [make_row(i, {"filter": f}) for i, f in enumerate(["x", "y", "x"])]
    >>> [len(a.products[0].members) for a in generate(rules, rows)], (
    ...     generate(rules, rows) == generate(rules, rows, indexed=False))
    ([2, 1], True)
    """
    plan_ = plan(registry, version_stamp(version_id), global_leaf, indexed)
    return run_fold(Fold(plan_, rows), Memo() if memo is None else memo)


def version_stamp(version_id: str | bool | None) -> str | None:
    """The version id a run stamps its files with: the current UTC time for ``True``.

    >>> version_stamp("v1"), version_stamp(None), len(version_stamp(True) or "")
    ('v1', None, 15)
    """
    return timestamp() if version_id is True else (version_id or None)


class Fold(NamedTuple):
    """One fold of a driver: a plan and the rows it starts from."""

    plan: Plan
    rows: Sequence[Row]


def run_fold(fold: Fold, memo: Memo) -> list[Association]:
    """The associations of one fold, in creation order (``memo`` unused when the plan
    is not indexed)."""
    final = run_work(fold.plan, Generation.start(fold.rows), memo if fold.plan.indexed else None)
    return [settled(final.associations[slot]) for slot in sorted(final.associations)]
