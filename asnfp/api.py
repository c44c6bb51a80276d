"""The Python API in a few calls: read a pool, make its associations, write them.

>>> from asnfp.pool import pool_from_rows
>>> asns = associations(pool_from_rows([]))
>>> asns
[]
"""

from __future__ import annotations

from asnfp.association import Association, is_valid, qualified
from asnfp.fast.drivers import Options, generate_per_candidate
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

    >>> from asnfp.pool import pool_from_rows
    >>> row = {"filename": "jw_1_uncal.fits", "exp_type": "mir_image", "pntgtype": "science", "program": "1",
    ...        "targetid": "1", "instrume": "miri", "detector": "mirimage", "filter": "f560w", "subarray": "full",
    ...        "asn_candidate": "[('o001', 'observation')]"}
    >>> (sorted((a.rule.asn_type, a.asn_id) for a in associations(pool_from_rows([row]))),
    ...  associations(pool_from_rows([row]), ids=("o002",)))
    ([('image2', 'o001'), ('image3', 'o001')], [])
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
    """The name written as ``asn_rule``, e.g. ``candidate_Asn_Lv2Image``.

    >>> from asnfp.association import Association
    >>> from asnfp.jwst import RULES
    >>> rule_name(Association(rule=RULES[2], ruleset="candidate")), rule_name(Association(rule=RULES[2], ruleset=None))
    ('candidate_Asn_Lv2Image', 'Asn_Lv2Image')
    """
    return qualified(asn.ruleset, asn.rule)


def to_bytes(asn: Association, fmt: str = "json") -> tuple[str, bytes]:
    """Return an association's ``(file name, file bytes)`` in ``json`` or ``yaml``.

    >>> from asnfp.association import Association
    >>> from asnfp.jwst import RULES
    >>> name, data = to_bytes(Association(rule=RULES[2], ruleset="candidate", program="00001", asn_id="o001",
    ...                                   sequence=1))
    >>> name, b'"asn_rule": "candidate_Asn_Lv2Image"' in data
    ('jw00001-o001_image2_00001_asn.json', True)
    """
    return serialize(asn, rule_name(asn), fmt)


