"""The JWST association rules as data, and the registry that runs them.

>>> len(RULES), RULES[0].name, RULES[21].name, RULES[22].name, RULES[-1].name
(44, 'Asn_Lv2CoronAsRate', 'Asn_MIRLRSTAConfirm', 'Asn_Lv3ACQ_Reprocess', 'Asn_Lv3WFSSNRC')
"""

from __future__ import annotations

from asnfp.jwst import level2, level3
from asnfp.jwst.dms import EMPTY
from asnfp.finalize import finalize_level, merge_by_id
from asnfp.rule import Registry, Rule, registry

__all__ = ("RULES", "REQUIRED_COLUMNS", "default_registry")

# Rules run in the reference's order: Level 2 by class name, then Level 3 by class name.
RULES: tuple[Rule, ...] = tuple(sorted(level2.RULES, key=lambda r: r.name)) + tuple(
    sorted(level3.RULES, key=lambda r: r.name)
)

# Columns that the rules read directly (the reference fails without them).
REQUIRED_COLUMNS: tuple[str, ...] = ("filename", "exp_type", "pntgtype", "program", "targetid")


def default_registry(name: str | None = None, rules: tuple[Rule, ...] = RULES) -> Registry:
    """The JWST registry: the rules, then Level-2 and Level-3 finalization.

    >>> default_registry("candidate").name, len(default_registry().rules) == len(RULES)
    ('candidate', True)
    """
    return registry(rules, finalizers=(finalize_level(2), finalize_level(3)), merge=merge_by_id(2),
                    name=name, empty=EMPTY)
