"""Rules that cannot leave anything in a run, and the runs that leave them out.

Finalization drops every association whose validity checks have not all passed. Some
checks can pass only for some candidate types (:attr:`asnfp.rule.Check.passes_for`): a
Level-2 association is never valid in a discovery run, nor a mosaic one in an
observation's run. Every association a run makes has the run's candidate type (the
candidate leaf it pins, or "discovered" without one), so in such a run the rule's
associations are all dropped in the end: the rule is *futile* there.

A futile rule can be left out of the run when nothing it does reaches another rule.
Its checks touch only its own associations; what could reach further is a request to
re-process a row. A request that names no rules goes back to the rule that made it
(:func:`asnfp.association.offer`), and the work it queues is offered to that rule alone.
So when every request a rule's tree can make names no rules, the fold gives every other
rule the same associations, in the same order, with the rule or without it (law test:
``tests/test_laws_futile.py``). What leaving it out changes is the creation numbers of
later associations, which are seen only in unfinalized output and a debug run's
duplicate files; the driver leaves rules out only when neither is written.

>>> from asnfp.constraints import attr
>>> from asnfp.rule import Rule, candidate_type_check, registry
>>> mosaic = Rule(name="Mosaic", asn_type="image3", level=3, constraint=attr("f", "filter"),
...               validity=(candidate_type_check("is_mosaic", lambda kind: kind == "mosaic"),))
>>> image = Rule(name="Image", asn_type="image3", level=3, constraint=attr("f", "filter"))
>>> [r.name for r in without_futile(registry([mosaic, image]), "observation").rules]
['Image']
"""

from __future__ import annotations

from functools import lru_cache

from msgspec.structs import replace

from asnfp.caches import forgettable
from asnfp.constraints import AttrLeaf, Constraint, Node, ValueLeaf, leaves
from asnfp.rule import Registry, Rule

__all__ = ("futile", "has_own_candidate_leaf", "keeps_requests_home", "never_valid", "without_futile")


@lru_cache(maxsize=65536)
def keeps_requests_home(constraint: Constraint) -> bool:
    """Tell whether every re-processing request ``constraint`` can make names no rules
    (so that it goes back to the rule that made it). Leaves of unknown kinds may make
    any request.

    >>> from asnfp.constraints import Category, all_of, attr, value_leaf
    >>> keeps_requests_home(all_of(attr("t", "targetid", reprocess=Category.EXISTING)))
    True
    >>> keeps_requests_home(all_of(value_leaf("x", lambda b, row: 1, on_fail=True, rules=())))
    False
    """
    if isinstance(constraint, Node):
        asks = constraint.on_match or constraint.on_fail
        return (not asks or constraint.rules is None) and all(map(keeps_requests_home, constraint.parts))
    if isinstance(constraint, ValueLeaf):
        return not (constraint.on_match or constraint.on_fail) or constraint.rules is None
    return isinstance(constraint, AttrLeaf)  # its requests never name rules


def never_valid(rule: Rule, kind: str) -> bool:
    """Tell whether one of ``rule``'s validity checks can never pass for an association
    whose candidate type is ``kind`` (any case).

    >>> from asnfp.constraints import attr
    >>> from asnfp.rule import candidate_type_check
    >>> r = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"),
    ...          validity=(candidate_type_check("is_observation", lambda kind: kind == "observation"),))
    >>> never_valid(r, "DISCOVERED"), never_valid(r, "observation")
    (True, False)
    """
    kind = kind.lower()
    return any(check.passes_for is not None and not check.passes_for(kind) for check in rule.validity)


def has_own_candidate_leaf(rule: Rule) -> bool:
    """Tell whether ``rule``'s tree has a candidate leaf (``is_acid``) of its own, which
    may give its associations another candidate than the run's.

    >>> from asnfp.constraints import attr
    >>> has_own_candidate_leaf(Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter")))
    False
    """
    return any(isinstance(leaf, AttrLeaf) and leaf.is_acid for leaf in leaves(rule.constraint))


def futile(rule: Rule, kind: str) -> bool:
    """Tell whether a run whose associations all have the candidate type ``kind`` may
    leave ``rule`` out: it makes only invalid associations there, and every request it
    can make goes back to it. A rule with a candidate leaf of its own (``is_acid``)
    could give its associations another type, so it is never futile.

    >>> from asnfp.constraints import attr
    >>> from asnfp.rule import candidate_type_check
    >>> check = candidate_type_check("is_observation", lambda kind: kind == "observation")
    >>> r = Rule(name="R", asn_type="t", level=2, constraint=attr("f", "filter"), validity=(check,))
    >>> own = Rule(name="R", asn_type="t", level=2, validity=(check,),
    ...            constraint=attr("c", "asn_candidate", evaluate=True, is_acid=True))
    >>> futile(r, "discovered"), futile(own, "discovered")
    (True, False)
    """
    if not never_valid(rule, kind):
        return False
    trees = [rule.constraint] if rule.creation is None else [rule.constraint, rule.creation]
    if has_own_candidate_leaf(rule):
        return False
    return all(map(keeps_requests_home, trees))


def without_futile(registry: Registry, kind: str) -> Registry:
    """``registry`` without the rules that are futile for the candidate type ``kind``
    (the same registry when there are none). See the module's example."""
    kept = tuple(rule for rule in registry.rules if not futile(rule, kind))
    return registry if len(kept) == len(registry.rules) else replace(registry, rules=kept)


forgettable(keeps_requests_home)  # (see asnfp.caches)
