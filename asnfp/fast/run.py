"""What one run of the generator makes once and all its folds share.

A run (one driver call: every candidate fold and discovery, or a batch of pools) tries
the same few registries many times over, each with its own global leaf. The
:class:`Run` keeps, for as long as it lives, the rule each (rule, global leaf) pair
runs as, one object per pair, and the *gates* (:mod:`asnfp.fast.gates`) of each plan's
rules, which depend on the rules alone. It is owned by the run: nothing is kept in the
module, and a run that ends takes its tables with it.

>>> from asnfp.constraints import attr
>>> from asnfp.rule import Rule
>>> run = Run()
>>> rule, leaf = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter")), attr("c", "asn_candidate")
>>> run.run_rule(rule, leaf) is run.run_rule(rule, leaf), Run().run_rule(rule, leaf) is run.run_rule(rule, leaf)
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, NamedTuple

from asnfp.association import qualified
from asnfp.candidates import CANDIDATE_COLUMN
from asnfp.constraints import Leaf
from asnfp.fast.gates import Gate, compile_gate, gate_columns
from asnfp.fast.memo import HashedOnce
from asnfp.rule import Registry, Rule, with_global

__all__ = ("GateGroup", "Run", "Template")

_MOST_RULES: Final = 1 << 16
_MOST_TEMPLATES: Final = 64


class GateGroup(NamedTuple):
    """Rules (by position) whose gates read ``columns``: which of them a row gets past is
    kept by its cells there, under ``key``. The rules that read the candidate column
    (rewritten in every candidate run) are a group of their own, so that the others'
    answers hold in every run."""

    columns: tuple[str, ...]
    positions: tuple[int, ...]
    key: HashedOnce


class Template(NamedTuple):
    """What the machine of a plan needs whatever its global leaves are, by the position
    of each rule in the plan: its name, ruleset and rule as the registry has it, which
    of the plan's parts it comes from, and the gates of its constraint and of its
    creation part (by name); and the gate groups."""

    names: tuple[str, ...]
    rulesets: tuple[str | None, ...]
    bases: tuple[Rule, ...]
    part_of: tuple[int, ...]
    gates: dict[str, tuple[Gate | None, Gate | None]]
    groups: tuple[GateGroup, ...]


class Run:
    """The tables of one run: rules with their global leaf, and plans' templates."""

    __slots__ = ("_derived", "_rules", "_templates")

    def __init__(self) -> None:
        self._rules: dict[tuple[int, int], tuple[Rule, Rule, Leaf]] = {}  # (base, leaf) -> (run rule, base, leaf)
        self._derived: dict[int, tuple[Rule, Leaf]] = {}  # run rule -> (base, leaf)
        self._templates: dict[tuple[tuple[str | None, tuple[int, ...]], ...], tuple[tuple[Rule, ...], Template]] = {}

    def run_rule(self, base: Rule, leaf: Leaf) -> Rule:
        """``base`` with the global ``leaf`` appended (:func:`asnfp.rule.with_global`),
        one object per pair while the run remembers it: a process that unpickles another's
        associations gets the run's rule once (see :meth:`derivation`).

        >>> from asnfp.constraints import attr
        >>> r, leaf = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "f")), attr("c", "c")
        >>> Run().run_rule(r, leaf).constraint.parts == with_global(r, leaf).constraint.parts
        True
        """
        key = (id(base), id(leaf))
        found = self._rules.get(key)
        if found is not None:
            return found[0]
        if len(self._rules) >= _MOST_RULES:
            self._rules.clear()
            self._derived.clear()
        run = with_global(base, leaf)
        self._rules[key] = (run, base, leaf)  # (base and leaf kept alive: their ids stay theirs)
        self._derived[id(run)] = (base, leaf)
        return run

    def derivation(self, obj: object) -> tuple[Callable[..., Rule], tuple[Rule, Leaf]] | None:
        """How to make ``obj`` again if it is a rule :meth:`run_rule` made: a process
        pickles it as that call on its base and leaf (:class:`asnfp.fast.workers.Shared`).

        >>> from asnfp.constraints import attr
        >>> run, r = Run(), Rule(name="R", asn_type="t", level=2, constraint=attr("f", "f"))
        >>> run.derivation(run.run_rule(r, attr("c", "c")))[0] == run.run_rule, run.derivation(r)
        (True, None)
        """
        found = self._derived.get(id(obj))
        if found is None or self._rules.get((id(found[0]), id(found[1])), (None,))[0] is not obj:
            return None
        return self.run_rule, found

    def template(self, registries: Sequence[Registry]) -> Template:
        """The template of a plan of ``registries`` (made once for every plan of the same
        registries: every candidate fold of a run).

        >>> from asnfp.constraints import attr
        >>> from asnfp.rule import registry
        >>> rules = registry([Rule(name="R", asn_type="t", level=2, constraint=attr("f", "f"))], name="candidate")
        >>> run = Run()
        >>> run.template([rules]) is run.template([rules]), run.template([rules]).names
        (True, ('candidate_R',))
        """
        key = tuple((reg.name, tuple(map(id, reg.rules))) for reg in registries)
        found = self._templates.get(key)
        if found is not None:
            return found[1]
        bases = tuple(rule for reg in registries for rule in reg.rules)
        names = tuple(qualified(reg.name, rule) for reg in registries for rule in reg.rules)
        gates = {name: (compile_gate(base.constraint), None if base.creation is None else compile_gate(base.creation))
                 for name, base in zip(names, bases, strict=True)}
        made = Template(names, tuple(reg.name for reg in registries for _ in reg.rules), bases,
                        tuple(part for part, reg in enumerate(registries) for _ in reg.rules),
                        gates, _gate_groups(names, bases, gates))
        if len(self._templates) >= _MOST_TEMPLATES:
            self._templates.clear()
        self._templates[key] = (bases, made)  # the rules kept alive: their ids stay theirs
        return made


def _gate_groups(names: tuple[str, ...], bases: tuple[Rule, ...],
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
