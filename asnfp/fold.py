"""Generation: a fold over the work list into a persistent set of associations.

The work list starts as one list holding every pool row, offered to every rule. Each
:func:`step` offers one row to the existing associations that could take it, then to
every rule whose association it did not join, and appends the re-processing that the
matches asked for to the work list held in the state. :func:`generate` folds until the
work list is empty; the drivers run it per association candidate and for discovery.

Work lists come out of the queue by category (``RULES`` < ``BOTH`` < ``EXISTING`` <
``NONSCIENCE``), first in first out within one; a request whose key (rules, category,
flag) is already waiting is appended to that waiting list, as the reference does.

Which associations and rules a row is offered to is asked of a :class:`Machine`. The
:class:`PlainMachine` here offers every row to every association and every rule: it is
the specification. The indexed machine of :mod:`asnfp.fast` offers a row only where it
could make a difference, and must give the same associations.

>>> from asnfp.constraints import attr
>>> from asnfp.row import make_row
>>> from asnfp.rule import Rule, registry
>>> rule = Rule(name="ByFilter", asn_type="demo", level=2, constraint=attr("f", "filter"))
>>> rows = [make_row(0, {"filter": "f560w"}), make_row(1, {"filter": "f560w"})]
>>> [a.bindings for a in generate(registry([rule]), rows)]
[Bindings(f='f560w')]
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from functools import reduce
from typing import Any, NamedTuple, ParamSpec, Protocol, TypeVar

import msgspec
from immutables import Map
from msgspec.structs import replace

from asnfp.association import EMPTY_MAP, Association, create, offer, qualified, settled
from asnfp.constraints import Category, Leaf, Outcome, Request, _new
from asnfp.errors import AsnfpError, first_line
from asnfp.naming import timestamp
from asnfp.row import Row
from asnfp.rule import Registry, Rule, with_global

__all__ = (
    "Work",
    "Recipe",
    "Plan",
    "plan",
    "Generation",
    "Offers",
    "Machine",
    "PlainMachine",
    "RuleFailed",
    "checked",
    "step",
    "run_work",
    "Fold",
    "run_fold",
    "generate",
    "version_stamp",
)

RuleKey = tuple[str, ...]
_P = ParamSpec("_P")
_T = TypeVar("_T")


class Appended(NamedTuple):
    """Rows appended to a waiting list: ``head`` then ``tail`` (appending costs nothing
    however long the list; :func:`flat` makes the tuple when the list is taken)."""

    head: Rows
    tail: tuple[Row, ...]


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


class Recipe(NamedTuple):
    """One rule of a run: the name it runs under (``{ruleset}_{rule}``), its ruleset, the
    rule as the registry has it, and the global leaf the run appends to it (if any)."""

    name: str
    ruleset: str | None
    base: Rule
    leaf: Leaf | None


class Plan(msgspec.Struct, frozen=True):
    """What a run is, before it starts: its registries, each with the global leaf the run
    appends to its rules (if any), tried in that order, and the version id its
    associations are stamped with. A value: machines keep what they make of it
    (:class:`Machine`).

    >>> from asnfp.constraints import attr
    >>> from asnfp.rule import Rule, registry
    >>> p = plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))], name="candidate"))
    >>> [(r.name, r.ruleset) for r in p.recipes()]
    [('candidate_R', 'candidate')]
    """

    parts: tuple[tuple[Registry, Leaf | None], ...]
    version_id: str | None = None

    def recipes(self) -> tuple[Recipe, ...]:
        """The run's rules in the order they are tried."""
        return tuple(Recipe(qualified(reg.name, rule), reg.name, rule, leaf)
                     for reg, leaf in self.parts for rule in reg.rules)


def plan(registry: Registry | Sequence[tuple[Registry, Leaf | None]], version_id: str | None = None,
         global_leaf: Leaf | None = None) -> Plan:
    """Plan a run of ``registry`` (with ``global_leaf`` appended to every rule), or of
    several ``(registry, global leaf)`` pairs one after the other (the per-pool run).

    >>> from asnfp.constraints import attr
    >>> from asnfp.rule import Rule, registry
    >>> plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))])).version_id is None
    True
    """
    parts = ((registry, global_leaf),) if isinstance(registry, Registry) else tuple(registry)
    return Plan(parts, version_id)


# --------------------------------------------------------------------------- the state


class Generation(msgspec.Struct, frozen=True):
    """The fold's state: associations by creation slot (a persistent map,
    :class:`immutables.Map`: a step that changes one association costs the same
    however many there are), what the machine keeps to find where a row goes (its
    ``index``: nothing for the plain machine), and the work list still to do."""

    associations: Map[int, Association]  # by slot
    index: object  # the machine's own; the fold only hands it back to the machine
    queue: tuple[dict[tuple[RuleKey, Category, bool], Work], ...]

    @classmethod
    def start(cls, rows: Sequence[Row], index: object = None) -> Generation:
        """The state before the first step: every row waiting for every rule.

        >>> len(Generation.start([]).associations)
        0
        """
        first = Work(tuple(rows), (), Category.BOTH)
        queue: list[dict[Any, Work]] = [{} for _ in Category]
        queue[Category.BOTH] = {("*",): first}
        return cls(EMPTY_MAP, index, tuple(queue))


# --------------------------------------------------------------------------- the seam

#: The associations a row is offered to: the rules (qualified names) it has joined
#: without a check, and the slots to offer it to in order, each with what checking
#: its association's constraint on it gives when the machine knows already (``None``:
#: check it when offered).
Offers = tuple[Collection[str], Sequence[tuple[int, Outcome | None]]]


class Machine(Protocol):
    """What the fold asks about a run: where a row goes. Any machine must give the same
    associations as :class:`PlainMachine`; it may leave out an association or a rule
    only where the check would miss and change nothing."""

    version_id: str | None

    @property
    def empty(self) -> object:
        """The index of a state with no association."""

    def offers(self, state: Generation, row: Row, allowed: frozenset[str] | None) -> Offers:
        """Where ``row`` goes among the associations of ``state`` (of the rules
        ``allowed``, all when ``None``)."""

    def fresh(self, row: Row, allowed: frozenset[str] | None,
              joined: Collection[str]) -> Sequence[tuple[str, str | None, Rule, Outcome | None]]:
        """The rules (``allowed``, not ``joined``) to start an association of with
        ``row``, in order: ``(name, ruleset, rule as it runs, known outcome or None)``."""

    def filed(self, index: object, before: Map[int, Association], after: Map[int, Association],
              changed: Iterable[int], row: Row) -> object:
        """``index`` with the associations of slots ``changed`` (new, or changed by
        taking ``row``) filed again: ``before`` and ``after`` are the step's maps."""


class PlainMachine:
    """The specification: every row is offered to every association and every rule,
    and every check is made when offered. ``run_rule`` makes a rule with its global
    leaf (:func:`asnfp.rule.with_global` unless the run shares them).

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import Rule, registry
    >>> m = PlainMachine(plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "f"))])))
    >>> [name for name, *_ in m.fresh(make_row(0, {"f": "x"}), None, ())]
    ['R']
    """

    __slots__ = ("empty", "rules", "version_id")

    def __init__(self, plan_: Plan, run_rule: Callable[[Rule, Leaf], Rule] = with_global) -> None:
        self.version_id = plan_.version_id
        self.empty = None
        self.rules = tuple((r.name, r.ruleset, r.base if r.leaf is None else run_rule(r.base, r.leaf))
                           for r in plan_.recipes())

    def offers(self, state: Generation, row: Row, allowed: frozenset[str] | None) -> Offers:
        """Every association (of the rules ``allowed``), in creation order."""
        return (), [(s, None) for s, a in sorted(state.associations.items(), key=lambda item: item[0])
                    if allowed is None or qualified(a.ruleset, a.rule) in allowed]

    def fresh(self, row: Row, allowed: frozenset[str] | None,
              joined: Collection[str]) -> Sequence[tuple[str, str | None, Rule, Outcome | None]]:
        """Every rule ``allowed`` and not ``joined``, in order."""
        return [(name, ruleset, rule, None) for name, ruleset, rule in self.rules
                if (allowed is None or name in allowed) and name not in joined]

    def filed(self, index: object, before: Map[int, Association], after: Map[int, Association],
              changed: Iterable[int], row: Row) -> object:
        """Nothing is kept."""
        return index


# --------------------------------------------------------------------------- the fold


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


def step(machine: Machine, work: Work, state: Generation, row: Row) -> Generation:
    """Offer one row (from ``work``) to the associations that may take it, then to the
    rules it did not join, and queue the re-processing asked for.

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import registry
    >>> m = PlainMachine(plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))])))
    >>> w, rows = Work((), (), Category.BOTH), [make_row(0, {"filter": "x"}), make_row(1, {"filter": "x"})]
    >>> s = reduce(lambda s, r: step(m, w, s, r), rows, Generation.start([]))
    >>> [[m.expname for m in a.products[0].members] for a in s.associations.values()]
    [['row0', 'row1']]
    """
    allowed = frozenset(work.rules) if work.rules else None
    requests: list[Request] = []
    joined: set[str] = set()
    updates: dict[int, Association] = {}
    if work.category != Category.RULES:
        held, offered = machine.offers(state, row, allowed)
        joined.update(held)
        for slot, outcome in offered:
            asn = state.associations[slot]
            taken, new, asked = checked(asn.rule, row, offer, asn, row, outcome)
            requests += asked
            if taken:
                joined.add(qualified(asn.ruleset, asn.rule))
            if new is not asn:
                updates[slot] = new
    created: list[Association] = []
    if work.category in (Category.RULES, Category.BOTH):
        for _, ruleset, rule, outcome in machine.fresh(row, allowed, joined):
            made, asn, asked = checked(rule, row, create, rule, ruleset, row,
                                       version_id=machine.version_id, outcome=outcome)
            requests += asked
            if made:
                created.append(asn)
    return _apply(machine, state, row, updates, created, _enqueue(state.queue, requests, work.category))


def _apply(machine: Machine, state: Generation, row: Row, updates: dict[int, Association],
           created: list[Association], queue: tuple[dict[Any, Work], ...]) -> Generation:
    """The state after a step: the changed associations in their slots, the new ones in
    the next slots, filed by the machine."""
    if not updates and not created:
        return replace(state, queue=queue) if queue is not state.queue else state
    associations = state.associations.mutate()
    for changed_slot, changed in updates.items():
        associations[changed_slot] = changed
    first = slot = len(state.associations)
    for asn in created:
        associations[slot] = replace(asn, slot=slot)
        slot += 1
    after = associations.finish()
    index = machine.filed(state.index, state.associations, after, [*updates, *range(first, slot)], row)
    return Generation(after, index, queue)


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


def run_work(machine: Machine, state: Generation) -> Generation:
    """Fold every waiting work list into the state, until the work list is empty.

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import Rule, registry
    >>> m = PlainMachine(plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))])))
    >>> len(run_work(m, Generation.start([make_row(0, {"filter": "a"})])).associations)
    1
    """
    while (popped := _next_work(state)) is not None:
        work, state = popped
        state = reduce(lambda s, row: step(machine, work, s, row), work.rows, state)
    return state


class Fold(NamedTuple):
    """One fold of a driver: a plan and the rows it starts from."""

    plan: Plan
    rows: Sequence[Row]


def run_fold(fold: Fold, machine: Machine) -> list[Association]:
    """The associations of one fold on ``machine`` (made for the fold's plan), in
    creation order, unfinalized.

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import Rule, registry
    >>> p = plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))]))
    >>> len(run_fold(Fold(p, [make_row(0, {"filter": "a"})]), PlainMachine(p)))
    1
    """
    final = run_work(machine, Generation.start(fold.rows, machine.empty))
    return [settled(final.associations[slot]) for slot in sorted(final.associations)]


def generate(registry: Registry | Sequence[tuple[Registry, Leaf | None]], rows: Sequence[Row], *,
             version_id: str | bool | None = None, global_leaf: Leaf | None = None,
             machine: Callable[[Plan], Machine] = PlainMachine) -> list[Association]:
    """Fold every row (and the re-processing it triggers) into associations, returned in
    creation order, unfinalized. ``version_id=True`` stamps the current UTC time.
    ``machine`` makes the machine of the run's plan: the plain one by default, the
    indexed one with :func:`asnfp.fast.generate`.

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import registry
    >>> rules = registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))])
    >>> rows = [make_row(i, {"filter": f}) for i, f in enumerate(["x", "y", "x"])]
    >>> [len(a.products[0].members) for a in generate(rules, rows)]
    [2, 1]
    """
    plan_ = plan(registry, version_stamp(version_id), global_leaf)
    return run_fold(Fold(plan_, rows), machine(plan_))


def version_stamp(version_id: str | bool | None) -> str | None:
    """The version id a run stamps its files with: the current UTC time for ``True``.

    >>> version_stamp("v1"), version_stamp(None), len(version_stamp(True) or "")
    ('v1', None, 15)
    """
    return timestamp() if version_id is True else (version_id or None)


# --------------------------------------------------------------------------- a rule's own errors


class RuleFailed(Exception):
    """A rule's own code (its constraint) raised while checking a row: ``str()`` names the
    rule and the row; the original exception is the ``__cause__``."""


def checked(rule: Rule, row: Row, call: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """``call(*args, **kwargs)``, with an exception the rule's code raises (not asnfp's own
    errors) turned into :class:`RuleFailed`.

    >>> from asnfp.constraints import lift
    >>> from asnfp.row import make_row
    >>> boom = Rule(name="Boom", asn_type="t", level=2, constraint=lift(lambda row: 1 / 0))
    >>> checked(boom, make_row(0, {}), create, boom, None, make_row(0, {}))
    Traceback (most recent call last):
    asnfp.fold.RuleFailed: rule Boom, row 1: raised ZeroDivisionError: division by zero
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
