"""The indexed machine: where a row goes, found without offering it everywhere.

It answers the fold's questions (:class:`asnfp.fold.Machine`) as the plain machine
would, with less work:

- existing associations are found through the class index (:mod:`asnfp.fast.index`):
  only those filed under the row's values on a route open for it, and not those that
  hold the row's file already (which take it without a check);
- a class of associations with equal bindings is checked once per row, and its answer
  is remembered by what the check read (:mod:`asnfp.fast.memo`), so a row like one seen
  before is answered without a check; a pure miss proved by a rule's gate
  (:mod:`asnfp.fast.gates`) needs no check at all;
- a rule whose gates prove that a new association would miss the row is not tried.

What it leaves out is what would miss and change nothing, so the associations are the
plain machine's (the fold-machine and law tests compare the two). What it makes of a
rule (the rule with its global leaf, its routes, its memo spaces) it makes when a row
first gets past the rule's gates: most runs need few of their rules.

>>> from asnfp.constraints import attr
>>> from asnfp.row import make_row
>>> from asnfp.rule import Rule, registry
>>> rules = registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))])
>>> rows = [make_row(i, {"filter": f}) for i, f in enumerate(["x", "y", "x"])]
>>> generate(rules, rows) == model.generate(rules, rows)
True
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, cast

from immutables import Map

from asnfp import fold as model
from asnfp.association import Association, keep_sticky, qualified
from asnfp.constraints import NO_BINDINGS, Constraint, Leaf, Match, Miss, Node, Outcome, _new
from asnfp.fast.gates import Gate
from asnfp.fast.index import EMPTY_INDEX, Index, Slots, holders, moved, reachable, with_file
from asnfp.fast.memo import PURE_MISS, Memo, answer, tracing
from asnfp.fast.routes import Route, index_leaves, index_routes
from asnfp.fast.run import Run
from asnfp.fold import Fold, Generation, Offers, Plan, checked, run_fold
from asnfp.row import Row
from asnfp.rule import Registry, Rule

__all__ = ("IndexedMachine", "indexed", "generate", "run_indexed", "then_leaf", "splits")

RuleEntry = tuple[str, str | None, Rule]


class IndexedMachine:
    """The machine of one fold's plan, with the run's tables (``run``) and the process's
    memo of answers (``memo``).

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.fold import plan
    >>> from asnfp.rule import Rule, registry
    >>> m = IndexedMachine(plan(registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "f"))])))
    >>> [name for name, *_ in m.fresh(make_row(0, {"f": "x"}), None, ())], m.fresh(make_row(0, {}), None, ())
    (['R'], [])
    """

    __slots__ = ("_adds_routes", "_fresh", "_parts", "_routes", "_rules", "_run", "_spaces", "_template", "empty",
                 "gate_groups", "gates", "memo", "version_id")

    def __init__(self, plan_: Plan, memo: Memo | None = None, run: Run | None = None) -> None:
        self._run = Run() if run is None else run
        self.memo = Memo() if memo is None else memo
        self.version_id = plan_.version_id
        self.empty = EMPTY_INDEX
        self._parts = plan_.parts
        self._template = template = self._run.template([registry for registry, _ in plan_.parts])
        self.gates, self.gate_groups = template.gates, template.groups
        self._adds_routes = tuple(leaf is not None and index_routes(leaf) != (Route(),) for _, leaf in plan_.parts)
        self._rules: list[RuleEntry | None] = [None] * len(template.names)
        self._routes: dict[str, tuple[Route, ...]] = {}
        self._fresh: dict[str, tuple[Any, Any, Leaf | None, bool]] = {}
        self._spaces: dict[str, Any] = {}

    def made(self, i: int) -> RuleEntry:
        """The rule of recipe ``i`` as the run runs it, made (with its routes and memo
        spaces) on the first call."""
        known = self._rules[i]
        if known is not None:
            return known
        template, part = self._template, self._template.part_of[i]
        name, ruleset, base, leaf = template.names[i], template.rulesets[i], template.bases[i], self._parts[part][1]
        run = base if leaf is None else self._run.run_rule(base, leaf)
        self._routes[name] = _rule_routes(base, run, self._adds_routes[part])
        self._fresh[name] = _fresh_keys(base, run, leaf)
        self._spaces[name] = _space(run)
        entry = self._rules[i] = (name, ruleset, run)
        return entry

    # ----------------------------------------------------------------- the seam

    def offers(self, state: Generation, row: Row, allowed: frozenset[str] | None) -> Offers:
        """The holders of the row's file (joined without a check), and the slots filed
        under the row's values whose class does not miss purely, with their outcomes."""
        index = cast(Index, state.index)
        slots: dict[int, Outcome | None] = {}
        by_rule, memo = index.by_rule, self.memo
        named = by_rule.items() if allowed is None else ((n, by_rule[n]) for n in allowed if n in by_rule)
        spaces, gates, routes = self._spaces, self.gates, self._routes
        for name, buckets in named:
            space = memo.space(spaces[name])
            gate = gates[name][0]
            for key, members in reachable(routes[name], buckets, row, memo):
                out = _class_outcome(state, key, members, row, space, gate)
                if out is not None:
                    slots.update(dict.fromkeys(members, out))
        filename = row.cells.get("filename")
        if filename is not None and filename in index.by_file:  # holders of the file take it unchecked
            slots = {s: o for s, o in slots.items() if filename not in state.associations[s].filenames}
        return holders(index.by_file, row, allowed), sorted(slots.items(), key=lambda item: item[0])

    def fresh(self, row: Row, allowed: frozenset[str] | None,
              joined: Collection[str]) -> Sequence[tuple[str, str | None, Rule, Outcome | None]]:
        """The rules past whose gates the row gets, with what a new association of each
        makes of it (those that miss purely left out)."""
        tried: list[tuple[str, str | None, Rule, Outcome | None]] = []
        for name, ruleset, rule in self._ungated(row):
            if (allowed is not None and name not in allowed) or name in joined:
                continue
            outcome = _fresh_outcome(self._fresh[name], rule, row, self.memo)
            if outcome is not PURE_MISS:
                tried.append((name, ruleset, rule, outcome))  # type: ignore[arg-type]
        return tried

    def filed(self, index: object, before: Map[int, Association], after: Map[int, Association],
              changed: Iterable[int], row: Row) -> Index:
        """The changed associations filed again where their bindings moved, the new ones
        filed, and the file's holders noted."""
        by_rule, by_file = cast(Index, index)
        changed = list(changed)
        for slot in changed:
            asn, old = after[slot], before.get(slot)
            if old is None or (asn.bindings is not old.bindings and asn.bindings != old.bindings):
                by_rule = moved(self._routes[qualified(asn.ruleset, asn.rule)], by_rule, asn, old)
        return Index(by_rule, with_file(by_file, after, changed, row))

    def _ungated(self, row: Row) -> list[RuleEntry]:
        """The rules whose gates do not prove that a new association would miss ``row``.
        On no bindings gates read known columns only, so the answer is kept by those cells."""
        positions: list[int] = []
        names, gates = self._template.names, self.gates
        for group in self.gate_groups:
            def ungated(group: Any = group) -> tuple[int, ...]:
                return tuple(i for i in group.positions if not any(
                    gate is not None and gate(NO_BINDINGS, row) for gate in gates[names[i]]))
            # by position: plans with one group key list the same rules
            positions += self.memo.by_cells(group.key, group.columns, row, ungated)
        positions.sort()
        rules = self._rules
        return [rules[i] or self.made(i) for i in positions]


def indexed(memo: Memo | None = None, run: Run | None = None) -> Callable[[Plan], IndexedMachine]:
    """What makes the indexed machine of a plan, with ``memo`` and ``run`` shared by
    every plan it is given (new ones when ``None``).

    >>> from asnfp.fold import Plan
    >>> type(indexed()(Plan(()))).__name__
    'IndexedMachine'
    """
    memo = Memo() if memo is None else memo
    run = Run() if run is None else run
    return lambda plan_: IndexedMachine(plan_, memo, run)


def generate(registry: Registry | Sequence[tuple[Registry, Leaf | None]], rows: Sequence[Row], *,
             version_id: str | bool | None = None, global_leaf: Leaf | None = None,
             memo: Memo | None = None) -> list[Association]:
    """:func:`asnfp.fold.generate` on the indexed machine: the same associations.
    ``memo`` is the cache of answers to use (a new one when ``None``); several runs
    over one pool may share it.

    >>> from asnfp.constraints import attr
    >>> from asnfp.row import make_row
    >>> from asnfp.rule import Rule, registry
    >>> rules = registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"))])
    >>> [len(a.products[0].members) for a in generate(rules, [make_row(i, {"filter": "x"}) for i in range(2)])]
    [2]
    """
    return model.generate(registry, rows, version_id=version_id, global_leaf=global_leaf, machine=indexed(memo))


def run_indexed(run: Run, fold: Fold, memo: Memo) -> list[Association]:
    """The associations of ``fold`` on the indexed machine (what a worker runs)."""
    return run_fold(fold, IndexedMachine(fold.plan, memo, run))


# --------------------------------------------------------------------------- what a rule is made into


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
    the check splits into the base's check then the leaf's (see :func:`_fresh_outcome`)."""
    base_space = _space(base)
    return base_space, base_space if leaf is None else _space(run), leaf, splits(base, run, leaf)


def splits(base: Rule, run: Rule, leaf: Leaf | None) -> bool:
    """Whether ``run``'s check is ``base``'s check then ``leaf``'s: when ``run``'s top is
    an ``all`` with no flags whose parts are the base's top, or its top's parts, then
    the leaf.

    >>> from asnfp.constraints import attr
    >>> from asnfp.rule import with_global
    >>> r, leaf = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "f")), attr("c", "c")
    >>> splits(r, with_global(r, leaf), leaf), splits(r, r, None)
    (True, False)
    """
    top, base_top = run.constraint, base.constraint
    if leaf is None or not isinstance(top, Node) or top.kind != "all" or top.on_match or top.on_fail:
        return False
    if top.parts == (base_top, leaf):
        return True
    return (isinstance(base_top, Node) and base_top.kind == "all" and bool(base_top.parts)
            and not base_top.on_match and not base_top.on_fail and top.parts == (*base_top.parts, leaf))


# --------------------------------------------------------------------------- answers


def _fresh_outcome(keys: tuple[Any, Any, Leaf | None, bool], rule: Rule, row: Row, memo: Memo) -> Outcome | str:
    """What a new association of ``rule`` makes of ``row``, or ``PURE_MISS``.

    A rule run with a global leaf (a candidate run) is its base tree with the leaf as
    the last part of its top ``all``: its check is the base tree's check, then the
    leaf's (:func:`then_leaf`), so the base's answers are remembered under the base rule
    and shared by every run and by discovery. Otherwise pure misses that came before
    the global leaf are remembered under the rule without it (whatever that leaf is,
    they miss), every other answer under the rule as it runs."""
    base_key, run_key, global_leaf, split = keys
    base = memo.space(base_key)
    if global_leaf is None or split:
        out = _remembered(base, base_key[0], rule, row)
        if global_leaf is None or out is PURE_MISS:
            return out
        out = checked(rule, row, then_leaf, out, global_leaf, row)  # type: ignore[arg-type]  # (not PURE_MISS)
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
    out = checked(rule, row, constraint, NO_BINDINGS, traced)
    if not out.matched and not out.reprocess:
        (space if misses is None else misses(out)).remember(NO_BINDINGS, traced)
        return PURE_MISS
    return _kept(space, NO_BINDINGS, out, traced, row)


def then_leaf(out: Outcome, leaf: Constraint, row: Row) -> Outcome:
    """The outcome of ``all(parts..., leaf)`` (no flags) from ``out``, the outcome of
    ``all(parts...)`` that did not miss purely: ``leaf`` checked on the bindings ``out``
    left, and the requests kept as ``all`` keeps them (those of the matches before the
    first miss that asks for something; none after a pure miss).

    >>> from asnfp.constraints import all_of, attr
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
    return _new(Miss, (after.bindings, out.leaf, out.reprocess))


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
        return checked(asn.rule, row, asn.rule.constraint, asn.bindings, row)
    known = memo.lookup(key, row)
    if known is PURE_MISS:
        return None
    if known is not None:
        return known.for_row(row)  # type: ignore[union-attr]
    asn = state.associations[next(iter(slots))]
    if gate is not None and not asn.rule.sticky and gate(asn.bindings, row):
        return None
    traced = tracing(row)
    out = checked(asn.rule, row, asn.rule.constraint, asn.bindings, traced)
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
    return kept.for_row(row)
