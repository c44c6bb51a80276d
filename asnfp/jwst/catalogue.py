"""The catalogue: the JWST rules in the order the reference runs them, the columns they
read, and the registry that runs them with the JWST finalization.

>>> len(RULES), RULES[0].name, RULES[21].name, RULES[22].name, RULES[-1].name
(44, 'Asn_Lv2CoronAsRate', 'Asn_MIRLRSTAConfirm', 'Asn_Lv3ACQ_Reprocess', 'Asn_Lv3WFSSNRC')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from asnfp.association import Association
from asnfp.finalize import finalize_level, merge_by_id
from asnfp.jwst import level2, level3
from asnfp.jwst.dms import EMPTY
from asnfp.rule import Registry, Rule, registry, replace

__all__ = ("RULES", "REQUIRED_COLUMNS", "default_registry", "creation_numbers", "run_registries")

# Rules run in the reference's order: Level 2 by class name, then Level 3 by class name.
RULES: tuple[Rule, ...] = tuple(sorted(level2.RULES, key=lambda r: r.name)) + tuple(
    sorted(level3.RULES, key=lambda r: r.name)
)

# Columns that the rules read directly (the reference fails without them).
REQUIRED_COLUMNS: tuple[str, ...] = ("filename", "exp_type", "pntgtype", "program", "targetid")


def creation_numbers(asns: list[Association]) -> list[Association]:
    """Number associations as the reference's creation counters do (what an unfinalized
    run without discovery writes): one Level-2 counter whose first value is 2, and one
    Level-3 counter per ``asn_type`` starting at 1, in creation order.

    >>> from asnfp.constraints import always
    >>> two, three = (Rule(name="R", asn_type=t, level=lv, constraint=always())
    ...               for t, lv in (("image2", 2), ("image3", 3)))
    >>> [a.sequence for a in creation_numbers([Association(rule=r, ruleset=None) for r in (two, three, two, three)])]
    [2, 1, 3, 2]
    """
    level2 = 1
    level3: dict[str, int] = {}
    numbered = []
    for asn in asns:
        if asn.rule.level == 2:
            level2 += 1
            number = level2
        else:
            number = level3[asn.rule.asn_type] = level3.get(asn.rule.asn_type, 0) + 1
        numbered.append(replace(asn, sequence=number))
    return numbered


def default_registry(name: str | None = None, rules: tuple[Rule, ...] = RULES,
                     keep_duplicates: bool = False) -> Registry:
    """The JWST registry: the rules, then Level-2 and Level-3 finalization
    (``keep_duplicates``: a debug run's ``dup`` files).

    >>> default_registry("candidate").name, len(default_registry().rules) == len(RULES)
    ('candidate', True)
    """
    finalizers = (finalize_level(2, keep_duplicates), finalize_level(3, keep_duplicates))
    return registry(rules, finalizers=finalizers, merge=merge_by_id(2), name=name, empty=EMPTY,
                    number=creation_numbers, shows_creation_numbers=keep_duplicates)


def run_registries(user_rules: Iterable[Rule] = (), *, ignore_default: bool = False,
                   keep_duplicates: bool = False) -> Callable[[str | None], Registry]:
    """The registry of a run by ruleset name (``candidate``, ``discover``): the
    catalogue's rules then ``user_rules`` (only those with ``ignore_default``), with the
    JWST finalization (``keep_duplicates``: a debug run's ``dup`` files).

    >>> from asnfp.constraints import attr
    >>> mine = Rule(name="Asn_Mine", asn_type="image3", level=3, constraint=attr("f", "filter"))
    >>> [r.name for r in run_registries([mine], ignore_default=True)("candidate").rules]
    ['Asn_Mine']
    >>> len(run_registries([mine])(None).rules) == len(RULES) + 1
    True
    """
    rules = tuple(user_rules) if ignore_default else RULES + tuple(user_rules)
    return partial(default_registry, rules=rules, keep_duplicates=keep_duplicates)
