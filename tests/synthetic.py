"""Synthetic pools for tests: one base science row (program 99009, every flag ``f``,
candidate ``o001``), every other column ``null``, then each row's overrides; and what
asnfp writes for them, in a comparable shape."""

from __future__ import annotations

from asnfp.api import associations, rule_name, to_bytes
from asnfp.pool import Pool, pool_from_rows

BASE = dict(program="99009", obs_num="1", obs_id="v99009001001", act_id="1", pntgtype="science",
            subarray="full", targetid="1", visitype="prime_targeted_fixed", bkgdtarg="f",
            is_psf="f", is_imprt="f", tsovisit="f", asn_candidate="[('o001', 'observation')]")
COLUMNS = ("filename", "program", "obs_num", "obs_id", "act_id", "exp_type", "pntgtype", "instrume",
           "detector", "channel", "filter", "pupil", "grating", "band", "fxd_slit", "subarray",
           "targetid", "visitype", "bkgdtarg", "is_psf", "is_imprt", "tsovisit", "mostilno",
           "dithptin", "patttype", "patt_num", "numdthpt", "subpxpts", "expspcin", "msametfl",
           "msastate", "lamp", "opmode", "nints", "exposerr", "asn_candidate")


def cells(number: int, **overrides: str) -> dict[str, str]:
    """The base row ``jw_NNNNN_uncal.fits``: every other column ``null``, then overrides."""
    row = dict.fromkeys(COLUMNS, "null")
    row.update(BASE, filename=f"jw_{number:05d}_uncal.fits")
    row.update(overrides)
    return row


def synthetic_pool(*overrides: dict[str, str], name: str = "example.csv") -> Pool:
    """Rows 1, 2, ...: the base row with each row's overrides."""
    return pool_from_rows([cells(n, **o) for n, o in enumerate(overrides, 1)], name=name)


def written(pool: Pool) -> dict[str, tuple[str, str, str, list[str]]]:
    """What would be written, as ``file stem -> (asn_rule, target, product name,
    members)``; every association here has one product."""
    out = {}
    for asn in associations(pool):
        (product,) = asn.products
        out[to_bytes(asn)[0].removesuffix("_asn.json")] = (
            rule_name(asn), asn.target, product.name, [f"{m.expname} {m.exptype}" for m in product.members])
    return out
