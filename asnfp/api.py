"""The Python API in a few calls: read a pool, make its associations, write them.

>>> from asnfp.pool import pool_from_rows
>>> asns = associations(pool_from_rows([]))
>>> asns
[]
"""

from __future__ import annotations

import os

from asnfp.association import Association, is_valid
from asnfp.generate import Options, generate_per_candidate
from asnfp.io import serialize
from asnfp.pool import Pool, read_pool

__all__ = ("read_pool", "associations", "to_bytes", "rule_name")


def associations(
    pool: Pool,
    *,
    ids: tuple[str, ...] | None = None,
    discover: bool | None = None,
    all_candidates: bool | None = None,
    version_id: str | None = None,
    merge: bool = False,
) -> list[Association]:
    """Generate a pool's associations with the JWST rules, finalized, in the order the
    reference writes them; only valid ones (those ``asn_generate`` would write).

    With no ``ids``, ``discover`` or ``all_candidates`` given, both discovery and every
    candidate run, as ``asn_generate`` does by default.
    """
    from asnfp.jwst import default_registry

    given = ids is not None or discover or all_candidates
    options = Options(
        ids=ids,
        discover=bool(discover) or not given,
        all_candidates=bool(all_candidates) or not given,
        version_id=version_id,
        merge=merge,
    )
    return [a for a in generate_per_candidate(default_registry, pool.rows, options) if is_valid(a)]


def rule_name(asn: Association) -> str:
    """The name written as ``asn_rule``, e.g. ``candidate_Asn_Lv2Image``."""
    return f"{asn.ruleset}_{asn.rule.name}" if asn.ruleset else asn.rule.name


def to_bytes(asn: Association, fmt: str = "json") -> tuple[str, bytes]:
    """Return an association's ``(file name, file bytes)`` in ``json`` or ``yaml``."""
    return serialize(asn, rule_name(asn), fmt)


_ = (os, read_pool)
